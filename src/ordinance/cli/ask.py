"""``ordinance ask``: complete a request by an interview, then decide it."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import yaml

from ..engine.inputs import read_requests
from ..language.errors import InputError, RequestError
from ..outputs.render import to_text
from .common import (
    EXIT_UNDETERMINED,
    ORDINANCES_OPTION,
    OUTCOME_EXIT,
    InvalidInput,
    fail,
    load_laws,
    styler,
)

if TYPE_CHECKING:
    from ..service.interview import Question


def _show(question: Question, number: int) -> None:
    """Print a question, its choices and who asks it, on standard error."""
    lines = [f"\n[{number}] {question.text}"]
    why = ("needed for every request" if question.required
           else "asked by " + "; ".join(question.asked_by) if question.asked_by
           else "asked to decide")
    lines.append(f"    {question.fact}: {why}")
    if question.why:
        lines.append(f"    ({question.why})")
    for index, choice in enumerate(question.choices, 1):
        if question.kind == "bool":
            lines.append(f"      {index:>2}) {choice.label}")
        elif choice.label != choice.value.replace("_", " "):
            lines.append(f"      {index:>2}) {choice.value} - {choice.label}")
        else:
            lines.append(f"      {index:>2}) {choice.value}")
    lines.append(f"    {question.hint}" + ("" if question.required else "; `skip` if not known"))
    click.echo("\n".join(lines), err=True)


def _save(path: Path, request: dict[str, Any]) -> None:
    if path.suffix.lower() == ".json":
        text = json.dumps(request, indent=2, ensure_ascii=False) + "\n"
    else:
        text = yaml.safe_dump(request, sort_keys=False, allow_unicode=True)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise InvalidInput(f"error: cannot write the request to {path}: "
                           f"{error.strerror}") from None


@click.command()
@click.argument("partial", required=False, metavar="[PARTIAL_REQUEST]")
@ORDINANCES_OPTION
@click.option("--save", "save", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write the completed request to this file (JSON if it ends in .json, "
                   "YAML otherwise), for `ordinance check` or the records.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="How to print the decision: text for people, json for "
                                      "machines (the decision contract).")
def ask(partial: str | None, ordinances: Path | None, save: Path | None, fmt: str) -> None:
    """Complete a request by answering questions, then decide it.

    Starts from PARTIAL_REQUEST (a YAML or JSON file with one request) or from
    nothing. It first asks what every request needs (the kind of holder, its
    state, the data), then decides; while the outcome is undetermined it asks
    about one missing fact -- only facts whose answer can change the outcome,
    each with the citations that ask it and what its answer decides: who asks
    and where the holder is first, then the fact after whose answer the fewest
    facts still matter -- and decides again after every answer. It stops as soon as the outcome is
    determined and prints the decision.

    Answer a choice by its number or its value (yes/no for yes-or-no questions,
    YYYY-MM-DD for dates); `skip` leaves a fact unknown. A wrong answer is asked
    again with the reason. Questions go to standard error, the decision to
    standard output. The exit code is the outcome's; end of input or Ctrl-C
    stops the interview with exit code 3 (undetermined: facts are missing),
    saving nothing.

    \b
    Example:
      ordinance ask examples/release-date-convictions-unknown.yaml --save done.yaml
    """
    laws = load_laws(ordinances)
    data: Any = {}
    origin = None
    if partial is not None:
        if partial == "-":
            raise click.BadParameter("the answers are read from standard input; give the "
                                     "partial request as a file", param_hint="PARTIAL_REQUEST")
        try:
            found = read_requests(partial)
        except InputError as error:
            fail(error)
        if len(found) != 1:
            raise InvalidInput(f"error: {partial}: holds {len(found)} requests; "
                               "ask completes one")
        origin, data = found[0]
    from ..service.interview import AnswerError, Interview

    try:
        interview = Interview(laws, data, origin)
    except RequestError as error:
        fail(error)

    asked = 0
    try:
        while (question := interview.next_question()) is not None:
            asked += 1
            _show(question, asked)
            while True:
                text = click.prompt("  answer", default="", show_default=False, err=True,
                                    prompt_suffix="> ")
                try:
                    interview.answer(question, text)
                    break
                except AnswerError as error:
                    click.echo(f"  not accepted: {error}", err=True)
    except (click.Abort, KeyboardInterrupt):
        click.echo("\ninterview stopped before the outcome was determined; nothing saved",
                   err=True)
        sys.exit(EXIT_UNDETERMINED)

    decision = interview.final_decision()
    skipped = f", {len(interview.skipped)} skipped" if interview.skipped else ""
    click.echo(f"\n{asked} question{'s' if asked != 1 else ''} asked{skipped}; "
               f"outcome: {decision.outcome}\n", err=True)
    if fmt == "json":
        click.echo(json.dumps(decision.to_dict(), indent=2, ensure_ascii=False))
    else:
        style = styler(sys.stdout.isatty() and "NO_COLOR" not in os.environ)
        click.echo(to_text(decision, style))
    if save is not None:
        _save(save, interview.request().to_dict())
        click.echo(f"saved the request to {save}", err=True)
    sys.exit(OUTCOME_EXIT[decision.outcome])
