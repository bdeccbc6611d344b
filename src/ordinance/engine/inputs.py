"""Reading request and case files: YAML or JSON, with limits and plain errors."""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from ..language.errors import InputError

MAX_INPUT_BYTES = 2 * 1024 * 1024
"""A request or case file larger than this (2 MiB) is refused before it is parsed."""

MAX_ALIAS_EXPANSION = 2 * MAX_INPUT_BYTES
"""What a case file's YAML aliases may expand a value to (4 MiB, counting each scalar's
text once for every use, plus one per node): room for any file without aliases (at most
1.5 units per byte of text), none for an alias bomb."""

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


class DuplicateKeyError(ValueError):
    """A mapping in an input gives the same key twice (``key`` is the key; ``line`` and
    ``column``, from 1, where it is given the second time, when known)."""

    def __init__(self, key: object, where: str = "", line: int | None = None,
                 column: int | None = None) -> None:
        shown = str(key)
        if len(shown) > 60:
            shown = shown[:57] + "..."
        self.problem = f"duplicate key `{shown}`: a key may appear only once in a mapping"
        """The message without its position."""
        if line is not None and column is not None and not where:
            where = f"line {line}, column {column}: "
        super().__init__(where + self.problem)
        self.key = key
        self.line = line
        self.column = column


def reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON ``object_pairs_hook`` that refuses a key given twice in one object.

    ``json.loads`` keeps the last of two equal keys, so ``{"public": false, "public":
    true}`` would be read as one answer where the sender wrote two. Use it as
    ``json.loads(text, object_pairs_hook=reject_duplicate_keys)``; the JSON parser
    gives the hook no position, so the error names the key only: :func:`loads_json`
    adds the line and column (:func:`locate_duplicate_key`).

    >>> reject_duplicate_keys([("a", 1), ("b", 2)])
    {'a': 1, 'b': 2}
    >>> reject_duplicate_keys([("a", 1), ("a", 2)])
    Traceback (most recent call last):
    ...
    ordinance.engine.inputs.DuplicateKeyError: duplicate key `a`: ...

    Raises:
        DuplicateKeyError: a ``ValueError`` naming the key.
    """
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for name, _ in pairs:
            if name in seen:
                raise DuplicateKeyError(name)
            seen.add(name)
    return result


def loads_json(text: str, **options: Any) -> Any:
    """``json.loads`` with integers bounded by :data:`MAX_INT_DIGITS` and no key given
    twice in one object (:func:`reject_duplicate_keys`); ``options`` are more of its
    keyword arguments (``parse_constant``, ``parse_float``).

    A duplicate key's error gives the line and column of its second occurrence: the text
    is parsed by the fast (C) parser, and only when it finds a duplicate is it parsed
    again by the slow one, which can say where (:func:`locate_duplicate_key`).

    >>> loads_json('{"a": 1, "a": 2}')
    Traceback (most recent call last):
    ...
    ordinance.engine.inputs.DuplicateKeyError: line 1, column 10: duplicate key `a`: ...

    Raises:
        json.JSONDecodeError: on a syntax error.
        ValueError: on an integer that is too long, or a duplicate key
            (:class:`DuplicateKeyError`).
    """
    try:
        return json.loads(text, parse_int=bounded_int, object_pairs_hook=reject_duplicate_keys,
                          **options)
    except DuplicateKeyError as error:
        raise locate_duplicate_key(text, error, **options) from None


def locate_duplicate_key(text: str, error: DuplicateKeyError, **options: Any
                         ) -> DuplicateKeyError:
    """``error`` (raised by :func:`reject_duplicate_keys` as ``json.loads`` read ``text``
    with ``options``) with the line and column of the key's second occurrence, found by
    reading ``text`` again with the pure-Python scanner; ``error`` itself when that
    cannot say (nested past the recursion limit, or another error comes first).

    Each object's ``parse_object`` (``json.decoder.JSONObject``, given ``(text, end)``
    just after its ``{``) is wrapped to note where each of its values ends; the ``i``-th
    key is the string after the ``i-1``-th value's end (and a comma). Objects close, and
    are checked, in the same order in both parsers, so the first duplicate found is the
    one the fast parser found.
    """
    def parse_object(s_and_end: tuple[str, int], strict: bool,
                     scan_once: Callable[[str, int], tuple[Any, int]], object_hook: Any,
                     object_pairs_hook: Any, memo: Any = None) -> Any:
        s, end = s_and_end
        starts = [end]  # where the search for each key begins

        def scan(string: str, index: int) -> tuple[Any, int]:
            value, stop = scan_once(string, index)
            starts.append(stop)
            return value, stop

        def check(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
            seen: set[str] = set()
            for index, (name, _) in enumerate(pairs):
                if name in seen:
                    at = _key_start(s, starts[index], first=index == 0)
                    line = s.count("\n", 0, at) + 1
                    raise DuplicateKeyError(name, line=line, column=at - s.rfind("\n", 0, at))
                seen.add(name)
            return dict(pairs)

        return _JSON_OBJECT(s_and_end, strict, scan, object_hook, check, memo)

    decoder: Any = json.JSONDecoder(parse_int=bounded_int, **options)
    decoder.parse_object = parse_object
    decoder.scan_once = _PY_MAKE_SCANNER(decoder)
    try:
        decoder.decode(text)
    except DuplicateKeyError as located:
        return located if located.key == error.key else error
    except (ValueError, RecursionError):
        return error
    return error


def _key_start(text: str, index: int, first: bool) -> int:
    """Where a key begins: past blanks from ``index`` (just after the ``{``, or the end of
    the previous value) and, but for the first key, a comma and blanks."""
    index = _BLANKS.match(text, index).end()  # type: ignore[union-attr]
    if not first and text.startswith(",", index):
        index = _BLANKS.match(text, index + 1).end()  # type: ignore[union-attr]
    return index


# The pure-Python parts of the json module (not in typeshed's stubs).
_JSON_OBJECT: Callable[..., Any] = vars(json.decoder)["JSONObject"]
_PY_MAKE_SCANNER: Callable[[Any], Callable[[str, int], tuple[Any, int]]] = vars(
    json.scanner)["py_make_scanner"]

_BLANKS = re.compile(r"[ \t\n\r]*")
"""JSON's whitespace (``json.decoder.WHITESPACE``)."""


class _SafeNoAliasLoader(yaml.SafeLoader):
    """YAML's safe loader without aliases, so a small file cannot expand into a huge one,
    and without duplicate keys, which PyYAML would resolve silently (last one wins)."""

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, Any] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue  # `<<:` merges; an explicit key may override a merged one
                name = self.construct_object(key_node, deep=deep)
                try:
                    first = seen.setdefault(name, key_node.start_mark)
                except TypeError:
                    continue  # an unhashable key: the base class says so
                if first is not key_node.start_mark:
                    mark = key_node.start_mark
                    raise DuplicateKeyError(name, f"line {mark.line + 1}, column "
                                                  f"{mark.column + 1}: ") from None
        return super().construct_mapping(node, deep=deep)

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


class _BoundedAliasLoader(_SafeNoAliasLoader):
    """The request loader, but with aliases whose expansion is bounded by
    :data:`MAX_ALIAS_EXPANSION`, for case files (authors share a base request with
    ``&base`` / ``<<: *base``, and ``yaml.safe_dump`` writes aliases for shared values).

    Each node's expanded size is worked out as it is composed, from its children's
    (an alias counts the whole of what it names), so a bomb is refused after reading
    its text once, before anything is expanded. An alias inside the value it names
    (a recursive structure) is refused too.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._expanded: dict[int, int] = {}

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.events.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            named = yaml.composer.Composer.compose_node(self, parent, index)
            if id(named) not in self._expanded:
                raise InputError(f"line {mark.line + 1}, column {mark.column + 1}: a YAML "
                                 "alias inside the value it names (a recursive value)")
            return named
        node: Any = yaml.composer.Composer.compose_node(self, parent, index)
        if isinstance(node, yaml.ScalarNode):
            size = len(node.value) + 1
        elif isinstance(node, yaml.SequenceNode):
            size = 1 + sum(self._expanded[id(item)] for item in node.value)
        else:
            size = 1 + sum(self._expanded[id(key)] + self._expanded[id(value)]
                           for key, value in node.value)
        if size > MAX_ALIAS_EXPANSION:
            start = node.start_mark
            raise InputError(f"line {start.line + 1}, column {start.column + 1}: YAML aliases "
                             f"expand this value past the "
                             f"{MAX_ALIAS_EXPANSION // (1024 * 1024)} MiB limit")
        self._expanded[id(node)] = size
        return node


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
    the case files law authors write; there they may expand a value to at most
    :data:`MAX_ALIAS_EXPANSION`. A key given twice in one mapping is refused in
    YAML and JSON alike (``json.loads`` and PyYAML would keep the last).

    Raises:
        InputError: with the line and column of a syntax error, an alias or (in
            YAML) a duplicate key.
    """
    if not text.strip():
        raise InputError(f"{origin}: the file is empty; expected a request")
    try:
        if origin.endswith(".json"):
            return loads_json(text)
        loader = _BoundedAliasLoader if aliases else _SafeNoAliasLoader
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
