"""What `check` prints (text and the Markdown memo) shows only what bears on the outcome
or on a missing fact (issue 18); the decision's JSON keeps every step."""

from __future__ import annotations

from typing import Any

import pytest

import ordinance
from ordinance.outputs.render import to_markdown, to_text

from ..conftest import EXAMPLES, sheriff_to_ice


def _decide(laws: ordinance.OrdinanceSet, data: Any) -> ordinance.Decision:
    if isinstance(data, str):
        import yaml

        data = yaml.safe_load((EXAMPLES / data).read_text(encoding="utf-8"))
    return laws.decide(data)


@pytest.mark.parametrize("render", [to_text, to_markdown])
def test_an_open_permission_under_a_prohibition_is_not_shown(bundled: Any, render: Any) -> None:
    """Gov. Code § 7284.6(b)(3), the joint task force permission, is open on the home address
    example, but a permission never overrides § 7284.6(a)(1)(D): it cannot matter."""
    decision = _decide(bundled, "home-address-hold-request.yaml")
    assert decision.outcome == "prohibited"
    permits = [s.rule for i in decision.items for s in i.rules if s.effect == "permit"]
    assert "ca.values_act.joint_task_force_duties" in permits  # still in the JSON
    shown = render(decision)
    assert "joint_task_force_duties" not in shown
    assert "personal_information" in shown and "7284.6(a)(1)(D)" in shown


@pytest.mark.parametrize("render", [to_text, to_markdown])
def test_an_exception_that_does_not_apply_names_no_exception_that_may_defeat_it(
        bundled: Any, render: Any) -> None:
    """Gov. Code § 7282.5(a)(2) applies and (a)(6) does not; under (a)(6) nothing is open.
    On the convictions-unknown example, (a)(1)-(5) may apply, and that (a)(6) may defeat
    them bears on the facts to ask: it is shown there."""
    known = render(_decide(bundled, "release-date-state-prison-felony.yaml"))
    for line in known.splitlines():
        if "does not apply" in line:
            assert "may be defeated" not in line
    assert "may be defeated" not in known
    open_ = " ".join(render(_decide(bundled, "release-date-convictions-unknown.yaml")).split())
    assert "may be defeated by `ca.values_act.prop47_misdemeanor`" in open_


@pytest.mark.parametrize("render", [to_text, to_markdown])
def test_a_request_no_law_covers_states_no_permission_per_item(bundled: Any,
                                                              render: Any) -> None:
    decision = bundled.decide(sheriff_to_ice(holder={"state": "NV", "county": "Clark"},
                                             data=["release_date", "home_address"]))
    assert decision.outcome == "not_covered"
    shown = render(decision)
    assert "permitted" not in shown.lower().replace("would be permitted", "")
    assert shown.lower().count("not covered") >= 3  # the outcome and each of the two items


def test_a_permission_that_is_the_reason_is_shown(bundled: Any) -> None:
    """Civ. Code § 1798.90.55(b): a public agency may share ALPR information with another
    California public agency; on a permitted request that permission is its reason."""
    decision = bundled.decide(sheriff_to_ice(
        requester={"kind": "ca_law_enforcement"}, purpose="criminal_investigation",
        legal_process="none", data=["alpr"], holder={"alpr_operator": True}))
    assert decision.outcome == "permitted", decision.summary
    assert "sharing_with_california_public_agency" in to_text(decision)
