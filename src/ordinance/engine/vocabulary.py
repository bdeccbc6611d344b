"""Requests: validation against the declared facts, and their normalised form."""

from __future__ import annotations

import datetime as dt
import re
import weakref
from collections.abc import Mapping
from typing import Any

import attrs

from ..checker.model import Fact, FactValue, OrdinanceModel
from ..checker.places import CONSOLIDATED, LEVELS, Gazetteer, Place, PlaceProblem
from ..language.diagnostics import did_you_mean
from ..language.errors import Problem, RequestError

MAX_DEPTH = 8
"""How deeply a request's keys may nest."""
MAX_LIST = 100
"""How many values a list fact (such as ``data``) may hold."""
MAX_TEXT = 1000
"""How long a text value may be, in characters."""

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

RESERVED_KEYS = {"id": "an optional identifier for the request, echoed in the decision"}
"""Top-level keys that are not facts."""


@attrs.frozen
class Request:
    """A validated request: its facts by path, absent ones unknown."""

    facts: Mapping[str, FactValue]
    id: str | None = None

    def get(self, path: str) -> FactValue | None:
        """The value of a fact, or ``None`` when unknown."""
        return self.facts.get(path)

    def with_facts(self, changes: Mapping[str, FactValue | None]) -> Request:
        """A copy with some facts set (or removed, with ``None``)."""
        facts = dict(self.facts)
        for path, value in changes.items():
            if value is None:
                facts.pop(path, None)
            else:
                facts[path] = value
        return Request(facts, self.id)

    def to_dict(self) -> dict[str, Any]:
        """The request as nested JSON-ready data (dates as ISO strings, sets as lists)."""
        out: dict[str, Any] = {} if self.id is None else {"id": self.id}
        out.update(nested({path: _plain(self.facts[path]) for path in sorted(self.facts)}))
        return out


def _plain(value: FactValue) -> Any:
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def nested(flat: Mapping[str, Any]) -> dict[str, Any]:
    """Dotted paths to nested mappings, in the order given.

    >>> nested({"holder.kind": "sheriff", "holder.state": "CA", "data": ["alpr"]})
    {'holder': {'kind': 'sheriff', 'state': 'CA'}, 'data': ['alpr']}
    """
    out: dict[str, Any] = {}
    for path, value in flat.items():
        node = out
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


_FIELDS: dict[int, tuple[weakref.ref[OrdinanceModel], dict[str, tuple[str, ...]]]] = {}


def _fields(model: OrdinanceModel) -> dict[str, tuple[str, ...]]:
    """Every mapping of a request and the keys it may hold (``""`` for the top level,
    ``"holder."`` for the holder...), worked out once per model."""
    ident = id(model)
    found = _FIELDS.get(ident)
    if found is not None and found[0]() is model:
        return found[1]
    keys: dict[str, set[str]] = {"": set(RESERVED_KEYS)}
    for path in model.facts:
        parts = path.split(".")
        for depth in range(len(parts)):
            prefix = "".join(f"{part}." for part in parts[:depth])
            keys.setdefault(prefix, set()).add(parts[depth])
    fields = {prefix: tuple(sorted(names)) for prefix, names in keys.items()}
    _FIELDS[ident] = (weakref.ref(model, lambda _: _FIELDS.pop(ident, None)), fields)
    return fields


def _allowed_keys(model: OrdinanceModel, prefix: str) -> tuple[str, ...]:
    """The keys a request's mapping at ``prefix`` may hold (none for a fact's path)."""
    return _fields(model).get(prefix, ())


def _convert(fact: Fact, value: Any, model: OrdinanceModel) -> tuple[FactValue | None,
                                                                      Problem | None]:
    path = fact.path
    if fact.kind == "bool":
        if isinstance(value, bool):
            return value, None
        return None, Problem(path, f"must be true or false, not {_show(value)}",
                             ("true", "false"))
    if fact.kind == "date":
        if isinstance(value, dt.datetime):
            return value.date(), None
        if isinstance(value, dt.date):
            return value, None
        if isinstance(value, str) and _ISO_DATE.fullmatch(value):
            try:
                return dt.date.fromisoformat(value), None
            except ValueError:
                pass
        return None, Problem(path, f"must be a date written YYYY-MM-DD, not {_show(value)}")
    if fact.kind == "text":
        if isinstance(value, str) and not _is_unicode(value):
            return None, Problem(path, f"is not Unicode text (a lone surrogate in {_show(value)})")
        if isinstance(value, str) and len(value) <= MAX_TEXT:
            return value, None
        if isinstance(value, str):
            return None, Problem(path, f"is longer than {MAX_TEXT} characters")
        return None, Problem(path, f"must be text, not {_show(value)}")
    allowed = sorted(model.hierarchy.categories) if fact.kind == "categories" else list(
        fact.values)
    if fact.kind == "one_of":
        if isinstance(value, str) and value in allowed:
            return value, None
        return None, Problem(path, f"unknown value {_show(value)}", tuple(allowed),
                             did_you_mean(value, allowed) if isinstance(value, str) else None)
    # set_of / categories
    items = value if isinstance(value, list) else None
    if items is None:
        return None, Problem(path, f"must be a list of values, not {_show(value)}",
                             tuple(allowed))
    if len(items) > MAX_LIST:
        return None, Problem(path, f"lists {len(items)} values; the limit is {MAX_LIST}")
    for item in items:
        if not isinstance(item, str) or item not in allowed:
            hint = did_you_mean(item, allowed) if isinstance(item, str) else None
            return None, Problem(path, f"unknown value {_show(item)}", tuple(allowed), hint)
    if not items and fact.required:
        return None, Problem(path, "must name at least one value", tuple(allowed))
    return frozenset(items), None


def _is_unicode(text: str) -> bool:
    """False for a string holding a lone surrogate (JSON's ``"\\ud800"``): it cannot be
    written out as UTF-8, so it is refused rather than echoed."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _printable(text: str) -> str:
    """``text`` with any lone surrogate written as an escape, so a message can be printed."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _too_many_digits(value: Any) -> bool:
    """An integer too long to quote (Python will not even print one past 4,300 digits)."""
    return isinstance(value, int) and value.bit_length() > MAX_TEXT * 3.33


def _show(value: Any) -> str:
    if _too_many_digits(value):
        return f"a whole number of more than {MAX_TEXT} digits"
    try:
        text = repr(value) if not isinstance(value, str) else f"`{_printable(value)}`"
    except ValueError:  # a list or mapping holding an integer too long to print
        return f"a {type(value).__name__} holding a number too long to show"
    return text if len(text) <= 60 else text[:57] + "..."


def _kind_of_document(data: object) -> str:
    """What a document that is not a mapping is, in the words of JSON and YAML.

    >>> _kind_of_document(None), _kind_of_document([1]), _kind_of_document("x")
    ('an empty document (null)', 'a list', 'a string')
    """
    if data is None:
        return "an empty document (null)"
    if isinstance(data, bool):
        return "true or false"
    if isinstance(data, list):
        return "a list"
    if isinstance(data, str):
        return "a string"
    if isinstance(data, int | float):
        return "a number"
    return type(data).__name__


def validate(model: OrdinanceModel, data: Any, origin: str | None = None,
             today: dt.date | None = None) -> Request:
    """Check a request (decoded JSON or YAML) against the vocabulary.

    Unknown keys and values are errors naming the field and listing what is
    allowed; every problem is reported at once. A ``null`` value counts as
    absent (unknown). ``date`` defaults to today and facts with a ``default``
    take it when absent.

    Raises:
        RequestError: listing every problem found.
    """
    if not isinstance(data, dict):
        raise RequestError([Problem("", "a request must be a mapping of fields to values, "
                                    f"not {_kind_of_document(data)}",
                                    tuple(_allowed_keys(model, "")))], origin)
    problems: list[Problem] = []
    facts: dict[str, FactValue] = {}
    request_id: str | None = None
    invalid: set[str] = set()
    stack: list[tuple[str, dict[Any, Any], int]] = [("", data, 1)]
    while stack:
        prefix, mapping, depth = stack.pop()
        allowed = _allowed_keys(model, prefix)
        for key in mapping:
            path = f"{prefix}{key}"
            value = mapping[key]
            if not isinstance(key, str):
                problems.append(Problem(prefix.rstrip(".") or "(top level)",
                                        f"keys must be text, not {_show(key)}", tuple(allowed)))
                continue
            if not prefix and key == "id":
                if value is not None and (isinstance(value, bool)
                                          or not isinstance(value, str | int)):
                    problems.append(Problem("id", "must be text or a whole number, not "
                                            f"{_show(value)}"))
                elif _too_many_digits(value) or (value is not None
                                                 and len(str(value)) > MAX_TEXT):
                    problems.append(Problem("id", f"is longer than {MAX_TEXT} characters"))
                elif isinstance(value, str) and not _is_unicode(value):
                    problems.append(Problem("id", "is not Unicode text (a lone surrogate in "
                                            f"{_show(value)})"))
                else:
                    request_id = None if value is None else str(value)
                continue
            if path in model.facts:
                if value is None:
                    continue
                converted, problem = _convert(model.facts[path], value, model)
                if problem is not None:
                    problems.append(problem)
                    invalid.add(path)
                elif converted is not None:
                    facts[path] = converted
            elif key in allowed:
                if value is None:
                    continue
                if not isinstance(value, dict):
                    problems.append(Problem(path, f"must be a mapping of "
                                            f"{', '.join(_allowed_keys(model, path + '.'))}, "
                                            f"not {_show(value)}"))
                elif depth >= MAX_DEPTH:
                    problems.append(Problem(path, f"nests deeper than {MAX_DEPTH} levels"))
                else:
                    stack.append((path + ".", value, depth + 1))
            else:
                problems.append(Problem(_printable(path), "unknown field", tuple(allowed),
                                        did_you_mean(key, allowed)))
    problems += resolve_places(model, facts, invalid)
    for fact in model.facts.values():
        if fact.path in facts or fact.path in invalid:
            continue
        if fact.default is not None:
            facts[fact.path] = fact.default
        elif fact.path == "date" and fact.kind == "date":
            facts["date"] = today or dt.date.today()
        elif fact.required:
            required_allowed = (tuple(sorted(model.hierarchy.categories))
                                if fact.kind == "categories" else fact.values)
            problems.append(Problem(fact.path, "is required", required_allowed))
    if problems:
        problems.sort(key=lambda p: p.field)
        raise RequestError(problems, origin)
    return Request(facts, request_id)


def gazetteer(model: OrdinanceModel) -> Gazetteer:
    """The place resolver for a law set: the tables' states and counties, its laws' cities."""
    return Gazetteer(tuple(sorted(
        (places["state"], places["county"], places["city"])
        for places in (dict(law.places) for law in model.laws.values())
        if {"state", "county", "city"} <= places.keys())))


def resolve_places(model: OrdinanceModel, facts: dict[str, FactValue],
                   invalid: set[str]) -> list[Problem]:
    """Replace the holder's state, county and city, as typed, by their canonical names
    (``California`` → ``CA``, ``City and County of San Francisco`` → ``San Francisco``);
    a city the library names brings its county. Returns the places that cannot be
    resolved, each with the nearest names."""
    if not all(f"holder.{level}" in model.facts for level in LEVELS):
        return []
    places = gazetteer(model)
    problems: list[Problem] = []

    def fail(problem: PlaceProblem) -> None:
        hint = "did you mean " + " or ".join(problem.nearest) + "?" if problem.nearest else None
        problems.append(Problem(f"holder.{problem.level}", problem.message, help=hint))
        invalid.add(f"holder.{problem.level}")

    typed = {level: facts.get(f"holder.{level}") for level in LEVELS}
    city_text = typed["city"]
    if isinstance(city_text, str) and "," in city_text:  # "Oakland, CA"
        city_text, _, state_text = city_text.rpartition(",")
        named = places.state(state_text)
        if isinstance(named, PlaceProblem):
            fail(attrs.evolve(named, level="city", message=f"{named.message} after the comma "
                              f"in {typed['city']!r}"))
            return problems
        if typed["state"] is None:
            typed["state"] = named.name
        elif (given := places.state(str(typed["state"]))) != named and not isinstance(
                given, PlaceProblem):
            fail(PlaceProblem("city", f"{typed['city']!r} names {named.official}, but "
                              f"holder.state is {given.official}"))
            return problems
    if not isinstance(typed["state"], str):
        return problems
    state = places.state(typed["state"])
    if isinstance(state, PlaceProblem):
        fail(state)
        return problems
    facts["holder.state"] = state.name
    county: Place | None = None
    if isinstance(typed["county"], str) and typed["county"].strip():
        found = places.county(state, typed["county"])
        if isinstance(found, PlaceProblem):
            fail(found)
            return problems
        county = found
        facts["holder.county"] = county.name
    if isinstance(city_text, str) and city_text.strip():
        city = places.city(state, city_text, county)
        if isinstance(city, PlaceProblem):
            fail(city)
            return problems
        facts["holder.city"] = city.name
        if city.county is not None:
            facts["holder.county"] = city.county
    elif county is not None and (state.name, county.name) in CONSOLIDATED:
        facts["holder.city"] = county.name  # the county is the city
    return problems


def resolve_named(model: OrdinanceModel, named: Mapping[str, FactValue]) -> tuple[Place, ...]:
    """The places ``{"state": .., "county": .., "city": ..}`` name (canonical names, as a
    validated request or a law file holds them), widest first; unknown ones left out."""
    places = gazetteer(model)
    out: list[Place] = []
    state_name = named.get("state")
    if not isinstance(state_name, str):
        return ()
    state = places.state(state_name)
    if isinstance(state, PlaceProblem):
        return ()
    out.append(state)
    county: Place | None = None
    if isinstance(named.get("county"), str):
        found = places.county(state, str(named["county"]))
        if isinstance(found, Place):
            county = found
            out.append(found)
    if isinstance(named.get("city"), str):
        city = places.city(state, str(named["city"]), county)
        if isinstance(city, Place):
            out.append(city)
    return tuple(out)


def holder_places(model: OrdinanceModel, facts: Mapping[str, FactValue]) -> tuple[Place, ...]:
    """Where a validated request's holder is, widest first."""
    return resolve_named(model, {level: facts[f"holder.{level}"] for level in LEVELS
                                 if f"holder.{level}" in facts})


def place_name(model: OrdinanceModel, places: tuple[tuple[str, str], ...]) -> str:
    """The official name of the most local of a law's places ("City of Oakland")."""
    found = resolve_named(model, dict(places))
    if found and found[-1].level == places[-1][0]:
        return found[-1].official
    return places[-1][1] if places else ""
