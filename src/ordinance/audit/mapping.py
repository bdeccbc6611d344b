"""Mapping files: how the columns of a sharing log become the facts of a request.

A mapping (YAML) has, all optional but ``facts``:

- ``columns``: the column names in order, for exports that come without a header row;
- ``redacted``: cell values that mean "withheld" (the fact is then unknown, never a value);
- ``constants``: facts every row shares (the audited holder, the data, the act);
- ``facts``: per fact, the ``column`` it is read from, then how: ``time_format`` (for
  ``date``), ``lookup`` (a table of cell -> value, inline or ``file`` + ``key`` + ``value``
  columns of a CSV), ``rules`` (ordered regular expressions, first match wins, matched
  anywhere in the cell, case as written: start one with ``(?i)`` to ignore case) and
  ``otherwise`` (the value when nothing matched; by default the fact is unknown and the
  row counts as not classified).

It is checked against the law set's vocabulary like a law file: each error names the
file, line and column, shows the line with a caret and suggests the closest name.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
from collections.abc import Mapping as MappingABC
from pathlib import Path
from typing import Any

import attrs
import yaml

from ..checker.model import OrdinanceModel
from ..engine.evaluator import Engine
from ..language.diagnostics import Diagnostic, Report, Severity, did_you_mean
from ..language.errors import LawError
from ..language.source import SourceFile, Span

PRESETS = Path(__file__).resolve().parent / "presets"
"""The bundled mappings (``--map NAME`` names one of them)."""


class MappingError(LawError):
    """A mapping file failed its check: every diagnostic, rendered like a law file's."""


class ConstantError(ValueError):
    """A constant given beside the mapping (``--holder``) does not fit the vocabulary."""


@attrs.frozen
class Rule:
    """One ordered regular expression: a cell it matches gives the fact ``value``."""

    pattern: str
    value: Any


@attrs.frozen
class FactMap:
    """How one fact is read from one column."""

    fact: str
    column: str
    time_format: str | None = None
    lookup: tuple[tuple[str, Any], ...] = ()  # (cell, value), matched trimmed, any case
    rules: tuple[Rule, ...] = ()
    otherwise: Any = None

    @property
    def classifies(self) -> bool:
        """Whether a cell may fail to give a value (a time, a lookup or rules with no
        fallback)."""
        return bool(self.lookup or self.rules or self.time_format) and self.otherwise is None

    def value_of(self, cell: str | None, redacted: frozenset[str]) -> Any:
        """The fact's value for one cell, as the SQL the audit generates computes it (the
        reference the tests compare the SQL with); None when unknown."""
        if cell is None or cell.strip() in redacted or not cell.strip():
            return None
        text = cell.strip()
        if self.time_format is not None:
            try:
                return dt.datetime.strptime(text, self.time_format).date()
            except ValueError:
                return None
        if not (self.lookup or self.rules):
            return text
        for key, value in self.lookup:
            if key.casefold() == text.casefold():
                return value
        for rule in self.rules:
            if re.search(rule.pattern, text):
                return rule.value
        return self.otherwise


@attrs.frozen
class LogMapping:
    """A checked mapping."""

    name: str
    path: str
    digest: str
    columns: tuple[str, ...]
    redacted: frozenset[str]
    constants: tuple[tuple[str, Any], ...]
    facts: tuple[FactMap, ...]
    warnings: tuple[Diagnostic, ...] = ()

    def row_facts(self, row: MappingABC[str, str | None]) -> dict[str, Any]:
        """Every fact of one row (constants and mapped facts), unknown ones left out."""
        out: dict[str, Any] = dict(self.constants)
        for fact_map in self.facts:
            value = fact_map.value_of(row.get(fact_map.column), self.redacted)
            if value is not None:
                out[fact_map.fact] = value
        return out


def from_text(model: OrdinanceModel, fact: str, text: str) -> Any:
    """A fact's value written as text (a command-line option, a cell as the audit's SQL
    gives it): ``true``/``false`` for a yes-no fact, an ISO date for a date, other kinds
    as written. Text that is neither is returned as it is, for the check to name."""
    spec = model.facts.get(fact)
    if spec is not None and spec.kind == "bool":
        return {"true": True, "false": False}.get(text.strip().lower(), text)
    if spec is not None and spec.kind == "date":
        try:
            return dt.date.fromisoformat(text.strip()[:10])
        except ValueError:
            return text
    return text


def resolve(name_or_path: str) -> Path:
    """A preset's file (``flock-network-audit``) or the path given."""
    preset = PRESETS / f"{name_or_path}.yaml"
    if "/" not in name_or_path and preset.is_file():
        return preset
    return Path(name_or_path)


def preset_names() -> list[str]:
    """The bundled mappings' names."""
    return sorted(p.stem for p in PRESETS.glob("*.yaml"))


class _Reader:
    """Turns the YAML node tree into plain values, remembering where each came from."""

    def __init__(self, source: SourceFile, report: Report) -> None:
        self.source = source
        self.report = report

    def span(self, node: yaml.Node) -> Span:
        start, end = node.start_mark, node.end_mark
        end_column = end.column + 1 if end.line == start.line else start.column + 2
        return Span(self.source, start.line + 1, start.column + 1, start.line + 1,
                    max(end_column, start.column + 2))

    def error(self, node: yaml.Node, message: str, help: str | None = None) -> None:
        self.report.error("mapping", message, self.span(node), help)

    def mapping(self, node: yaml.Node, what: str) -> list[tuple[str, yaml.Node, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{what} must be a mapping of names to values")
            return []
        out: list[tuple[str, yaml.Node, yaml.Node]] = []
        seen: set[str] = set()
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else None
            if not isinstance(name, str):
                self.error(key, f"a key of {what} must be a name")
                continue
            if name in seen:
                self.error(key, f"`{name}` is given twice in {what}",
                           "a mapping names each key once; the second would silently win")
                continue
            seen.add(name)
            out.append((name, key, value))
        return out

    def plain(self, node: yaml.Node) -> Any:
        return yaml.safe_load(yaml.serialize(node))

    def text(self, node: yaml.Node, what: str) -> str | None:
        value = self.plain(node)
        if not isinstance(value, str) or not value:
            self.error(node, f"{what} must be a non-empty text")
            return None
        return value

    def texts(self, node: yaml.Node, what: str) -> list[str]:
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, f"{what} must be a list of texts")
            return []
        return [t for t in (self.text(item, f"each of {what}") for item in node.value)
                if t is not None]


_TOP = ("name", "describes", "columns", "redacted", "constants", "facts")
_FACT_KEYS = ("column", "time_format", "lookup", "rules", "otherwise")


def load_mapping(name_or_path: str, engine: Engine,
                 constants: MappingABC[str, Any] | None = None) -> LogMapping:
    """Read and check a mapping (a preset's name or a file), with ``constants`` added or
    overriding the file's (``--holder county=Alameda`` gives ``holder.county``).

    Raises:
        MappingError: every problem of the file, each with file:line:column.
        ConstantError: a constant given beside it that does not fit the vocabulary.
        OSError: when the file cannot be read.
    """
    path = resolve(name_or_path)
    text = path.read_text(encoding="utf-8")
    display = (f"(preset {path.stem})" if path.parent == PRESETS else str(name_or_path))
    source = SourceFile(display, text)
    report = Report()
    reader = _Reader(source, report)
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        report.error("mapping", f"not YAML: {getattr(error, 'problem', error)}",
                     Span(source, line, column, line, column + 1))
        raise MappingError(report.sorted()) from None
    if root is None:
        report.error("mapping", "the mapping is empty", Span.whole_file(source),
                     "see docs/audit.md for the keys a mapping has")
        raise MappingError(report.sorted())
    entries = dict((name, (key, value))
                   for name, key, value in reader.mapping(root, "the mapping"))
    for name, (key, _value) in entries.items():
        if name not in _TOP:
            reader.error(key, f"unknown key `{name}`",
                         did_you_mean(name, _TOP) or "allowed: " + ", ".join(_TOP))
    model = engine.model
    checker = _Checker(engine, reader)
    columns = tuple(reader.texts(entries["columns"][1], "`columns`")) \
        if "columns" in entries else ()
    redacted = frozenset(reader.texts(entries["redacted"][1], "`redacted`")) \
        if "redacted" in entries else frozenset()
    fixed: dict[str, Any] = {}
    if "constants" in entries:
        for fact, key, value in reader.mapping(entries["constants"][1], "`constants`"):
            checked = checker.value(fact, key, value)
            if checked is not _BAD:
                fixed[fact] = checked
    for fact, text in (constants or {}).items():
        value = from_text(model, fact, text) if isinstance(text, str) else text
        problem = checker.problem(fact, value)
        if problem:
            raise ConstantError(problem)
        fixed[fact] = checker.coerce(fact, value)
    facts: list[FactMap] = []
    if "facts" not in entries:
        report.error("mapping", "the mapping has no `facts`", Span.whole_file(source),
                     "`facts` says which column each fact is read from")
    else:
        for fact, key, body in reader.mapping(entries["facts"][1], "`facts`"):
            found = checker.fact_map(fact, key, body, path.parent)
            if found is not None:
                facts.append(found)
    if columns:
        for fact_map in facts:
            if fact_map.column not in columns:
                report.error("mapping", f"fact `{fact_map.fact}` reads column "
                             f"`{fact_map.column}`, which `columns` does not list",
                             Span.whole_file(source),
                             did_you_mean(fact_map.column, columns))
    if report.errors:
        raise MappingError(report.sorted())
    mapped = set(fixed) | {f.fact for f in facts}
    warnings = tuple(Diagnostic(
        "unknown-on-every-row", f"fact `{fact}` is read by the laws but set by no column or "
        "constant: it is unknown on every row", Span.whole_file(source),
        "decisions that turn on it come out undetermined, naming it as missing",
        Severity.WARNING, (fact,)) for fact in checker.read_by_laws(fixed) if fact not in mapped)
    name = entries["name"][1].value if "name" in entries else path.stem
    digest = hashlib.sha256(text.encode("utf-8") + repr(sorted(
        (k, str(v)) for k, v in (constants or {}).items())).encode()).hexdigest()[:16]
    return LogMapping(str(name), display, digest, columns, redacted,
                      tuple(sorted(fixed.items())), tuple(facts), warnings)


_BAD = object()


class _Checker:
    """Checks names and values against the vocabulary."""

    def __init__(self, engine: Engine, reader: _Reader) -> None:
        self.engine = engine
        self.model = engine.model
        self.reader = reader

    def problem(self, fact: str, value: Any) -> str | None:
        spec = self.model.facts.get(fact)
        if fact == "data":
            values = value if isinstance(value, list) else [value]
            unknown = [v for v in values if v not in self.model.hierarchy.categories]
            return (f"`data`: unknown categories {', '.join(map(str, unknown))}" if unknown
                    else None)
        if spec is None:
            hint = did_you_mean(fact, self.model.facts)
            return f"unknown fact `{fact}`" + (f"; {hint}" if hint else "")
        if spec.kind == "bool" and not isinstance(value, bool):
            return f"`{fact}` is true or false, not `{value}`"
        if spec.kind == "one_of" and value not in spec.values:
            hint = did_you_mean(str(value), spec.values)
            return (f"`{fact}` cannot be `{value}`; allowed: {', '.join(spec.values)}"
                    + (f" ({hint})" if hint else ""))
        if spec.kind == "date" and not isinstance(value, dt.date):
            return f"`{fact}` is a date (YYYY-MM-DD), not `{value}`"
        return None

    def coerce(self, fact: str, value: Any) -> Any:
        if fact == "data":
            return tuple(sorted(value if isinstance(value, list) else [value]))
        return value

    def value(self, fact: str, key: yaml.Node, node: yaml.Node) -> Any:
        value = self.reader.plain(node)
        problem = self.problem(fact, value)
        if problem:
            self.reader.error(key if "fact `" in problem else node, problem)
            return _BAD
        return self.coerce(fact, value)

    def fact_map(self, fact: str, key: yaml.Node, body: yaml.Node,
                 base: Path) -> FactMap | None:
        spec = self.model.facts.get(fact)
        if spec is None or fact == "data":
            self.reader.error(key, f"unknown fact `{fact}`"
                              if fact != "data" else "`data` is a constant of the mapping, "
                              "not read from a column", did_you_mean(fact, self.model.facts))
            return None
        if isinstance(body, yaml.ScalarNode):  # `fact: Column Name`
            column = self.reader.text(body, f"the column of `{fact}`")
            return FactMap(fact, column) if column else None
        entries = {name: (k, v) for name, k, v in self.reader.mapping(body, f"`{fact}`")}
        for name, (k, _v) in entries.items():
            if name not in _FACT_KEYS:
                self.reader.error(k, f"unknown key `{name}` of `{fact}`",
                                  did_you_mean(name, _FACT_KEYS) or
                                  "allowed: " + ", ".join(_FACT_KEYS))
        if "column" not in entries:
            self.reader.error(key, f"`{fact}` names no `column`")
            return None
        column = self.reader.text(entries["column"][1], f"the column of `{fact}`")
        time_format = None
        if "time_format" in entries:
            if spec.kind != "date":
                self.reader.error(entries["time_format"][0],
                                  f"`time_format` is for a date; `{fact}` is {spec.kind}")
            time_format = self.reader.text(entries["time_format"][1], "`time_format`")
        elif spec.kind == "date":
            self.reader.error(key, f"`{fact}` is a date: give its `time_format` "
                              "(e.g. \"%m/%d/%Y, %I:%M:%S %p UTC\")")
        lookup: list[tuple[str, Any]] = []
        if "lookup" in entries:
            lookup = self._lookup(fact, entries["lookup"][1], base)
        rules: list[Rule] = []
        if "rules" in entries:
            rules = self._rules(fact, entries["rules"][1])
        otherwise = None
        if "otherwise" in entries:
            otherwise = self.value(fact, entries["otherwise"][0], entries["otherwise"][1])
            otherwise = None if otherwise is _BAD else otherwise
        if column is None:
            return None
        return FactMap(fact, column, time_format, tuple(lookup), tuple(rules), otherwise)

    def _rules(self, fact: str, node: yaml.Node) -> list[Rule]:
        if not isinstance(node, yaml.SequenceNode):
            self.reader.error(node, f"the `rules` of `{fact}` must be a list of "
                              "{match: REGEX, value: VALUE}")
            return []
        out = []
        for item in node.value:
            entries = {name: (k, v) for name, k, v in self.reader.mapping(item, "a rule")}
            if set(entries) != {"match", "value"}:
                self.reader.error(item, "a rule is {match: REGEX, value: VALUE}")
                continue
            pattern = self.reader.text(entries["match"][1], "`match`")
            if pattern is None:
                continue
            try:
                re.compile(pattern)
            except re.error as error:
                self.reader.error(entries["match"][1], f"not a regular expression: {error}")
                continue
            if re.search(r"\(\?<?[=!]|\\[1-9]", pattern):
                self.reader.error(entries["match"][1], "look-around and back-references are "
                                  "not allowed (the SQL engines' RE2 has neither)")
                continue
            value = self.value(fact, entries["value"][0], entries["value"][1])
            if value is not _BAD:
                out.append(Rule(pattern, value))
        return out

    def _lookup(self, fact: str, node: yaml.Node, base: Path) -> list[tuple[str, Any]]:
        if isinstance(node, yaml.MappingNode) and any(
                k.value == "file" for k, _v in node.value if isinstance(k, yaml.ScalarNode)):
            entries = {name: (k, v) for name, k, v in self.reader.mapping(node, "`lookup`")}
            if set(entries) != {"file", "key", "value"}:
                self.reader.error(node, "a lookup file is {file: CSV, key: COLUMN, "
                                  "value: COLUMN}")
                return []
            name, key_col, value_col = (self.reader.plain(entries[k][1])
                                        for k in ("file", "key", "value"))
            path = (base / str(name)) if not Path(str(name)).is_absolute() else Path(str(name))
            try:
                with path.open(encoding="utf-8", newline="") as handle:
                    rows = list(csv.DictReader(handle))
            except OSError as error:
                self.reader.error(entries["file"][1], f"cannot read {path}: {error.strerror}")
                return []
            out = []
            for number, row in enumerate(rows, start=2):
                if key_col not in row or value_col not in row:
                    self.reader.error(node, f"{path} has no column `{key_col}` or "
                                      f"`{value_col}`")
                    return []
                problem = self.problem(fact, row[value_col])
                if problem:
                    self.reader.error(entries["file"][1], f"{path}:{number}: {problem}")
                    continue
                out.append((str(row[key_col]).strip(), self.coerce(fact, row[value_col])))
            return out
        out = []
        for cell, key, value_node in self.reader.mapping(node, "`lookup`"):
            value = self.value(fact, key, value_node)
            if value is not _BAD:
                out.append((cell.strip(), value))
        return out

    def read_by_laws(self, constants: MappingABC[str, Any]) -> list[str]:
        """Facts read by the rules that speak to the mapped data, of the laws that can
        reach a holder the constants describe (their place, if not given, left open)."""
        from ..engine.conditions import facts_used

        env = {fact: frozenset(value) if fact == "data" else value
               for fact, value in constants.items()}
        plan = self.engine.plan(env)
        read: dict[str, None] = {}
        for rule in plan.rules:
            read.update(dict.fromkeys(facts_used(rule.when, self.model)))
        return [f for f in read if f in self.model.facts]
