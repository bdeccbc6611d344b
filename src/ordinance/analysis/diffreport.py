"""A law diff for people: the terminal listing and the Markdown memo for a council's staff."""

from __future__ import annotations

import json

from ..engine.evaluator import NOT_COVERED, PERMITTED
from .lawdiff import LawDiff, OutcomeChange, Side
from .wording import classes_phrase, witness_yaml

_ROLE = {"prohibits": "prohibits", "permits": "permits", "excepts": "exception applies",
         "defeated": "prohibition defeated"}


def _phrase(change: OutcomeChange) -> str:
    tail = " (where no other rule prohibits it)" if change.unless_other_prohibition else ""
    return f"{change.condition}{tail}: {change.old.outcome} → {change.new.outcome}"


def _others(change: OutcomeChange) -> str:
    """``where no other rule prohibits it (for the witness's holder: § 4 (rule x))``."""
    if not change.unless_other_prohibition:
        return ""
    return ("where no other rule prohibits it (for the witness's holder, the other "
            "prohibitions are " + "; ".join(change.others) + ")")


def _basis_line(side: Side) -> str:
    if not side.basis:
        return {NOT_COVERED: "no law in the set applies to this holder",
                PERMITTED: "no applicable rule prohibits it"}.get(side.outcome, side.summary)
    return "; ".join(f"{', '.join(b.citations) or b.rule} ({_ROLE[b.role]}, rule {b.rule})"
                     for b in side.basis)


def diff_text(result: LawDiff, limit: int | None = None) -> str:
    """The changes for a terminal; at most ``limit`` of them."""
    shown = result.changes[:limit] if limit else result.changes
    lines = [f"old: {result.old[0]} ({result.old[1]})",
             f"new: {result.new[0]} ({result.new[1]})"]
    lines += [f"  {line}" for line in result.text.lines()] or ["  the law text is the same"]
    lines += ["", _count(result), ""]
    for number, change in enumerate(shown, 1):
        lines += [f"{number}. {_phrase(change)}",
                  f"   in words: {change.words}"]
        if change.unless_other_prohibition:
            lines.append(f"   {_others(change)}")
        lines += [
                  f"   old ({change.old.outcome}): {_basis_line(change.old)}",
                  f"   new ({change.new.outcome}): {_basis_line(change.new)}",
                  f"   witness: {json.dumps(change.witness, ensure_ascii=False)}",
                  f"   ({classes_phrase(change.classes)} merged)", ""]
    if len(shown) < len(result.changes):
        lines += [f"... and {len(result.changes) - len(shown)} more changes "
                  "(--limit 0 shows all, --format json lists all)", ""]
    lines.append(f"How it searched: {result.search}")
    return "\n".join(lines)


def _count(result: LawDiff) -> str:
    if not result.changes:
        return "No request changes outcome."
    moves: dict[tuple[str, str], int] = {}
    for change in result.changes:
        key = (change.old.outcome, change.new.outcome)
        moves[key] = moves.get(key, 0) + change.classes
    detail = ", ".join(f"{count} {old} → {new}" for (old, new), count in moves.items())
    return (f"{len(result.changes)} change{'s' if len(result.changes) != 1 else ''} of "
            f"outcome ({classes_phrase(result.classes)}: {detail}).")


def diff_markdown(result: LawDiff, limit: int | None = None) -> str:
    """A memo for a council's staff: the versions, a summary, then each change with the
    rules on both sides and a witness request as YAML."""
    shown = result.changes[:limit] if limit else result.changes
    out = ["# Effect of the amendment on data-sharing decisions", "",
           "| | Before | After |", "|---|---|---|",
           f"| Law set | {result.old[0]} | {result.new[0]} |",
           f"| Digest | `{result.old[1]}` | `{result.new[1]}` |", "",
           "## Summary", "", _count(result), ""]
    if result.text.lines():
        out += ["What differs in the encoded law:", ""]
        out += [f"- {line}" for line in result.text.lines()] + [""]
    out += ["Each change below is a class of requests: every request that fits the "
            "description is decided as shown. Each comes with a witness request; "
            "`ordinance check` on it, with either version, shows the outcome.", ""]
    for number, change in enumerate(shown, 1):
        out += [f"## {number}. {change.old.outcome} → {change.new.outcome}: {change.words}", "",
                f"Condition: `{change.condition}`.", ""]
        if change.unless_other_prohibition:
            out += [_others(change)[0].upper() + _others(change)[1:] + ".", ""]
        out += [f"This change covers {classes_phrase(change.classes)} of the search.", ""]
        for title, side in (("Before", change.old), ("After", change.new)):
            out += [f"**{title}: {side.outcome}.**", ""]
            out += _basis_markdown(side)
        out += ["Witness request:", "", "```yaml",
                witness_yaml(change.witness),
                "```", ""]
    if len(shown) < len(result.changes):
        out += [f"*... and {len(result.changes) - len(shown)} more changes "
                "(`--limit 0` lists all).*", ""]
    out += ["---", "", f"How it searched: {result.search}.", ""]
    return "\n".join(out)


def _basis_markdown(side: Side) -> list[str]:
    if not side.basis:
        return [f"- {_basis_line(side)}.", ""]
    out = []
    for basis in side.basis:
        cites = ", ".join(basis.citations) or f"rule `{basis.rule}`"
        out.append(f"- {cites} ({_ROLE[basis.role]}; rule `{basis.rule}`)"
                   + (f": {basis.summary}" if basis.summary else ""))
        if basis.quote:
            out.append(f"  > {basis.quote}")
    return out + [""]
