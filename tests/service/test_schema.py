"""The request JSON Schema (`ordinance schema`) agrees with the library's validation.

Every example and every case request validates against the schema; each kind
of bad request the schema refuses, the library refuses too, naming the same
field; and on random requests both say yes or no together.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ordinance
from ordinance.cli import main
from ordinance.engine.inputs import read_requests
from ordinance.engine.vocabulary import MAX_LIST, MAX_TEXT
from ordinance.service.schema import DIALECT, needed, request_schema
from ordinance.service.testing import case_files, load_cases

from ..conftest import EXAMPLES, ORDINANCES, sheriff_to_ice

Validator = jsonschema.Draft202012Validator


@pytest.fixture(scope="module")
def schema(bundled: ordinance.OrdinanceSet) -> dict[str, Any]:
    return request_schema(bundled.model)


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> jsonschema.protocols.Validator:
    # Formats are only annotations unless checked: check them, as intake systems should.
    return Validator(schema, format_checker=Validator.FORMAT_CHECKER)


def as_json(value: Any) -> Any:
    """What JSON would carry: YAML dates become ISO strings."""
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_json(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def schema_errors(validator: jsonschema.protocols.Validator, data: Any) -> list[str]:
    """Where the schema finds problems, as dotted paths (list indexes left out)."""
    found = []
    for error in validator.iter_errors(data):
        found.append(".".join(str(p) for p in error.absolute_path if isinstance(p, str)))
    return found


def library_fields(laws: ordinance.OrdinanceSet, data: Any) -> list[str] | None:
    """The fields the library names, or None when it accepts the request."""
    try:
        laws.request(data)
    except ordinance.RequestError as error:
        return [p.field for p in error.problems]
    return None


def example_requests() -> list[tuple[str, Any]]:
    found = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        found.extend(read_requests(str(path)))
    return found


def case_requests() -> list[tuple[str, Any]]:
    return [(case.origin, case.request)
            for path in case_files(ORDINANCES) for case in load_cases(path)]


# ---------------------------------------------------------------- the schema itself


def test_schema_is_a_valid_draft_2020_12_schema(schema: dict[str, Any]) -> None:
    Validator.check_schema(schema)
    assert schema["$schema"] == DIALECT == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].startswith("urn:ordinance:request:sha256:")
    assert schema["title"] and schema["description"]
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["holder", "data"]


def test_every_fact_has_a_property_with_its_label_question_and_citations(
        bundled: ordinance.OrdinanceSet, schema: dict[str, Any]) -> None:
    for path, fact in bundled.model.facts.items():
        node = schema
        *parents, leaf = path.split(".")
        for part in parents:
            node = node["properties"][part]
            assert node["additionalProperties"] is False
            assert node["title"] == node["title"] and node["description"]
        prop = node["properties"][leaf]
        assert prop["title"] == fact.label
        assert prop["description"].startswith(fact.question)
        for citation in fact.cites:
            assert citation in prop["description"]
        alternatives = [alt["required"] for alt in node.get("anyOf", [])]  # state or "X, CA"
        named_elsewhere = alternatives[:1] == [[leaf]]  # null beside "Oakland, CA"
        required = leaf in node.get("required", []) or named_elsewhere
        assert required == needed(fact), path
        types = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
        assert ("null" in types) == (not needed(fact) or named_elsewhere), path
        if named_elsewhere:
            assert node["anyOf"][0]["properties"][leaf]["type"] == "string"
        assert prop["x-question-es"] == fact.text("question", "es")


def test_enums_are_the_values_the_library_allows(
        bundled: ordinance.OrdinanceSet, schema: dict[str, Any]) -> None:
    """For every choice, the schema's enum is the `allowed` list of the library's error."""
    checked = 0
    for path, fact in bundled.model.facts.items():
        if fact.kind not in ("one_of", "set_of", "categories"):
            continue
        node = schema
        for part in path.split(".")[:-1]:
            node = node["properties"][part]
        prop = node["properties"][path.split(".")[-1]]
        bad: Any = "no_such_value" if fact.kind == "one_of" else ["no_such_value"]
        request = with_fact(sheriff_to_ice(), path, bad)
        with pytest.raises(ordinance.RequestError) as raised:
            bundled.request(request)
        (problem,) = [p for p in raised.value.problems if p.field == path]
        enum = prop["enum"] if fact.kind == "one_of" else prop["items"]["enum"]
        assert [v for v in enum if v is not None] == list(problem.allowed)
        labels = prop.get("x-enum-labels") or prop["items"]["x-enum-labels"]
        assert set(labels) == set(problem.allowed)
        checked += 1
    assert checked >= 5
    data = schema["properties"]["data"]["items"]
    assert data["x-enum-labels"]["home_address"] == "home address"
    assert data["x-category-parents"]["home_address"] == "personal_information"
    kind = schema["properties"]["holder"]["properties"]["kind"]
    assert kind["x-enum-labels"]["sheriff"] == "a sheriff's office"
    assert kind["x-enum-labels-es"]["sheriff"] == "una oficina del alguacil (sheriff)"


def test_limits_and_formats(schema: dict[str, Any]) -> None:
    props = schema["properties"]
    assert props["holder"]["properties"]["agency"]["maxLength"] == MAX_TEXT
    assert props["data"]["maxItems"] == MAX_LIST
    assert props["data"]["minItems"] == 1
    assert props["date"]["format"] == "date"
    assert props["action"]["default"] == "disclose"
    assert props["id"]["type"] == ["string", "integer", "null"]


# ---------------------------------------------------------------- real requests validate


@pytest.mark.parametrize(("origin", "request_data"), example_requests(),
                         ids=lambda v: Path(v).name if isinstance(v, str) else "")
def test_examples_validate(validator: jsonschema.protocols.Validator,
                           bundled: ordinance.OrdinanceSet, origin: str,
                           request_data: Any) -> None:
    validator.validate(as_json(request_data))
    bundled.request(request_data, origin)


def test_every_case_request_validates(validator: jsonschema.protocols.Validator,
                                      bundled: ordinance.OrdinanceSet) -> None:
    cases = case_requests()
    assert len(cases) > 100
    for origin, data in cases:
        errors = [e.message for e in validator.iter_errors(as_json(data))]
        assert not errors, f"{origin}: {errors}"
        bundled.request(data, origin)
        bundled.request(as_json(data), origin)  # and as JSON would carry it


# ---------------------------------------------------------------- bad requests fail both


def with_fact(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(data)
    node = out
    *parents, leaf = path.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value
    return out


def without(data: dict[str, Any], path: str) -> dict[str, Any]:
    out = copy.deepcopy(data)
    node = out
    *parents, leaf = path.split(".")
    for part in parents:
        node = node[part]
    del node[leaf]
    return out


Change = Callable[[dict[str, Any]], Any]

INVALID: list[tuple[str, Change, str]] = [
    # (what is wrong, how to break a good request, the field the library names)
    ("unknown key", lambda r: {**r, "extra": 1}, "extra"),
    ("unknown nested key", lambda r: with_fact(r, "holder.kind_of", "sheriff"), "holder.kind_of"),
    ("key nested too deep", lambda r: with_fact(r, "subject.in_custody", {"a": True}),
     "subject.in_custody"),
    ("unknown enum value", lambda r: {**r, "purpose": "immigration"}, "purpose"),
    ("unknown nested enum value", lambda r: with_fact(r, "requester.kind", "ICE"),
     "requester.kind"),
    ("unknown category", lambda r: {**r, "data": ["release_dat"]}, "data"),
    ("category not text", lambda r: {**r, "data": [3]}, "data"),
    ("wrong type: bool as text", lambda r: {**r, "data_public": "no"}, "data_public"),
    ("wrong type: bool as number", lambda r: {**r, "data_public": 0}, "data_public"),
    ("wrong type: text as number", lambda r: with_fact(r, "holder.state", 6), "holder.state"),
    ("wrong type: enum as list", lambda r: {**r, "purpose": ["other"]}, "purpose"),
    ("wrong type: set as text", lambda r: {**r, "data": "release_date"}, "data"),
    ("wrong type: date as number", lambda r: {**r, "date": 20240501}, "date"),
    ("not a date", lambda r: {**r, "date": "May 1st"}, "date"),
    ("impossible date", lambda r: {**r, "date": "2024-02-30"}, "date"),
    ("wrong type: object as text", lambda r: {**r, "holder": "sheriff"}, "holder"),
    ("wrong type: object as list", lambda r: {**r, "subject": [True]}, "subject"),
    ("wrong type: id as list", lambda r: {**r, "id": ["a"]}, "id"),
    ("missing required", lambda r: without(r, "data"), "data"),
    ("missing nested required", lambda r: without(r, "holder.kind"), "holder.kind"),
    ("missing required object", lambda r: without(r, "holder"), "holder.kind"),
    ("required is null", lambda r: with_fact(r, "holder.state", None), "holder.state"),
    ("required object is null", lambda r: {**r, "holder": None}, "holder.kind"),
    ("required list is empty", lambda r: {**r, "data": []}, "data"),
    ("too long text", lambda r: with_fact(r, "holder.agency", "x" * (MAX_TEXT + 1)),
     "holder.agency"),
    ("too long text, counted in characters", lambda r: with_fact(
        r, "requester.agency", "é" * (MAX_TEXT + 1)), "requester.agency"),
    ("too many items", lambda r: {**r, "data": ["release_date"] * (MAX_LIST + 1)}, "data"),
    ("not a mapping", lambda r: [r], ""),
]

VALID: list[tuple[str, Change]] = [
    ("as is", lambda r: r),
    ("id as text", lambda r: {**r, "id": "req-1"}),
    ("id as integer", lambda r: {**r, "id": 7}),
    ("id null", lambda r: {**r, "id": None}),
    ("optional fact null", lambda r: {**r, "data_public": None, "purpose": None}),
    ("defaulted fact null", lambda r: {**r, "action": None}),
    ("optional object null", lambda r: {**r, "subject": None, "requester": None}),
    ("optional object empty", lambda r: {**r, "subject": {}}),
    ("date left out (today)", lambda r: without(r, "date")),
    ("date null (today)", lambda r: {**r, "date": None}),
    ("text at the limit", lambda r: with_fact(r, "holder.agency", "é" * MAX_TEXT)),
    ("items at the limit", lambda r: {**r, "data": ["release_date"] * MAX_LIST}),
    ("repeated and nested categories", lambda r: {
        **r, "data": ["personal_information", "home_address", "home_address"]}),
    ("every optional fact unknown", lambda r: {
        "holder": {"kind": "sheriff", "state": "CA"}, "data": ["release_date"]}),
]


@pytest.mark.parametrize(("what", "change", "field"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_requests_fail_schema_and_library(
        validator: jsonschema.protocols.Validator, bundled: ordinance.OrdinanceSet,
        what: str, change: Change, field: str) -> None:
    data = change(sheriff_to_ice())
    located = schema_errors(validator, data)
    assert located, f"the schema accepts a request with {what}"
    fields = library_fields(bundled, data)
    assert fields is not None, f"the library accepts a request with {what}"
    assert field in fields
    for where in located:  # the schema points at the field the library names, or above it
        assert any(f == where or f.startswith(where + ".") or not where for f in fields), (
            where, fields)


@pytest.mark.parametrize(("what", "change"), VALID, ids=[c[0] for c in VALID])
def test_valid_requests_pass_schema_and_library(
        validator: jsonschema.protocols.Validator, bundled: ordinance.OrdinanceSet,
        what: str, change: Change) -> None:
    data = change(sheriff_to_ice())
    assert schema_errors(validator, data) == []
    assert library_fields(bundled, data) is None


# ---------------------------------------------------------------- random requests agree


PLACES = {"holder.state": ["CA", "California", "calif."],
          "holder.county": ["Alameda", "Alameda County", ""],
          "holder.city": ["Oakland", "City of Oakland", "Oakland, CA", ""]}
"""Place names the schema and the library both accept, whichever is drawn with which."""


def _candidates(fact: ordinance.checker.model.Fact, model: ordinance.checker.model.OrdinanceModel,
                ) -> tuple[list[Any], list[Any]]:
    """Good and bad values for a fact, as JSON would carry them."""
    bad_common: list[Any] = [1, 2.5, {"x": 1}, "no_such_value"]
    if fact.kind == "bool":
        return [True, False, None], [*bad_common, "true", 0, []]
    if fact.kind == "date":
        return ["2024-05-01", "2018-01-01", "1999-12-31", None], [
            "2024-02-30", "May 1st", 20240501, "2024-5-1", True]
    if fact.path in PLACES:  # names the place tables resolve, consistent with each other
        return [*PLACES[fact.path], None], ["x" * (MAX_TEXT + 1), 3, True, ["CA"]]
    if fact.kind == "text":
        return ["CA", "Oakland", "", "x" * MAX_TEXT, None], [
            "x" * (MAX_TEXT + 1), 3, True, ["CA"]]
    if fact.kind == "one_of":
        return [*fact.values, None], [*bad_common, [fact.values[0]], True]
    names = sorted(model.hierarchy.categories) if fact.kind == "categories" else list(
        fact.values)
    good: list[Any] = [[names[0]], names[:3], [names[-1], names[-1]], None]
    if not needed(fact):
        good.append([])
    return good, [names[0], [1], ["no_such_value"], [names[0]] * (MAX_LIST + 1), True]


_ABSENT = object()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_requests_get_the_same_verdict(bundled: ordinance.OrdinanceSet,
                                              data: st.DataObject) -> None:
    model = bundled.model
    validator = Validator(request_schema(model), format_checker=Validator.FORMAT_CHECKER)
    faulty = data.draw(st.sets(st.sampled_from(list(model.facts)), max_size=2), label="faulty")
    request: dict[str, Any] = {}
    for path, fact in model.facts.items():
        good, bad = _candidates(fact, model)
        if path in faulty:
            pool = [*bad, None, _ABSENT] if needed(fact) else bad
        elif needed(fact):
            pool = [v for v in good if v is not None]
        else:
            pool = [*good, _ABSENT]
        value = data.draw(st.sampled_from(pool), label=path)
        if value is not _ABSENT:
            request = with_fact(request, path, value)
    extra = data.draw(st.sampled_from([None, None, None, "id", "holder", "subject", "extra"]),
                      label="extra")
    if extra == "id":
        request["id"] = data.draw(st.sampled_from(["a", 3, None, ["a"], {"a": 1}]))
    elif extra in ("holder", "subject"):
        request[extra] = data.draw(st.sampled_from([None, "x", {}, {"extra": 1}]))
    elif extra == "extra":
        request["extra"] = 1
    by_schema = validator.is_valid(request)
    by_library = library_fields(bundled, request) is None
    assert by_schema == by_library, (request, schema_errors(validator, request),
                                     library_fields(bundled, request))


# ---------------------------------------------------------------- former disagreements, now fixed


@pytest.mark.parametrize("written", ["20240501", "2024-W18-3"])
def test_library_refuses_dates_not_written_yyyy_mm_dd(
        validator: jsonschema.protocols.Validator, bundled: ordinance.OrdinanceSet,
        written: str) -> None:
    data = {**sheriff_to_ice(), "date": written}
    assert not validator.is_valid(data)
    assert library_fields(bundled, data) is not None


def test_library_refuses_a_boolean_id(validator: jsonschema.protocols.Validator,
                                      bundled: ordinance.OrdinanceSet) -> None:
    data = {**sheriff_to_ice(), "id": True}
    assert not validator.is_valid(data)
    assert library_fields(bundled, data) is not None


# ---------------------------------------------------------------- the command


def test_schema_command_prints_the_schema_as_json(bundled: ordinance.OrdinanceSet) -> None:
    result = CliRunner().invoke(main, ["schema", "--ordinances", str(ORDINANCES)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed == request_schema(bundled.model)
    Validator.check_schema(printed)
    assert result.stdout.startswith("{\n  ")  # indented


def test_schema_command_bundled_by_default_and_helps() -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["schema"], catch_exceptions=False)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["$schema"] == DIALECT
    helped = runner.invoke(main, ["schema", "--help"])
    assert helped.exit_code == 0
    assert "ordinance schema > request.schema.json" in helped.stdout
    assert "--ordinances" in helped.stdout
    assert "schema" in runner.invoke(main, ["--help"]).stdout


def test_schema_command_bad_law_set_exits_5(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["schema", "--ordinances", str(tmp_path / "none")])
    assert result.exit_code == 5
    assert "no-such-path" in result.stderr


def test_each_category_names_the_definitions_that_cover_it(schema: dict[str, Any]) -> None:
    """Civ. Code § 1798.3(a): personal information "identifies or describes an individual,
    including, but not limited to" ... physical description, home address; the schema says so
    for every kind of it, and names each act's own section."""
    data = schema["properties"]["data"]
    found = data.get("x-category-definitions") or data["items"]["x-category-definitions"]
    for name in ("booking_photo", "face_recognition", "home_address", "release_date",
                 "custody_status", "immigration_status", "criminal_history"):
        assert "Cal. Civ. Code § 1798.3(a)" in found[name], name
    assert found["custody_transfer"] == ["Cal. Gov. Code § 7284.6(a)(4)"]
    assert "alpr" not in found or "Cal. Civ. Code § 1798.3(a)" not in found["alpr"]


def test_an_unknown_place_is_the_documented_difference(bundled: ordinance.OrdinanceSet) -> None:
    """The schema's place facts are free text; only the library knows the place tables
    (the difference the schema module's docstring names)."""
    validator = Validator(request_schema(bundled.model), format_checker=Validator.FORMAT_CHECKER)
    request = {"holder": {"kind": "sheriff", "state": "CA", "county": "Springfield"},
               "data": ["release_date"]}
    assert validator.is_valid(request)
    assert library_fields(bundled, request) == ["holder.county"]


def test_a_city_with_its_state_may_stand_for_the_state(bundled: ordinance.OrdinanceSet) -> None:
    validator = Validator(request_schema(bundled.model), format_checker=Validator.FORMAT_CHECKER)
    for holder, valid in [({"kind": "sheriff", "city": "Oakland, CA"}, True),
                          ({"kind": "sheriff", "city": "Oakland, CA", "state": None}, True),
                          ({"kind": "sheriff", "city": "Oakland", "state": None}, False),
                          ({"kind": "sheriff", "city": "Oakland"}, False),
                          ({"kind": "sheriff"}, False)]:
        request = {"holder": holder, "data": ["release_date"]}
        assert validator.is_valid(request) is valid, holder
        assert (library_fields(bundled, request) is None) is valid, holder
