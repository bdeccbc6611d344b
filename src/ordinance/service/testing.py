"""Cases kept beside each law (``*.cases.yaml``), loaded strictly and run.

A case file is a list of cases::

    - name: what the case shows
      cites: ["Cal. Gov. Code § 7282.5(a)(2)"]   # sections it tests: each is cited by a
                                                #   rule speaking to the requested data
      request: {...}                            # a request, as for `ordinance check`
      outcome: permitted                        # the expected overall outcome
      items: {release_date: permitted}          # optional: expected per-item outcomes
      missing_facts: [subject.x, ...]           # optional: the exact facts to ask
      obligations: [ca.truth_act.copy_...]      # optional: the exact duties listed (rule ids)
      warnings: [ca.values_act.immigration_...] # optional: the exact warnings listed (rule ids)
      caveats: ["ca.values_act"]                # optional: laws whose caveats must be carried
      applying: [ca.values_act]                 # optional: laws that must apply
      not_applying: [ca.truth_act]              # optional: laws that must not apply
      note: free text                           # optional
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from ..engine.evaluator import OUTCOMES
from ..engine.inputs import parse_document, read_text
from ..engine.lawset import OrdinanceSet
from ..language.errors import InputError, RequestError

CASE_KEYS = {"name", "cites", "request", "outcome", "items", "missing_facts", "obligations",
             "warnings", "caveats", "applying", "not_applying", "note"}
"""The keys a case may have; any other key is an error."""
REQUIRED_KEYS = ("name", "cites", "request", "outcome")
"""The keys every case must have."""


@attrs.frozen
class Case:
    """One expected decision, from a case file."""

    name: str
    cites: tuple[str, ...]
    request: Any
    outcome: str
    items: dict[str, str] | None
    missing_facts: tuple[str, ...] | None
    origin: str
    obligations: tuple[str, ...] | None = None
    applying: tuple[str, ...] = ()
    not_applying: tuple[str, ...] = ()
    warnings: tuple[str, ...] | None = None
    caveats: tuple[str, ...] = ()


@attrs.frozen
class CaseResult:
    """Whether a case passed, what differed if not, and which sections it made decide."""

    case: Case
    failures: tuple[str, ...]
    exercised: frozenset[str] = frozenset()  # sections of rules that stood in this case

    @property
    def passed(self) -> bool:
        """True when the decision matched every expectation."""
        return not self.failures


def case_files(root: Path) -> list[Path]:
    """Every ``*.cases.yaml`` below ``root``, sorted."""
    if root.is_file():
        return [root] if root.name.endswith(".cases.yaml") else []
    return sorted(root.rglob("*.cases.yaml"))


def _strings(value: Any, where: str, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{where}: `{key}` must be a list of strings")
    return tuple(value)


def load_cases(path: Path) -> list[Case]:
    """Read one case file strictly: unknown keys and wrong types are errors.

    Raises:
        InputError: naming the case and the key.
    """
    origin, text = read_text(str(path))
    document = parse_document(origin, text, aliases=True)
    if not isinstance(document, list):
        raise InputError(f"{origin}: a case file is a list of cases")
    cases = []
    for index, raw in enumerate(document):
        where = f"{origin}: case {index + 1}"
        if not isinstance(raw, dict):
            raise InputError(f"{where}: a case is a mapping with keys "
                             + ", ".join(sorted(CASE_KEYS)))
        if isinstance(raw.get("name"), str):
            where += f" ({raw['name']})"
        unknown = sorted(set(map(str, raw)) - CASE_KEYS)
        if unknown:
            raise InputError(f"{where}: unknown key `{unknown[0]}`; allowed: "
                             + ", ".join(sorted(CASE_KEYS)))
        missing = [key for key in REQUIRED_KEYS if key not in raw]
        if missing:
            raise InputError(f"{where}: missing `{missing[0]}`")
        if raw["outcome"] not in OUTCOMES:
            raise InputError(f"{where}: unknown outcome `{raw['outcome']}`; allowed: "
                             + ", ".join(OUTCOMES))
        items = raw.get("items")
        if items is not None and (not isinstance(items, dict) or any(
                v not in OUTCOMES for v in items.values())):
            raise InputError(f"{where}: `items` maps data categories to outcomes")
        missing_facts = raw.get("missing_facts")
        obligations = raw.get("obligations")
        warnings = raw.get("warnings")
        cases.append(Case(
            name=str(raw["name"]),
            cites=_strings(raw["cites"], where, "cites"),
            request=raw["request"],
            outcome=raw["outcome"],
            items={str(k): str(v) for k, v in items.items()} if items else None,
            missing_facts=(None if missing_facts is None
                           else _strings(missing_facts, where, "missing_facts")),
            origin=where,
            obligations=(None if obligations is None
                         else _strings(obligations, where, "obligations")),
            applying=_strings(raw.get("applying", []), where, "applying"),
            not_applying=_strings(raw.get("not_applying", []), where, "not_applying"),
            warnings=None if warnings is None else _strings(warnings, where, "warnings"),
            caveats=_strings(raw.get("caveats", []), where, "caveats"),
        ))
    return cases


def run_case(laws: OrdinanceSet, case: Case) -> CaseResult:
    """Decide a case's request and compare with what the case expects."""
    failures: list[str] = []
    try:
        request = laws.request(case.request, case.origin)
    except RequestError as error:
        return CaseResult(case, (f"invalid request: {error}",))
    evaluation = laws.evaluate(request)
    decision = laws.explainer.explain(request, evaluation, would_change=False)
    if decision.outcome != case.outcome:
        failures.append(f"outcome: expected {case.outcome}, got {decision.outcome} "
                        f"({decision.summary})")
    if case.items is not None:
        got = {item.data: item.outcome for item in decision.items}
        for data, expected in case.items.items():
            if got.get(data) != expected:
                failures.append(f"item `{data}`: expected {expected}, got "
                                f"{got.get(data, 'not requested')}")
    if case.missing_facts is not None:
        got_facts = sorted(m.fact for m in decision.missing_facts)
        if got_facts != sorted(case.missing_facts):
            failures.append(f"missing_facts: expected {sorted(case.missing_facts)}, got "
                            f"{got_facts}")
    if case.obligations is not None:
        got_duties = sorted(o.rule for o in decision.obligations)
        if got_duties != sorted(case.obligations):
            failures.append(f"obligations: expected {sorted(case.obligations)}, got "
                            f"{got_duties}")
    if case.warnings is not None:
        got_warnings = sorted(w.rule for w in decision.warnings)
        if got_warnings != sorted(case.warnings):
            failures.append(f"warnings: expected {sorted(case.warnings)}, got {got_warnings}")
    carried = {c.law for c in decision.caveats}
    for law_id in case.caveats:
        if law_id not in carried:
            failures.append(f"the caveats of law `{law_id}` were expected, but not carried")
    applied = {law.id for law in decision.laws}
    for law_id in case.applying:
        if law_id not in applied:
            failures.append(f"law `{law_id}` was expected to apply, but did not")
    for law_id in case.not_applying:
        if law_id in applied:
            failures.append(f"law `{law_id}` was expected not to apply, but did")
    in_play = {c for item in evaluation.items for rule_id in item.standing
               for c in (*laws.model.rules[rule_id].cites,
                         *laws.explainer.definition_cites(rule_id))}
    # A case may also test that a law does not apply (its dates, whom it binds).
    in_play |= {s.citation for s in laws.model.sections.values()
                if s.law_id in {a.law.id for a in laws.engine.applicability(evaluation.env)
                                if not a.applies}}
    for citation in case.cites:
        if citation not in laws.model.sections:
            failures.append(f"cites `{citation}`, which is not a section of the law set")
        elif decision.outcome != "not_covered" and citation not in in_play:
            failures.append(f"cites `{citation}`, but no rule that speaks to the requested "
                            "data cites it (nor is it a section of a law found not to apply)")
    stood = {rule_id for item in evaluation.items
             for rule_id, value in item.standing.items() if value is True}
    exercised = frozenset(c for rule_id in stood for c in _sections_of(laws, rule_id))
    return CaseResult(case, tuple(failures), exercised)


def _sections_of(laws: OrdinanceSet, rule_id: str) -> tuple[str, ...]:
    """The sections a rule rests on: its citations and those of the definitions it uses."""
    return (*laws.model.rules[rule_id].cites, *laws.explainer.definition_cites(rule_id))


@attrs.frozen
class LawCoverage:
    """Which of a law's cited sections the cases make decide."""

    law: str
    cited: tuple[str, ...]
    exercised: tuple[str, ...]

    @property
    def percent(self) -> float:
        """Exercised share of the cited sections, 0-100 (100 when nothing is cited)."""
        return 100.0 * len(self.exercised) / len(self.cited) if self.cited else 100.0

    @property
    def missing(self) -> tuple[str, ...]:
        """Cited sections no case exercises."""
        return tuple(c for c in self.cited if c not in self.exercised)


def coverage(laws: OrdinanceSet, results: list[CaseResult]) -> list[LawCoverage]:
    """Per law: the sections its rules cite, and those a case made decide.

    A section counts as exercised when a rule or exception citing it (or
    using a definition that cites it) *stands* for some item in some case.
    """
    exercised = frozenset().union(*(r.exercised for r in results))
    out = []
    for law_id in laws.model.laws:
        cited = tuple(dict.fromkeys(
            c for rule in laws.model.rules.values() if rule.law_id == law_id
            for c in _sections_of(laws, rule.id)
            if laws.model.sections[c].law_id == law_id))
        out.append(LawCoverage(law_id, cited, tuple(c for c in cited if c in exercised)))
    return out


def run_cases(laws: OrdinanceSet, root: Path) -> list[CaseResult]:
    """Run every case file below ``root``.

    Raises:
        InputError: when a case file is malformed.
    """
    results = []
    for path in case_files(root):
        for case in load_cases(path):
            results.append(run_case(laws, case))
    return results
