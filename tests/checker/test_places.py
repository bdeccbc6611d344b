"""Places resolved, not string-matched (issue 14): aliases, unknown and ambiguous places,
places not given, and law files that name a place the tables do not know."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import ordinance
from ordinance.checker.places import Gazetteer, PlaceProblem, key
from ordinance.cli import main
from ordinance.language.errors import RequestError
from ordinance.service.server import create_app

from ..asgi import post_json
from ..conftest import ORDINANCES

BASE: dict[str, Any] = {
    "requester": {"kind": "ca_law_enforcement"}, "date": "2024-05-01", "action": "disclose",
    "data": ["alpr"], "data_public": False, "purpose": "criminal_investigation",
    "legal_process": "none"}


def request(**holder: Any) -> dict[str, Any]:
    return {**BASE, "holder": {"kind": "law_enforcement", **holder}}


def places_of(laws: ordinance.OrdinanceSet, **holder: Any) -> dict[str, Any]:
    facts = laws.request(request(**holder)).facts
    return {level: facts.get(f"holder.{level}") for level in ("state", "county", "city")}


@pytest.mark.parametrize(("holder", "expected"), [
    ({"state": "California"}, ("CA", None, None)),
    ({"state": "Calif."}, ("CA", None, None)),
    ({"state": "ca"}, ("CA", None, None)),
    ({"state": "06"}, ("CA", None, None)),
    ({"state": "CA", "county": "Alameda County"}, ("CA", "Alameda", None)),
    ({"state": "CA", "county": "county of alameda"}, ("CA", "Alameda", None)),
    ({"state": "CA", "city": "City of Oakland"}, ("CA", "Alameda", "Oakland")),
    ({"city": "Oakland, CA"}, ("CA", "Alameda", "Oakland")),
    ({"state": "CA", "city": "oakland."}, ("CA", "Alameda", "Oakland")),
    ({"state": "CA", "county": "City and County of San Francisco"},
     ("CA", "San Francisco", "San Francisco")),
    ({"state": "CA", "county": "SF"}, ("CA", "San Francisco", "San Francisco")),
    ({"state": "CA", "city": "SF"}, ("CA", "San Francisco", "San Francisco")),
    ({"state": "CA", "city": "San Francisco"}, ("CA", "San Francisco", "San Francisco")),
    ({"state": "CA", "county": "Fresno County", "city": "Fresno"}, ("CA", "Fresno", "Fresno")),
    ({"state": "Nevada", "city": "Reno"}, ("NV", None, "Reno")),
])
def test_each_way_of_naming_a_place_resolves_to_the_canonical_one(
        bundled: ordinance.OrdinanceSet, holder: dict[str, Any],
        expected: tuple[str | None, ...]) -> None:
    found = places_of(bundled, **holder)
    assert (found["state"], found["county"], found["city"]) == expected


@pytest.mark.parametrize(("holder", "field", "nearest"), [
    ({"state": "Californa"}, "holder.state", "California"),
    ({"state": "CA", "county": "Alamda"}, "holder.county", "Alameda"),
    ({"state": "CA", "city": "Oaklnd"}, "holder.city", "Oakland"),
    ({"state": "CA", "city": "Berkley"}, "holder.city", "Berkeley"),
    ({"state": "CA", "county": "Fresno", "city": "Oakland"}, "holder.city", "Alameda"),
    ({"state": "NV", "city": "Oakland, CA"}, "holder.city", None),
])
def test_an_unknown_or_contradictory_place_is_an_input_error_naming_the_field(
        bundled: ordinance.OrdinanceSet, holder: dict[str, Any], field: str,
        nearest: str | None) -> None:
    with pytest.raises(RequestError) as raised:
        bundled.request(request(**holder))
    problems = [p for p in raised.value.problems if p.field == field]
    assert problems, raised.value.problems
    if nearest is not None:
        assert nearest in (problems[0].help or ""), problems[0]


def test_a_real_city_is_not_taken_for_a_misspelt_library_city(
        bundled: ordinance.OrdinanceSet) -> None:
    """Santa Rosa is not Santa Cruz, Oakley (Contra Costa) is not Oakland."""
    assert places_of(bundled, state="CA", county="Sonoma", city="Santa Rosa")["city"] == (
        "Santa Rosa")
    assert places_of(bundled, state="CA", county="Contra Costa", city="Oakley")["city"] == (
        "Oakley")


def test_a_city_named_in_two_counties_needs_the_county() -> None:
    places = Gazetteer((("CA", "Alameda", "Springfield"), ("CA", "Sonoma", "Springfield")))
    state = places.state("CA")
    assert not isinstance(state, PlaceProblem)
    found = places.city(state, "Springfield", None)
    assert isinstance(found, PlaceProblem) and set(found.nearest) == {"Alameda", "Sonoma"}
    county = places.county(state, "Sonoma")
    assert not isinstance(county, PlaceProblem)
    resolved = places.city(state, "Springfield", county)
    assert not isinstance(resolved, PlaceProblem) and resolved.county == "Sonoma"


def test_names_compare_without_case_accents_or_punctuation() -> None:
    assert key("  City & County of  SAN FRANCISCO. ") == "city and county of san francisco"
    assert key("Cañada") == key("Canada")


# ---------------------------------------------------------------- a place not given


def test_a_place_not_given_that_could_matter_is_asked(bundled: ordinance.OrdinanceSet) -> None:
    decision = bundled.decide(request(state="CA", governing_body_approved=False))
    assert decision.outcome == "undetermined"
    asked = [m.fact for m in decision.missing_facts]
    assert "holder.county" in asked and "holder.city" in asked
    oakland = next(law for law in decision.considered if law.id == "oakland.surveillance")
    assert oakland.applies and "holder.city is not given" in " ".join(oakland.reasons)


def test_with_the_place_given_the_same_request_is_decided(
        bundled: ordinance.OrdinanceSet) -> None:
    decision = bundled.decide(request(state="CA", city="Oakland", governing_body_approved=False))
    assert decision.outcome == "prohibited"
    assert "Oakland Mun. Code § 9.64.030(1)(C)" in decision.citations


def test_a_place_that_cannot_matter_is_not_asked(bundled: ordinance.OrdinanceSet) -> None:
    """A sheriff is bound by no city's ordinance in the library: a county is enough."""
    decision = bundled.decide({**request(state="CA", county="Fresno"),
                               "holder": {"kind": "sheriff", "state": "CA", "county": "Fresno"}})
    assert "holder.city" not in [m.fact for m in decision.missing_facts]


def test_the_interview_asks_the_place_and_applies_the_local_law(
        runner: CliRunner, tmp_path: Path) -> None:
    """`ordinance ask` from a state-only holder: the county or city is among the questions,
    and the answer (typed as people type it) brings in Oakland's ordinance."""
    partial = tmp_path / "partial.yaml"
    partial.write_text(json.dumps(request(state="California", governing_body_approved=False)),
                       encoding="utf-8")
    answers = "".join(
        "City of Oakland\n" if fact == "holder.city" else "Alameda County\n"
        if fact == "holder.county" else "no\n"
        for fact in ["holder.county", "holder.city", *["other"] * 30])
    result = runner.invoke(main, ["ask", str(partial), "--ordinances", str(ORDINANCES)],
                           input=answers)
    asked = re.findall(r"^    (holder\.(?:county|city)):", result.stderr, re.M)
    assert asked and asked[0] == "holder.county", result.stderr
    assert result.stdout.startswith("PROHIBITED"), result.output
    assert "Oakland Mun. Code § 9.64.030(1)(C)" in result.stdout


def test_the_interview_asks_again_after_an_unknown_place(runner: CliRunner,
                                                         tmp_path: Path) -> None:
    partial = tmp_path / "partial.yaml"
    partial.write_text(json.dumps(request(state="CA", governing_body_approved=False)),
                       encoding="utf-8")
    result = runner.invoke(main, ["ask", str(partial), "--ordinances", str(ORDINANCES)],
                           input="Alamda\nAlameda\nOakland\n" + "no\n" * 30)
    assert "not accepted: 'Alamda' is not a county of California; did you mean Alameda?" in (
        result.stderr), result.stderr
    assert "internal error" not in result.output
    assert result.stdout.startswith("PROHIBITED"), result.output


def test_http_and_batch_give_a_missing_place_as_the_library_does(
        runner: CliRunner, bundled: ordinance.OrdinanceSet, tmp_path: Path) -> None:
    partial = request(state="CA", governing_body_approved=False)
    expected = [m.fact for m in bundled.decide(partial).missing_facts]
    assert "holder.county" in expected
    status, body = post_json(create_app(bundled), json.dumps(partial).encode())
    assert status == 200 and body["outcome"] == "undetermined"
    assert [m["fact"] for m in body["missing_facts"]] == expected
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(partial) + "\n", encoding="utf-8")
    result = runner.invoke(main, ["batch", str(path), "--ordinances", str(ORDINANCES)])
    line = json.loads(result.stdout)
    assert line["outcome"] == "undetermined"
    assert [m["fact"] for m in line["missing_facts"]] == expected


def test_a_non_local_agency_is_bound_by_no_local_law(bundled: ordinance.OrdinanceSet) -> None:
    decision = bundled.decide(request(state="CA", california_local_agency=False))
    assert not {"holder.county", "holder.city"} & {m.fact for m in decision.missing_facts}
    local = [law for law in decision.considered if law.place and law.place != "California"]
    assert local and all(not law.applies and "not a local agency" in law.why_not[0]
                         for law in local)


# ---------------------------------------------------------------- every interface says where


def test_the_decision_says_where_the_holder_was_resolved_to(
        bundled: ordinance.OrdinanceSet) -> None:
    decision = bundled.decide(request(state="California", city="City of Oakland")).to_dict()
    assert [(p["level"], p["name"], p["official_name"]) for p in decision["jurisdiction"]] == [
        ("state", "CA", "California"), ("county", "Alameda", "Alameda County"),
        ("city", "Oakland", "City of Oakland")]
    assert decision["jurisdiction"][1]["code"] == "06001"
    berkeley = next(law for law in decision["laws_considered"]
                    if law["id"] == "berkeley.surveillance")
    assert berkeley["place"] == "City of Berkeley"
    assert berkeley["why_not"] == ["the holder is not in city `Berkeley` (holder.city = Oakland)"]


def test_text_and_markdown_name_the_place_and_why_other_local_laws_did_not_apply(
        runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(request(state="CA", county="City and County of San Francisco")),
                    encoding="utf-8")
    for fmt in ("text", "markdown"):
        result = runner.invoke(main, ["check", str(path), "--format", fmt,
                                      "--ordinances", str(ORDINANCES)])
        assert "Holder's place: City and County of San Francisco (06075), California (06)" in (
            result.stdout), result.stdout
        assert "oakland.surveillance" in result.stdout
        assert "the holder is not in county `Alameda`" in result.stdout


def test_the_http_service_refuses_an_unknown_place_and_resolves_a_known_one(
        bundled: ordinance.OrdinanceSet) -> None:
    app = create_app(bundled)
    status, body = post_json(app, json.dumps(request(state="CA", county="Alamda")).encode())
    assert status == 422  # the service's status for an invalid request
    assert "holder.county" in json.dumps(body) and "Alameda" in json.dumps(body)
    status, body = post_json(app, json.dumps(request(state="Calif.", city="SF")).encode())
    assert status == 200
    assert [p["name"] for p in body["jurisdiction"]] == ["CA", "San Francisco", "San Francisco"]


def test_batch_reports_a_bad_place_on_its_line_and_decides_the_rest(
        runner: CliRunner, tmp_path: Path) -> None:
    lines = [request(state="CA", city="Oaklnd"), request(state="CA", city="City of Oakland")]
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    result = runner.invoke(main, ["batch", str(path), "--ordinances", str(ORDINANCES)])
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(answers) == 2
    assert "holder.city" in json.dumps(answers[0]) and "Oakland" in json.dumps(answers[0])
    assert answers[1]["jurisdiction"][-1]["name"] == "Oakland"


# ---------------------------------------------------------------- law files


def test_the_checker_refuses_a_place_the_tables_do_not_know(tmp_path: Path) -> None:
    root = tmp_path / "ordinances"
    shutil.copytree(ORDINANCES, root)
    law = root / "us" / "ca" / "humboldt-county" / "sanctuary-9121.ord"
    law.write_text(law.read_text("utf-8").replace('county "Humboldt"', 'county "Humbolt"'),
                   "utf-8")
    with pytest.raises(ordinance.LawError) as raised:
        ordinance.load(root, cache=False)
    assert [d.code for d in raised.value.diagnostics] == ["unknown-place"]
    found = raised.value.diagnostics[0]
    assert "county `Humbolt`" in found.message and "`Humboldt`" in (found.help or "")
    assert "sanctuary-9121.ord:53:" in found.span.location()
