"""Reading request and case files: YAML or JSON, with limits and plain errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

from ..language.errors import InputError

MAX_INPUT_BYTES = 2 * 1024 * 1024
"""A request or case file larger than this (2 MiB) is refused before it is parsed."""

MAX_INT_DIGITS = 100
"""An integer in a request may have at most this many digits (a request needs far fewer;
Python refuses to convert ones past 4,300 digits at all)."""


def _too_many_digits(text: str) -> bool:
    return len(text.lstrip("+-").replace("_", "")) > MAX_INT_DIGITS


def bounded_int(text: str) -> int:
    """``int(text)``, refusing more than :data:`MAX_INT_DIGITS` digits.

    Raises:
        ValueError: naming the limit.
    """
    if _too_many_digits(text):
        raise ValueError(f"an integer has more than {MAX_INT_DIGITS} digits")
    return int(text)


def loads_json(text: str) -> Any:
    """``json.loads`` with integers bounded by :data:`MAX_INT_DIGITS`.

    Raises:
        json.JSONDecodeError: on a syntax error.
        ValueError: on an integer that is too long.
    """
    return json.loads(text, parse_int=bounded_int)


class _SafeNoAliasLoader(yaml.SafeLoader):
    """YAML's safe loader without aliases, so a small file cannot expand into a huge one."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.events.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise InputError(f"line {mark.line + 1}, column {mark.column + 1}: YAML aliases "
                             "(`*name`) are not accepted; write the value out")
        return super().compose_node(parent, index)

    def construct_yaml_int(self, node: Any) -> Any:
        if _too_many_digits(str(self.construct_scalar(node))):
            mark = node.start_mark
            raise InputError(f"line {mark.line + 1}, column {mark.column + 1}: an integer has "
                             f"more than {MAX_INT_DIGITS} digits")
        return super().construct_yaml_int(node)

    def construct_yaml_timestamp(self, node: Any) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            mark = node.start_mark
            raise InputError(f"line {mark.line + 1}, column {mark.column + 1}: "
                             f"`{self.construct_scalar(node)}` is not a valid date") from None


_SafeNoAliasLoader.add_constructor("tag:yaml.org,2002:int", _SafeNoAliasLoader.construct_yaml_int)
_SafeNoAliasLoader.add_constructor("tag:yaml.org,2002:timestamp",
                                   _SafeNoAliasLoader.construct_yaml_timestamp)


def read_text(path: str) -> tuple[str, str]:
    """Read a file (or ``-`` for standard input) as UTF-8; return ``(origin, text)``.

    Raises:
        InputError: when the file is missing, too large, binary or not UTF-8.
    """
    origin = "<stdin>" if path == "-" else path
    try:
        if path == "-":
            data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        else:
            file = Path(path)
            if file.is_dir():
                raise InputError(f"{origin}: is a directory, not a request file")
            with file.open("rb") as handle:
                data = handle.read(MAX_INPUT_BYTES + 1)
    except OSError as error:
        raise InputError(f"{origin}: cannot read: {error.strerror}") from None
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(f"{origin}: larger than the {MAX_INPUT_BYTES // (1024 * 1024)} MiB "
                         "limit for a request file")
    if b"\x00" in data:
        raise InputError(f"{origin}: binary data (NUL bytes); expected YAML or JSON text")
    try:
        return origin, data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(f"{origin}: not UTF-8 text (bad byte at offset {error.start})") from None


def parse_document(origin: str, text: str, *, aliases: bool = False) -> Any:
    """Parse YAML (a superset of JSON) or, for ``.json`` files, JSON.

    Requests come from outside, so YAML aliases (which can expand a small file
    into a huge document) are refused unless ``aliases`` is set, as it is for
    the case files law authors write.

    Raises:
        InputError: with the line and column of a syntax error.
    """
    if not text.strip():
        raise InputError(f"{origin}: the file is empty; expected a request")
    try:
        if origin.endswith(".json"):
            return loads_json(text)
        loader = yaml.SafeLoader if aliases else _SafeNoAliasLoader
        return yaml.load(text, Loader=loader)  # noqa: S506 - both are safe loaders
    except json.JSONDecodeError as error:
        raise InputError(f"{origin}:{error.lineno}:{error.colno}: invalid JSON: "
                         f"{error.msg}") from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"{origin}:{mark.line + 1}:{mark.column + 1}" if mark else origin
        raise InputError(f"{where}: invalid YAML: {error.problem or error}") from None
    except yaml.YAMLError as error:
        raise InputError(f"{origin}: invalid YAML: {error}") from None
    except RecursionError:
        raise InputError(f"{origin}: nested too deeply to read") from None
    except InputError as error:
        raise InputError(f"{origin}: {error}") from None
    except ValueError as error:  # e.g. a date YAML reads as one but the calendar has not
        raise InputError(f"{origin}: {error}") from None


def read_requests(path: str) -> list[tuple[str, Any]]:
    """Read one request, or a list of requests, from a file; each with its origin.

    Raises:
        InputError: when the file cannot be read or parsed.
    """
    origin, text = read_text(path)
    document = parse_document(origin, text)
    if document is None:
        raise InputError(f"{origin}: the document holds no request (it is empty, or null); "
                         "expected a mapping of fields such as `holder:` and `data:`")
    if isinstance(document, list):
        if not document:
            raise InputError(f"{origin}: the list of requests is empty")
        return [(f"{origin}[{index}]", item) for index, item in enumerate(document)]
    return [(origin, document)]
