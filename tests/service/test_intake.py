"""The web intake page of `ordinance serve` over HTTP (no browser): the form, the next
question, the memo, the downloads, escaping, limits and the decision log (issue 18).
The browser tests are in test_intake_browser.py."""

from __future__ import annotations

import html.parser
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import ordinance
from ordinance.service import server
from ordinance.service.decisionlog import DecisionLog
from ordinance.service.intake import TEXT

from ..conftest import EXAMPLES
from .test_server import _InThreadServer

KERN = {"lang": "en", "f.holder.kind": "sheriff", "f.holder.state": "CA",
        "f.holder.county": "Kern", "f.data": "release_date",
        "f.requester.kind": "federal_immigration"}
"""Issue 16's intake example: the Kern County Sheriff is asked for a release date by ICE."""

PERMITTED_RELEASE = {**KERN, "f.date": "2024-05-01", "f.purpose": "immigration_enforcement",
                     "f.legal_process": "notification_request",
                     "f.subject.state_prison_felony_conviction": "true",
                     "f.subject.prop47_reduced_misdemeanor": "false"}
"""Gov. Code § 7282.5(a)(2): a state-prison felony conviction lets a notification request
about the release date be answered."""


@pytest.fixture(scope="module")
def url(bundled: ordinance.OrdinanceSet) -> Iterator[str]:
    with _InThreadServer(server.create_app(bundled)) as found:
        yield found


def post(url: str, path: str, form: dict[str, Any] | list[tuple[str, str]]
         ) -> tuple[int, dict[str, str], str]:
    body = urllib.parse.urlencode(form, doseq=True).encode()
    request = urllib.request.Request(url + path, data=body, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def get(url: str, path: str) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(url + path, timeout=60) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


class _Controls(html.parser.HTMLParser):
    """The form controls of a page, the labels' targets, and the text of <script> tags."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.in_label = 0
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "label":
            self.in_label += 1
            if found.get("for"):
                self.label_for.add(str(found["for"]))
        if tag == "script":
            self.scripts += 1
        if tag in ("input", "select", "textarea") and found.get("type") != "hidden":
            self.controls.append({**found, "wrapped": "yes" if self.in_label else None})

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.in_label -= 1


def controls(page: str) -> _Controls:
    parsed = _Controls()
    parsed.feed(page)
    return parsed


def test_every_fixed_word_is_in_both_languages() -> None:
    assert TEXT["en"].keys() == TEXT["es"].keys()
    assert all(TEXT["es"].values())


def test_the_root_leads_to_the_form_and_every_control_is_labelled(url: str) -> None:
    status, headers, page = get(url, "/")
    assert status == 200 and "<h1>May this information be shared?</h1>" in page
    csp = headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    found = controls(page)
    assert found.scripts == 0
    assert found.controls, "the form has fields"
    for control in found.controls:
        assert control["wrapped"] or control.get("id") in found.label_for, control
    names = {c["name"] for c in found.controls}
    assert {"f.holder.kind", "f.holder.state", "f.data", "f.requester.kind",
            "f.purpose"} <= names
    _, _, spanish = get(url, "/intake?lang=es")
    assert '<html lang="es">' in spanish and "¿Se puede compartir esta información?" in spanish


def test_the_next_question_asks_what_matters_and_says_why(url: str) -> None:
    """Nothing known beyond the Kern example: the interview asks the legal process before
    any conviction, and says which sections its answer decides."""
    status, _, page = post(url, "/intake", KERN)
    assert status == 200
    assert "<h1>One more question</h1>" in page
    assert 'name="asking" value="legal_process"' in page
    assert "Why this is asked" in page and "7284.6(a)(1)(C)" in page
    assert 'name="f.holder.county" value="Kern"' in page  # what is known travels on


def test_answers_lead_to_the_memo(url: str) -> None:
    status, _, page = post(url, "/intake", PERMITTED_RELEASE)
    assert status == 200
    assert "<h1>Memorandum</h1>" in page
    assert '<span class="outcome permitted">permitted</span>' in page
    assert "Cal. Gov. Code § 7282.5(a)(2)" in page
    assert "convicted of a felony punishable by imprisonment in the state prison" in page
    assert "Obligations" in page  # § 7283.1(b): a copy of the request to the individual


def test_an_answer_and_i_do_not_know_move_the_interview_on(url: str) -> None:
    _, _, first = post(url, "/intake", {**KERN, "asking": "legal_process",
                                         "a.legal_process": "hold_request"})
    assert 'name="f.legal_process" value="hold_request"' in first
    _, _, skipped = post(url, "/intake", {**KERN, "asking": "legal_process", "dont_know": "1"})
    assert 'name="skip" value="legal_process"' in skipped
    assert 'name="asking" value="legal_process"' not in skipped


def test_the_memo_can_be_asked_for_while_the_outcome_is_open(url: str) -> None:
    _, _, page = post(url, "/intake", {**KERN, "memo": "1"})
    assert "<h1>Memorandum</h1>" in page and "Facts still needed" in page
    assert '<span class="outcome undetermined">undetermined</span>' in page


def test_spanish_memo(url: str) -> None:
    _, _, page = post(url, "/intake", {**PERMITTED_RELEASE, "lang": "es"})
    assert "<h1>Memorando</h1>" in page and "Respuesta breve" in page
    assert '<span class="outcome permitted">permitido</span>' in page
    assert '<blockquote lang="en"' in page  # the law's words stay as enacted


def test_downloads_of_the_request_and_the_memo(url: str) -> None:
    status, headers, text = post(url, "/intake/request.yaml", PERMITTED_RELEASE)
    assert status == 200 and 'filename="request.yaml"' in headers["content-disposition"]
    data = yaml.safe_load(text)
    assert data["holder"]["county"] == "Kern" and data["data"] == ["release_date"]
    assert data["subject"]["state_prison_felony_conviction"] is True
    status, headers, memo = post(url, "/intake/memo.html", PERMITTED_RELEASE)
    assert status == 200 and 'filename="memo.html"' in headers["content-disposition"]
    assert "<style>" in memo and "<link" not in memo and "<form" not in memo
    assert "<h1>Memorandum</h1>" in memo


def test_text_from_the_request_is_escaped(url: str) -> None:
    hostile = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    _, _, page = post(url, "/intake", {**PERMITTED_RELEASE, "f.holder.agency": hostile})
    assert hostile not in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;&lt;script&gt;" in page
    assert controls(page).scripts == 0


def test_a_field_that_does_not_fit_is_named(url: str) -> None:
    status, _, page = post(url, "/intake", {**KERN, "f.holder.kind": "sherif"})
    assert status == 422
    assert "<code>holder.kind</code>" in page and "sheriff" in page
    assert 'href="#f-holder-kind"' in page
    status, _, page = post(url, "/intake", {"lang": "en", "f.holder.kind": "sheriff"})
    assert status == 422 and "is required" in page


def test_a_form_past_the_body_limit_is_refused(bundled: ordinance.OrdinanceSet) -> None:
    with _InThreadServer(server.create_app(bundled, max_body=2000)) as small:
        status, _, text = post(small, "/intake", {**KERN, "f.holder.agency": "x" * 3000})
    assert status == 413 and "2000-byte limit" in text


def test_the_memo_is_recorded_in_the_decision_log(bundled: ordinance.OrdinanceSet,
                                                  tmp_path: Path) -> None:
    log = DecisionLog(tmp_path / "log.sqlite")
    with _InThreadServer(server.create_app(bundled, log=log)) as logged:
        post(logged, "/intake", KERN)  # a question: nothing decided yet
        post(logged, "/intake", PERMITTED_RELEASE)
    entries = list(log.entries())
    log.close()
    assert [e.decision["outcome"] for e in entries] == ["permitted"]


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_memo_says_when_a_search_stopped_at_its_budget(
        bundled: ordinance.OrdinanceSet, lang: str) -> None:
    """Issue 19: lists cut by a budget must not read as whole ones."""
    import attrs

    from ordinance.engine.decision import Deferred
    from ordinance.service import intake

    request = json.loads(json.dumps(yaml.safe_load(
        (EXAMPLES / "release-date-convictions-unknown.yaml").read_text("utf-8")), default=str))
    whole = bundled.decide(request)
    cut = attrs.evolve(whole, missing_facts_exact=False, changes=Deferred(lambda: ((), False)))
    page = intake.Intake(lambda: bundled, 10**6)
    for decision, shown in ((whole, False), (cut, True)):
        body = intake._templates().get_template("memo.html").render(
            t=intake.TEXT[lang], lang=lang, decision=decision, known={}, skipped=[],
            standalone=True, style="", **page._memo(bundled, decision, lang))
        assert (intake.TEXT[lang]["needed_not_exact"] in body) is shown
        assert (intake.TEXT[lang]["would_change_not_exact"] in body) is shown
