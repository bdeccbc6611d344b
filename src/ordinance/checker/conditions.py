"""Checker pass 6: every condition's facts, values, operators and depth."""

from __future__ import annotations

import datetime as dt

from ..language import nodes as n
from ..language.diagnostics import Report, did_you_mean
from .model import (
    Fact,
    FactValue,
)
from .state import State

# ---------------------------------------------------------------- pass 6: conditions


def literal_value(state: State, fact: Fact, literal: n.Literal, owner: str,
                   report: Report) -> FactValue | None:
    """Check a literal against a fact's type; return its value if it fits."""
    value = literal.value
    kind = fact.kind
    where = (f"fact `{fact.path}`: its default" if owner == "default"
             else f"{owner}: fact `{fact.path}`")
    if kind == "bool":
        if isinstance(value, bool):
            return value
        report.error("type-mismatch", f"{where} is true or false, not `{value}`", literal.span,
                     "write `true` or `false`" if owner == "default"
                     else "compare with `true` or `false`, or write the fact alone")
    elif kind == "date":
        if isinstance(value, dt.date):
            return value
        report.error("type-mismatch", f"{where} is a date, not `{value}`", literal.span,
                     "write a date as YYYY-MM-DD")
    elif kind == "text":
        if isinstance(value, str) and not literal.is_name:
            return value
        report.error("type-mismatch", f"{where} is text; `{value}` must be quoted",
                     literal.span, f'write `"{value}"`')
    elif kind in ("one_of", "set_of", "categories"):
        allowed = state.categories if kind == "categories" else fact.values
        if isinstance(value, str) and literal.is_name:
            if value in allowed:
                return value
            code = "unknown-category" if kind == "categories" else "unknown-value"
            report.error(code, f"{where} has no value `{value}`", literal.span,
                         did_you_mean(value, allowed)
                         or "allowed: " + ", ".join(sorted(set(allowed))))
        else:
            report.error("type-mismatch", f"{where} takes one of its names, not `{value}`",
                         literal.span, "allowed: " + ", ".join(sorted(set(allowed))))
    return None


def _names_in_scope(state: State) -> list[str]:
    return [*state.facts, *state.defines]


MAX_CONDITION_DEPTH = 32
"""How deeply conditions may nest (parentheses and `not`); deeper ones are refused."""


def check_condition(state: State, cond: n.Condition, owner: str, report: Report,
                    depth: int = 1) -> None:
    """Check names and types in one condition, recursively."""
    if depth > MAX_CONDITION_DEPTH:
        report.error("condition-too-deep", f"{owner}: the condition nests deeper than "
                     f"{MAX_CONDITION_DEPTH} levels", cond.span,
                     "name parts of it with `define` and use the names")
        return
    if isinstance(cond, n.And | n.Or):
        for operand in cond.operands:
            check_condition(state, operand, owner, report, depth + 1)
    elif isinstance(cond, n.Not):
        check_condition(state, cond.operand, owner, report, depth + 1)
    elif isinstance(cond, n.Ref):
        if cond.name in state.defines:
            return
        fact = state.facts.get(cond.name)
        if fact is None:
            report.error("unknown-name", f"{owner}: unknown fact or condition `{cond.name}`",
                         cond.span, did_you_mean(cond.name, _names_in_scope(state)))
        elif fact.kind != "bool":
            report.error("type-mismatch", f"{owner}: fact `{cond.name}` is not true or false",
                         cond.span, _operator_help(fact))
    elif isinstance(cond, n.Compare | n.Member | n.Has):
        fact = state.facts.get(cond.fact)
        if fact is None:
            report.error("unknown-fact", f"{owner}: unknown fact `{cond.fact}`", cond.span,
                         did_you_mean(cond.fact, state.facts))
            return
        _check_operator(state, cond, fact, owner, report)


def _operator_help(fact: Fact) -> str:
    if fact.kind in ("set_of", "categories"):
        return f"test membership with `{fact.path} has ...`"
    if fact.kind == "date":
        return f"compare it with a date, e.g. `{fact.path} >= 2018-01-01`"
    return f"compare it with `=` or `in`, e.g. `{fact.path} = ...`"


def _check_operator(state: State, cond: n.Compare | n.Member | n.Has, fact: Fact,
                    owner: str, report: Report) -> None:
    is_set = fact.kind in ("set_of", "categories")
    if isinstance(cond, n.Has):
        if not is_set:
            report.error("type-mismatch", f"{owner}: `has` needs a set fact; `{fact.path}` is "
                         "not one", cond.span, _operator_help(fact))
            return
        values: tuple[n.Literal, ...] = cond.values
    elif isinstance(cond, n.Compare) and cond.op in ("<", "<=", ">", ">="):
        if fact.kind != "date":
            report.error("type-mismatch", f"{owner}: `{cond.op}` compares dates; `{fact.path}` "
                         "is not a date", cond.span, _operator_help(fact))
            return
        values = (cond.value,)
    else:
        if is_set:
            report.error("type-mismatch", f"{owner}: `{fact.path}` is a set",
                         cond.span, _operator_help(fact))
            return
        values = (cond.value,) if isinstance(cond, n.Compare) else cond.values
    for literal in values:
        literal_value(state, fact, literal, owner, report)


def check_conditions(state: State, report: Report) -> None:
    """Check every condition in defines and rules, and every rule's data scope."""
    for decl in state.define_decls:
        if decl.when is not None:
            check_condition(state, decl.when, f"condition `{decl.name}`", report)
    for module in state.modules:
        if module.law is not None and module.law.binds_when is not None:
            check_condition(state, module.law.binds_when, f"law `{module.law.id}`: `binds`",
                            report)
    for rule_id, (_law, rule_decl) in state.rule_decls.items():
        owner = f"rule `{rule_id}`"
        if rule_decl.when is not None:
            check_condition(state, rule_decl.when, owner, report)
        if rule_decl.effect is not None:
            for name in rule_decl.effect.scope:
                if name.text not in state.categories:
                    report.error("unknown-category", f"{owner}: unknown data category "
                                 f"`{name.text}`", name.span,
                                 did_you_mean(name.text, state.categories))
