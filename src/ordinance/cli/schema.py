"""``ordinance schema``: the JSON Schema of a request, for intake systems and forms."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .common import ORDINANCES_OPTION, load_laws


@click.command()
@ORDINANCES_OPTION
def schema(ordinances: Path | None) -> None:
    """Print the JSON Schema (draft 2020-12) of a request, as JSON.

    The schema is generated from the law set's vocabulary, so it lists every
    fact a request may state: nested objects for dotted facts (`holder.kind`
    is `{"holder": {"kind": ...}}`), the allowed values of each choice with
    their labels (`x-enum-labels`, `x-enum-labels-es`), dates as YYYY-MM-DD
    strings, and which facts are required. Each property's `title` is the
    fact's label and its `description` the question an intake form asks,
    with the citations it rests on. Any fact may be null or left out (it is
    then unknown) unless it is required. Unknown keys are refused.

    Validate requests with it (any draft 2020-12 validator) before sending
    them, or build forms from it.
    It describes the set given with --ordinances: regenerate it when the law
    set changes (its `$id` and `x-ordinance-set` name the set's content hash).
    `ordinance check` validates requests itself and stays the authority.

    \b
    Examples:
      ordinance schema > request.schema.json
      ordinance schema --ordinances my-laws/ > request.schema.json
      check-jsonschema --schemafile request.schema.json request.json
    """
    laws = load_laws(ordinances)
    from ..service.schema import request_schema

    click.echo(json.dumps(request_schema(laws.model), indent=2, ensure_ascii=False))
