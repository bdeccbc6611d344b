"""The JSON Schema of a request, generated from a law set's vocabulary.

Intake systems can validate requests before sending them, or build forms from
the schema: every property carries the fact's label, its question and the
citations it rests on, and every enumerated value its human label.

The schema mirrors :func:`ordinance.engine.vocabulary.validate`, which stays the
authority: checked with formats (``"format": "date"``), a request the schema
accepts is one the library accepts, and what it refuses (an unknown key or
value, a wrong type, a missing required fact, a text or list over the limits)
the library refuses too (``tests/test_schema.py`` holds both to it). Known
differences: JSON Schema counts ``1.0`` as an integer ``id``, the library does
not; the library also reads dates written ``20240501`` or ``2024-W18-3``; and
the library resolves the holder's place against the place tables
(:mod:`ordinance.checker.places`), refusing an unknown state or county, a near misspelling
of a city the laws name, or a city and county that disagree, which the schema
(whose place facts are free text) lets through.

    >>> import ordinance
    >>> schema = request_schema(ordinance.load().model)
    >>> schema["$schema"]
    'https://json-schema.org/draft/2020-12/schema'
    >>> schema["properties"]["holder"]["properties"]["kind"]["enum"][:2]
    ['law_enforcement', 'sheriff']
    >>> schema["required"]
    ['holder', 'data']
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, TypeAlias

from ..checker.model import Fact, FactValue, OrdinanceModel
from ..engine.vocabulary import MAX_LIST, MAX_TEXT, RESERVED_KEYS
from ..language import nodes as n
from ..version import __version__

DIALECT = "https://json-schema.org/draft/2020-12/schema"
"""The JSON Schema dialect of the generated schema (draft 2020-12)."""

DATE_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
"""Dates are written ``YYYY-MM-DD`` (``"format": "date"`` says the same, but formats
are only annotations unless a validator is asked to check them)."""

_Tree: TypeAlias = dict[str, "Fact | _Tree"]


def request_schema(model: OrdinanceModel) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a request to ``model``'s law set.

    Dotted fact paths become nested objects (``holder.kind`` is
    ``{"holder": {"kind": ...}}``); every object refuses unknown keys; any
    fact may be ``null`` (unknown) unless it is required; the top level also
    takes the optional request ``id`` (text or an integer).
    """
    tree: _Tree = {}
    for path, fact in model.facts.items():
        node = tree
        *parents, leaf = path.split(".")
        for part in parents:
            child = node.setdefault(part, {})
            assert isinstance(child, dict), f"fact `{path}` nests under a fact"
            node = child
        node[leaf] = fact
    top = _object(model, tree, "")
    top.pop("type")
    properties: dict[str, Any] = {
        "id": {
            "type": ["string", "integer", "null"],
            "title": "request id",
            "description": RESERVED_KEYS["id"].capitalize() + ".",
        },
        **top.pop("properties"),
    }
    return {
        "$schema": DIALECT,
        "$id": f"urn:ordinance:request:{model.digest}",
        "title": "ordinance request",
        "description": (
            "A data-sharing request to decide: who holds the data, who asks for it, which "
            "data, for what purpose and under what legal process. Each property is a fact; "
            "a fact left out (or null) is unknown, never false, and the decision names the "
            "unknown facts that matter. Generated from the law set's vocabulary by "
            "`ordinance schema`."),
        "type": "object",
        "properties": properties,
        **top,
        "x-ordinance-set": model.digest,
        "x-ordinance-version": __version__,
    }


def needed(fact: Fact) -> bool:
    """Whether a request must state ``fact``: required, with no default to fall back on.

    The ``date`` fact is never needed (it defaults to today).
    """
    if fact.default is not None or (fact.path == "date" and fact.kind == "date"):
        return False
    return fact.required


def _needed_below(node: Fact | _Tree) -> bool:
    if isinstance(node, Fact):
        return needed(node)
    return any(_needed_below(child) for child in node.values())


def _object(model: OrdinanceModel, tree: _Tree, prefix: str) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    for key, node in tree.items():
        if isinstance(node, Fact):
            properties[key] = _fact(model, node)
        else:
            path = prefix + key
            child = _object(model, node, path + ".")
            child.pop("type")
            labels = [f.label for f in _facts(node)]
            child = {
                "type": "object" if _needed_below(node) else ["object", "null"],
                "title": path,
                "description": f"The `{path}.*` facts: " + ", ".join(labels) + ".",
                **child,
            }
            properties[key] = child
        if _needed_below(node):
            required.append(key)
    out: dict[str, Any] = {"type": "object", "properties": properties,
                           "additionalProperties": False}
    if prefix == "holder." and "state" in required and "city" in properties:
        required.remove("state")  # "Oakland, CA" names the state too, even beside a null state
        state = properties["state"]
        if isinstance(state.get("type"), str):
            properties["state"] = {**state, "type": [state["type"], "null"]}
        out["anyOf"] = [{"required": ["state"], "properties": {"state": {"type": "string"}}},
                        {"required": ["city"], "properties": {"city": {
                            "type": "string", "pattern": ","}}}]
    if required:
        out["required"] = required
    return out


PLACE_FORMS: dict[str, tuple[str, tuple[str, ...]]] = {
    "holder.state": ("Resolved by name, postal code, AP abbreviation or Census FIPS code, "
                     "ignoring case and punctuation; an unknown state is refused with the "
                     "nearest names (a check beyond this schema). May be left out when "
                     "holder.city names it (\"Oakland, CA\").",
                     ("CA", "California", "Calif.", "06")),
    "holder.county": ("Resolved by the Census name, with or without \"County\", \"County "
                      "of\" or \"City and County of\"; an unknown county is refused with the "
                      "nearest names (a check beyond this schema). Omitted: asked when a "
                      "county's law could apply.",
                      ("Alameda", "Alameda County", "City and County of San Francisco")),
    "holder.city": ("A city the law library names brings its county (\"Oakland\" is in Alameda "
                    "County), as does \"Oakland, CA\"; \"City of\" is ignored; a near "
                    "misspelling of a library city, or a city in another county than "
                    "holder.county, is refused with the nearest names (a check beyond this "
                    "schema). "
                    "Omitted: asked when a city's law could apply.",
                    ("Oakland", "City of Oakland", "Oakland, CA", "San Francisco", "SF")),
}
"""How the place facts are resolved (``ordinance.checker.places``), for the schema's readers."""


def _facts(tree: _Tree) -> list[Fact]:
    found: list[Fact] = []
    for node in tree.values():
        found.extend([node] if isinstance(node, Fact) else _facts(node))
    return found


def _fact(model: OrdinanceModel, fact: Fact) -> dict[str, Any]:
    out: dict[str, Any] = {"title": fact.label, "description": _description(fact)}
    nullable = not needed(fact)
    value_schema = _values(model, fact)
    if fact.kind == "bool":
        out["type"] = "boolean"
    elif fact.kind == "date":
        out.update({"type": "string", "format": "date", "pattern": DATE_PATTERN})
    elif fact.kind == "text":
        out.update({"type": "string", "maxLength": MAX_TEXT})
        if fact.path in PLACE_FORMS:
            out["description"] += " " + PLACE_FORMS[fact.path][0]
            out["examples"] = list(PLACE_FORMS[fact.path][1])
    elif fact.kind == "one_of":
        out.update({"type": "string", **value_schema})
        if nullable:
            out["enum"] = [*out["enum"], None]
    else:  # set_of, categories
        out.update({"type": "array", "items": {"type": "string", **value_schema},
                    "maxItems": MAX_LIST})
        if fact.required:
            out["minItems"] = 1
    if nullable:
        out["type"] = [out["type"], "null"]
    if fact.default is not None:
        out["default"] = _json(fact.default)
    if fact.cites:
        out["x-cites"] = list(fact.cites)
    for field in ("label", "question"):
        words = fact.texts.get(field)
        for lang, text in words.translations if words else ():
            out[f"x-{field}-{lang}"] = text
    return out


def _values(model: OrdinanceModel, fact: Fact) -> dict[str, Any]:
    """``enum`` and its human labels (``x-enum-labels``, ``x-enum-labels-es``...)."""
    if fact.kind == "categories":
        hierarchy = model.hierarchy
        names = sorted(hierarchy.categories)  # the order the library lists them in
        labels = {lang: {name: hierarchy.label(name, lang) for name in names}
                  for lang in _languages(c.texts.get("label")
                                         for c in hierarchy.categories.values())}
        parents = {name: category.parent for name, category in hierarchy.categories.items()
                   if category.parent is not None}
        extra: dict[str, Any] = {"x-category-parents": parents} if parents else {}
        # The statutory definitions that cover each category: its own and its ancestors'.
        defined_by = {name: [c for above in hierarchy.categories
                             if hierarchy.is_a(name, above)
                             for c in hierarchy.categories[above].cites]
                      for name in names}
        if any(defined_by.values()):
            extra["x-category-definitions"] = {k: v for k, v in defined_by.items() if v}
    elif fact.kind in ("one_of", "set_of"):
        names = list(fact.values)
        labels = {lang: {name: fact.value_label(name, lang) for name in names}
                  for lang in _languages(fact.value_texts.values())}
        extra = {}
    else:
        return {}
    out: dict[str, Any] = {"enum": names}
    for lang, by_name in labels.items():
        out["x-enum-labels" if lang == "en" else f"x-enum-labels-{lang}"] = by_name
    return {**out, **extra}


def _languages(words: Iterable[n.Words | None]) -> list[str]:
    found = {"en"}
    for item in words:
        if item is not None:
            found.update(item.languages())
    return ["en", *sorted(found - {"en"})]


def _description(fact: Fact) -> str:
    text = fact.question
    if fact.cites:
        text += "\n\nSee " + "; ".join(fact.cites) + "."
    return text


def _json(value: FactValue) -> Any:
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value

