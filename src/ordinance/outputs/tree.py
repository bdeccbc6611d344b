"""The reasoning tree behind a decision, for ``ordinance explain``.

By default the tree holds what decided the outcome: the laws that apply, and of their
rules those that stood, were defeated, or are still open for a requested item (an open
prohibition, or an open exception beneath a rule shown), each with the facts that did it
and its exceptions nested beneath it; the laws that do not apply are named with why not.
With ``everything`` it holds every law and every rule of the set, as the full tree.
"""

from __future__ import annotations

from typing import Any

from ..checker.model import Rule
from ..engine.evaluator import UNDETERMINED, Evaluation
from ..engine.explainer import Explainer


def reasoning_tree(explainer: Explainer, evaluation: Evaluation, *,
                   everything: bool = False) -> dict[str, Any]:
    """The laws and rules with their results on this request, as JSON-ready data: what
    bears on the outcome, or (``everything``) every law and rule of the set.
    ``left_out`` counts the rules a focused tree does not show."""
    model = explainer.model
    laws = []
    left_out = 0
    for applicability in explainer.engine.applicability(evaluation.env):
        law = applicability.law
        entry: dict[str, Any] = {
            "law": law.id, "title": law.title, "version": law.version,
            "applies": applicability.applies, "reasons": list(applicability.reasons),
            "rules": [],
        }
        if not everything and not applicability.applies:
            entry["reasons"] = list(applicability.why_not or applicability.reasons)
        if applicability.applies:
            nodes = [_rule_node(explainer, rule, evaluation, set(), everything)
                     for rule in model.rules.values()
                     if rule.law_id == law.id and not rule.is_exception]
            entry["rules"] = [node for node in nodes if node is not None]
            left_out += len(nodes) - len(entry["rules"])
        laws.append(entry)
    return {"outcome": evaluation.outcome, "laws": laws, "everything": everything,
            "left_out": left_out}


def bears(evaluation: Evaluation, rule: Rule, in_scope: list[str]) -> bool:
    """Whether a rule bears on the outcome for a requested item in its scope: it stands;
    its condition holds and an exception defeats it; or it is open, could still decide (a
    prohibition, or an exception) and the item's outcome is open too."""
    condition = evaluation.conditions.get(rule.id)
    for item in evaluation.items:
        if item.data not in in_scope:
            continue
        value = item.standing.get(rule.id)
        if value is True or (value is False and condition is True) or (
                value is None and item.outcome == UNDETERMINED
                and (rule.effect == "prohibit" or rule.is_exception)):
            return True
    return False


def _rule_node(explainer: Explainer, rule: Rule, evaluation: Evaluation,
               seen: set[str], everything: bool) -> dict[str, Any] | None:
    """A rule's node with its exceptions beneath it; None where a focused tree leaves it
    out (it does not bear on the outcome)."""
    in_scope = [item.data for item in evaluation.items
                if item.data in explainer.engine.scope[rule.id]]
    if not everything and not bears(evaluation, rule, in_scope):
        return None
    active = {law.id for law in evaluation.active_laws}
    condition = (evaluation.conditions[rule.id] if rule.id in evaluation.conditions
                 else explainer.engine.tests[rule.id](evaluation.env))  # not in scope: run it
    items = {}
    for item in evaluation.items:
        if item.data not in in_scope:
            if everything:
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
        "other_exceptions": [],
    }
    for exception_id in rule.exceptions:
        exception = explainer.model.rules[exception_id]
        if exception.law_id not in active:
            if everything:
                node["exceptions"].append({"rule": exception_id,
                                           "citation": exception.citation,
                                           "note": "its law does not apply to this request"})
        elif exception_id not in seen:
            child = _rule_node(explainer, exception, evaluation, seen | {rule.id}, everything)
            if child is not None:
                node["exceptions"].append(child)
            else:
                node["other_exceptions"].append(exception.citation)
    if everything:
        del node["other_exceptions"]
    return node


def tree_text(tree: dict[str, Any]) -> str:
    """The reasoning tree as indented text."""
    lines = [f"outcome: {tree['outcome']}"]
    quiet = [law["law"] for law in tree["laws"]
             if law["applies"] and not law["rules"] and not tree["everything"]]
    for law in tree["laws"]:
        if not tree["everything"] and (not law["applies"] or law["law"] in quiet):
            continue
        mark = "applies" if law["applies"] else "does not apply"
        lines.append("")
        lines.append(f"law {law['law']} ({law['title']}): {mark}")
        for reason in law["reasons"]:
            lines.append(f"  - {reason}")
        for rule in law["rules"]:
            lines.extend(_node_text(rule, "  ", "rule"))
    if quiet:
        lines += ["", "laws that apply but have no rule that bears on this request: "
                  + ", ".join(quiet)]
    if not tree["everything"]:
        idle = [law for law in tree["laws"] if not law["applies"]]
        if idle:
            lines += ["", "laws that do not apply:"]
            lines += [f"  - {law['law']}: " + "; ".join(law["reasons"]) for law in idle]
        if tree["left_out"]:
            lines += ["", f"{tree['left_out']} rules of the laws that apply do not bear on this "
                          "request (their conditions do not hold, or they speak to other "
                          "data); `ordinance explain --all` shows every law and rule."]
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
    if node.get("other_exceptions"):
        lines.append(f"{indent}    other exceptions considered: "
                     + ", ".join(dict.fromkeys(node["other_exceptions"])))
    return lines
