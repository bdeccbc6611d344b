"""Hypothesis strategies for requests: valid ones over the bundled vocabulary, and hostile ones.

``valid_requests()`` draws requests the vocabulary accepts: every fact optional
except the required ones, values from the declared values and categories,
ISO dates, unknown facts left out. ``hostile_requests()`` mutates them (wrong
types, unknown keys, odd text, lists past the limit, nesting past the limit,
a non-mapping top level); ``hostile_bodies()`` gives raw bytes (duplicate keys,
NaN, huge integers, invalid UTF-8, an empty body, truncated or deep JSON).

The long run (``ORDINANCE_FUZZ=long``) raises every budget: see :func:`budget`.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import random
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

import ordinance
from ordinance.engine.vocabulary import MAX_DEPTH, MAX_LIST, MAX_TEXT, nested

from .conftest import ORDINANCES

LONG = os.environ.get("ORDINANCE_FUZZ") == "long"


def budget(examples: int, long_examples: int | None = None) -> settings:
    """Hypothesis settings: ``examples`` in the suite, many more with ``ORDINANCE_FUZZ=long``.

    No deadline (the first examples warm caches); the hang guard is separate.
    """
    return settings(max_examples=(long_examples or examples * 40) if LONG else examples,
                    deadline=None, derandomize=not LONG,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


@functools.cache
def bundled() -> ordinance.OrdinanceSet:
    """The bundled law set, loaded once per process."""
    return ordinance.load(ORDINANCES)


# Places the bundled laws name, plus some they do not (so not_covered is reached too), each
# consistent (a city in its county and state: an inconsistent one is an input error).
PLACES: list[tuple[str, str | None, str | None]] = [
    ("CA", None, None), ("CA", None, None), ("CA", "Alameda", None),
    ("CA", "Alameda", "Oakland"), ("CA", None, "Oakland"), ("CA", "Alameda", "Berkeley"),
    ("CA", "San Francisco", "San Francisco"), ("CA", "San Francisco", None),
    ("CA", "Humboldt", None), ("CA", "San Diego", "San Diego"), ("CA", "Los Angeles", None),
    ("CA", "Fresno", "Fresno"), ("NV", None, None), ("OR", "Multnomah", "Portland")]
STATES = sorted({state for state, _, _ in PLACES})
COUNTIES = sorted({county for _, county, _ in PLACES if county})
CITIES = sorted({city for _, _, city in PLACES if city})
DATES = st.dates(dt.date(2014, 1, 1), dt.date(2027, 12, 31))
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)


PLACE_FACTS = ("holder.state", "holder.county", "holder.city")


def _value(fact: Any, categories: list[str]) -> st.SearchStrategy[Any]:
    if fact.kind == "bool":
        return st.booleans()
    if fact.kind == "date":
        return DATES.map(dt.date.isoformat)
    if fact.kind == "text":
        return TEXT
    if fact.kind == "one_of":
        return st.sampled_from(list(fact.values))
    values = categories if fact.kind == "categories" else list(fact.values)
    return st.lists(st.sampled_from(values), min_size=1 if fact.required else 0,
                    max_size=4, unique=True)


@st.composite
def valid_requests(draw: st.DrawFn, *, dated: bool = True, id_: bool = True
                   ) -> dict[str, Any]:
    """A request the bundled vocabulary accepts (as decoded JSON)."""
    model = bundled().model
    categories = sorted(model.hierarchy.categories)
    flat: dict[str, Any] = {}
    place = draw(st.sampled_from(PLACES))
    for path, value in zip(PLACE_FACTS, place, strict=True):
        if value is not None:
            flat[path] = value
    for path in sorted(model.facts):
        fact = model.facts[path]
        if path in PLACE_FACTS:
            continue
        if path == "date" and dated:
            flat[path] = draw(DATES.map(dt.date.isoformat))
        elif fact.required or draw(st.integers(0, 3)) == 0:
            flat[path] = draw(_value(fact, categories))
    request = nested(flat)
    if id_ and draw(st.booleans()):
        request["id"] = draw(st.one_of(TEXT, st.integers(-10**6, 10**6)))
    return request


# ---------------------------------------------------------------- hostile values

SCALARS: st.SearchStrategy[Any] = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=10**50, max_value=10**120),
    st.just(5000).map(lambda n: 10**n), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["true", "false", "null", "1", "", " ", "2024-02-30", "2024-5-1",
                     "release_date ", "RELEASE_DATE", "sheriff\x00", "\u202esheriff",
                     "\ud7ff", "🛂", "CA\n", "\t"]),
    st.text(max_size=20),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20),
    st.text(st.characters(max_codepoint=0x1f), max_size=5),
    st.integers(MAX_TEXT - 1, MAX_TEXT + 3).map(lambda n: "x" * n),
    st.just("é" * 100_000))

JSON_VALUES: st.SearchStrategy[Any] = st.recursive(
    SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                     st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)


def deep(depth: int, leaf: Any = True, key: str = "subject") -> Any:
    """``{"subject": {"subject": ... leaf}}`` ``depth`` mappings deep."""
    value = leaf
    for _ in range(depth):
        value = {key: value}
    return value


HOSTILE_VALUES: st.SearchStrategy[Any] = st.one_of(
    JSON_VALUES,
    st.integers(MAX_LIST - 1, MAX_LIST + 2).map(lambda n: ["release_date"] * n),
    st.just(100_000).map(lambda n: ["release_date"] * n),
    st.integers(MAX_DEPTH - 1, MAX_DEPTH + 2).map(deep),
    st.just(300).map(deep),
    st.builds(lambda n: [[[]] * n], st.integers(0, 3)),
)


def _paths(request: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for key, value in request.items():
        out.append((*prefix, key))
        if isinstance(value, dict) and len(prefix) < 4:
            out.extend(_paths(value, (*prefix, key)))
    return out


def _set(request: Any, path: tuple[str, ...], value: Any) -> None:
    node = request
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


@st.composite
def hostile_requests(draw: st.DrawFn) -> Any:
    """A decoded-JSON value that is usually not a valid request (sometimes it still is)."""
    if draw(st.integers(0, 9)) == 0:  # not a mapping at all
        return draw(st.one_of(SCALARS, st.lists(JSON_VALUES, max_size=3)))
    request = draw(valid_requests())
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(request)
        how = draw(st.sampled_from(["replace", "replace", "unknown", "delete", "nested"]))
        if how == "replace" and paths:
            _set(request, draw(st.sampled_from(paths)), draw(HOSTILE_VALUES))
        elif how == "delete" and paths:
            path = draw(st.sampled_from(paths))
            parent = request
            for part in path[:-1]:
                parent = parent[part]
            parent.pop(path[-1], None)
        elif how == "nested":
            section = draw(st.sampled_from(["holder", "requester", "subject"]))
            request[section] = draw(st.one_of(HOSTILE_VALUES,
                                              st.dictionaries(TEXT, HOSTILE_VALUES,
                                                              max_size=3)))
        else:
            containers = [()] + [p for p in paths if isinstance(_get(request, p), dict)]
            where = draw(st.sampled_from(containers))
            key = draw(st.one_of(TEXT, st.sampled_from(["Holder", "data ", "id.x", "__proto__",
                                                        "holder.kind", "kind"])))
            _set(request, (*where, key), draw(HOSTILE_VALUES))
    return request


def _get(request: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        request = request[part]
    return request


# ---------------------------------------------------------------- raw bodies


def to_json(value: Any) -> str:
    """JSON text of a decoded value; NaN and Infinity as Python writes them."""
    import sys

    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)  # so the test itself can write a 5,000-digit integer
    try:
        return json.dumps(value, ensure_ascii=False)
    finally:
        sys.set_int_max_str_digits(old)


@st.composite
def hostile_bodies(draw: st.DrawFn) -> bytes:
    """Raw request bytes: JSON of hostile values, or text no strict JSON reader accepts."""
    kind = draw(st.integers(0, 9))
    if kind <= 3:
        return to_json(draw(hostile_requests())).encode()
    if kind == 4:  # duplicate keys: the last one wins in json, never a crash
        good = to_json(draw(valid_requests()))
        return ('{"holder": 1, ' + good[1:]).encode()
    if kind == 5:  # invalid UTF-8 spliced into valid JSON
        good = to_json(draw(valid_requests())).encode()
        cut = draw(st.integers(0, len(good)))
        junk = draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x80\x80",
                                     b"\x00"]))
        return good[:cut] + junk + good[cut:]
    if kind == 6:  # truncated
        good = to_json(draw(valid_requests())).encode()
        return good[:draw(st.integers(0, max(0, len(good) - 1)))]
    if kind == 7:
        return draw(st.sampled_from([
            b"", b" ", b"\n", b"null", b"[]", b"{}", b"NaN", b"[NaN]", b'{"id": Infinity}',
            b'{"data_public": -Infinity}', b'{"id": 1e999}', b"\xef\xbb\xbf{}",
            b"[" * 100_000, b"{\"a\":" * 50_000, b'{"id": ' + b"9" * 5000 + b"}",
            b'"\\ud800"', b'{"holder": {"state": "\\ud800"}}', b"\x00\x00\x00",
            b"- a\n- b\n", b"key: [unclosed"]))
    if kind == 8:
        return draw(st.binary(max_size=64))
    return draw(st.text(max_size=64)).encode("utf-8", "surrogatepass")


def random_request(laws: Any, rng: random.Random, known: float) -> dict[str, Any]:
    """A request with each optional fact known with probability ``known``."""
    model = laws.model
    categories = sorted(model.hierarchy.categories)
    flat: dict[str, Any] = {}
    for path, value in zip(("holder.state", "holder.county", "holder.city"),
                           rng.choice(PLACES), strict=True):
        if value is not None:
            flat[path] = value
    for path, fact in sorted(model.facts.items()):
        if path in flat or path in ("holder.state", "holder.county", "holder.city") or (
                not fact.required and rng.random() > known):
            continue
        if fact.kind == "bool":
            flat[path] = rng.random() < 0.5
        elif fact.kind == "one_of":
            flat[path] = rng.choice(fact.values)
        elif fact.kind == "date":
            flat[path] = (dt.date(2014, 1, 1) + dt.timedelta(rng.randrange(5000))).isoformat()
        elif fact.kind == "text":
            flat[path] = rng.choice(["x", "CA", "Oakland"])
        elif fact.kind == "categories":
            flat[path] = rng.sample(categories, rng.randint(1, 3))
        else:
            flat[path] = rng.sample(list(fact.values), rng.randint(0, min(3, len(fact.values))))
    return nested(flat)
