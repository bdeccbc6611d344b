"""The full reasoning tree behind a decision, for ``ordinance explain``.

Unlike a decision, which shows what spoke to each item, the tree shows every
law and every rule of the set: whether the law applied and why, each rule's
condition with the facts that decided it, its standing per data item, and
its exceptions nested beneath it.
"""

from __future__ import annotations

from typing import Any

from ..checker.model import Rule
from ..engine.evaluator import Evaluation
from ..engine.explainer import Explainer


def reasoning_tree(explainer: Explainer, evaluation: Evaluation) -> dict[str, Any]:
    """Every law and rule with its result on this request, as JSON-ready data."""
    model = explainer.model
    laws = []
    for applicability in explainer.engine.applicability(evaluation.env):
        law = applicability.law
        entry: dict[str, Any] = {
            "law": law.id, "title": law.title, "version": law.version,
            "applies": applicability.applies, "reasons": list(applicability.reasons),
            "rules": [],
        }
        if applicability.applies:
            entry["rules"] = [_rule_node(explainer, rule, evaluation, set())
                              for rule in model.rules.values()
                              if rule.law_id == law.id and not rule.is_exception]
        laws.append(entry)
    return {"outcome": evaluation.outcome, "laws": laws}


def _rule_node(explainer: Explainer, rule: Rule, evaluation: Evaluation,
               seen: set[str]) -> dict[str, Any]:
    active = {law.id for law in evaluation.active_laws}
    condition = (evaluation.conditions[rule.id] if rule.id in evaluation.conditions
                 else explainer.engine.tests[rule.id](evaluation.env))  # not in scope: run it
    items = {}
    for item in evaluation.items:
        if item.data not in explainer.engine.scope[rule.id]:
            items[item.data] = "not about this data"
        else:
            value = item.standing.get(rule.id)
            items[item.data] = {True: "stands", False: "does not stand",
                                None: "undetermined"}[value]
    node: dict[str, Any] = {
        "rule": rule.id, "effect": rule.effect, "duty": rule.duty, "citation": rule.citation,
        "quote": explainer.quote(rule.citation),
        "condition": condition,
        "because": list(explainer.because(rule, evaluation)),
        "items": items,
        "exceptions": [],
    }
    for exception_id in rule.exceptions:
        exception = explainer.model.rules[exception_id]
        if exception.law_id not in active:
            node["exceptions"].append({"rule": exception_id, "citation": exception.citation,
                                       "note": "its law does not apply to this request"})
        elif exception_id not in seen:
            node["exceptions"].append(
                _rule_node(explainer, exception, evaluation, seen | {rule.id}))
    return node


def tree_text(tree: dict[str, Any]) -> str:
    """The reasoning tree as indented text."""
    lines = [f"outcome: {tree['outcome']}"]
    for law in tree["laws"]:
        mark = "applies" if law["applies"] else "does not apply"
        lines.append("")
        lines.append(f"law {law['law']} ({law['title']}): {mark}")
        for reason in law["reasons"]:
            lines.append(f"  - {reason}")
        for rule in law["rules"]:
            lines.extend(_node_text(rule, "  ", "rule"))
    return "\n".join(lines)


def _node_text(node: dict[str, Any], indent: str, word: str) -> list[str]:
    if "note" in node:
        return [f"{indent}except {node['rule']} ({node['citation']}): {node['note']}"]
    effect = node["effect"] or "defeats"
    value = {True: "holds", False: "does not hold", None: "unknown"}[node["condition"]]
    lines = [f"{indent}{word} {node['rule']} [{effect}] {node['citation']}: condition {value}"]
    if node["because"]:
        lines.append(f"{indent}    because " + "; ".join(node["because"]))
    for data, status in node["items"].items():
        lines.append(f"{indent}    {data}: {status}")
    for child in node["exceptions"]:
        lines.extend(_node_text(child, indent + "    ", "except"))
    return lines
