"""Decisions rendered for people: plain text for the terminal, Markdown for memos.

Rendering never evaluates; it only formats a :class:`~ordinance.engine.decision.Decision`.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable

from ..engine.decision import Decision, ExceptionStep, ItemDecision, LawApplicability, RuleStep

Styler = Callable[[str, str], str]
"""``style(text, role)``: colour a piece of text for a role (outcome names, headings)."""

_COLOURS = {"permitted": "green", "prohibited": "red", "undetermined": "yellow",
            "not_covered": "blue"}


# Characters that start Markdown constructs anywhere in a line: links and images (``[``, ``]``),
# raw HTML and autolinks (``<``), code spans, emphasis, tables, headings' closing ``#``;
# ``_`` only at a word's edge (``release_date`` stays as written), ``&`` only where it would
# start an entity (``&lt;``), so ``Sts. & Hy. Code`` stays as written.
_MD_INLINE = re.compile(r"[\\`*\[\]<>~|#]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])"
                        r"|&(?=#?[0-9A-Za-z]+;)")
# What starts a block only at the start of a line: list items, setext underlines, ordered lists.
_MD_LINE_START = re.compile(r"^([ \t]*)([-+=]|\d+(?=[.)]))")
_MD_LINE_END = re.compile(r"[ \t]*(\r\n|\r|\n)[ \t]*")
def md_text(text: object) -> str:
    r"""Text shown as itself in Markdown, on one line: it can start no link, image, HTML tag,
    heading or list (every such metacharacter backslash-escaped, line breaks made spaces).
    What stands between two backticks is a code span, shown literally (the engine quotes
    ids and values so); an odd backtick out is shown as itself.

    >>> md_text("[x](javascript:alert(1)) <b>")
    '\\[x\\](javascript:alert(1)) \\<b\\>'
    >>> md_text("# pwned")
    '\\# pwned'
    >>> md_text("- kind `a](x)` of release_date`")
    '\\- kind `a](x)` of release_date\\`'
    """
    parts = _MD_LINE_END.sub(" ", str(text)).split("`")
    tail = ""
    if len(parts) % 2 == 0:  # an odd number of backticks: the last is no code span's
        tail = "\\`" + _escape(parts.pop())
    line = "".join(md_code(part) if index % 2 else _escape(part)
                   for index, part in enumerate(parts)) + tail
    return _MD_LINE_START.sub(_escape_start, line, count=1)


def _escape(text: str) -> str:
    return _MD_INLINE.sub(lambda m: "\\" + m.group(), text)


def _escape_start(match: re.Match[str]) -> str:
    indent, mark = match.groups()
    return indent + ("\\" + mark if not mark[0].isdigit() else mark + "\\")


def md_code(text: object) -> str:
    """Text as a Markdown code span: shown literally, whatever it holds.

    >>> md_code("a`b")
    '``a`b``'
    """
    text = _MD_LINE_END.sub(" ", str(text))
    if not text:
        return "\\`\\`"
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip(" ") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


MISSING_NOT_EXACT = ("(The search for which facts matter stopped at its budget: some of "
                     "these may not change the outcome.)")
"""Said under the facts to ask when ``missing_facts_exact`` is False."""

CHANGES_NOT_EXACT = ("(The search for what would change the answer stopped at its budget: "
                     "other changes may also permit it.)")
"""Said under the changes when ``would_change_exact`` is False."""


def plain(text: str, role: str) -> str:
    """The styler that adds no colour."""
    return text


def colour_for(role: str) -> str | None:
    """The terminal colour for a role, if it has one."""
    return _COLOURS.get(role)


def _wrap(text: str, indent: str, width: int = 92) -> str:
    paragraphs = [p for p in text.split("\n") if p.strip()]
    return "\n".join(textwrap.fill(p, width=width, initial_indent=indent,
                                   subsequent_indent=indent) for p in paragraphs)


def _applied(value: bool | None) -> str:
    return {True: "applies", False: "does not apply", None: "may apply"}[value]


def shown(text: str) -> str:
    """Text from a request as a terminal should print it: control characters (a terminal's
    escape sequences among them) written out, never sent.

    >>> shown("a\\x1b[31mb")
    'a\\\\x1b[31mb'
    """
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in text)


def to_text(decision: Decision, style: Styler = plain) -> str:
    """A readable report: the outcome first, then each item's rules and exceptions."""
    out = []
    head = decision.outcome.upper().replace("_", " ")
    ident = f"  (request {shown(decision.request_id)})" if decision.request_id else ""
    out.append(style(head, decision.outcome) + ident)
    out.append(_wrap(decision.summary, ""))
    if decision.warnings:
        out.append("")
        out.append(style("Read the request as the law does:", "heading"))
        for warning in decision.warnings:
            out.append(_wrap(f"- {warning.text} ({warning.citation})", "  "))
    for item in decision.items:
        out.append("")
        outcome = item_outcome(decision, item)
        out.append(f"{item.label} [{item.data}]: "
                   + style(outcome.replace("_", " "), outcome))
        out.extend(_item_text(item))
    if decision.missing_facts:
        out.append("")
        out.append(style("To decide, answer:", "heading"))
        for fact in decision.missing_facts:
            allowed = f" [{', '.join(fact.allowed)}]" if fact.allowed else ""
            out.append(f"  - {fact.fact}{allowed}")
            out.append(_wrap(fact.question, "      "))
            if fact.asked_by:
                out.append("      asked by " + "; ".join(fact.asked_by))
        if not decision.missing_facts_exact:
            out.append(_wrap(MISSING_NOT_EXACT, "  "))
    if decision.would_change or not decision.would_change_exact:
        out.append("")
        out.append(style("Would be permitted if:", "heading"))
        for change in decision.would_change:
            sets = ", ".join(f"{k} = {_value(v)}" for k, v in change.set.items())
            cite = f" ({change.citation})" if change.citation else ""
            out.append(f"  - {sets}{cite}")
        if not decision.would_change_exact:
            out.append(_wrap(CHANGES_NOT_EXACT, "  "))
    if decision.obligations:
        out.append("")
        out.append(style("Obligations:", "heading"))
        for duty in decision.obligations:
            when = "" if duty.applies else (" (if " + ", ".join(duty.depends_on)
                                            + " turns out so)")
            out.append(_wrap(f"- {duty.duty}{when} ({duty.citation})", "  "))
    if decision.caveats:
        out.append("")
        out.append(style("Caveats of the laws applied (check before relying on this answer):",
                         "heading"))
        for caveat in decision.caveats:
            out.append(_wrap(f"- {caveat.law} ({caveat.kind}): {caveat.text}", "  "))
    out.append("")
    if decision.jurisdiction:
        out.append(_wrap("Holder's place: " + _place(decision), ""))
    out.append(_wrap("Laws applied: " + (", ".join(law.id for law in decision.laws) or "none")
                     + " (versions: ordinance laws)", ""))
    not_applying = _not_applying(decision)
    if not_applying:
        out.append("Laws of the holder's state that did not apply:")
    for law in not_applying:
        out.append(_wrap(f"- {law.id} ({law.place}): " + "; ".join(law.why_not), "  "))
    out.append(f"Ordinance set: {decision.ordinance_set}")
    return "\n".join(out)


def item_outcome(decision: Decision, item: ItemDecision) -> str:
    """An item's outcome as shown: where no law covers the request, no item has a
    permission to state, so each is *not covered*."""
    return "not_covered" if decision.outcome == "not_covered" else item.outcome


def _place(decision: Decision) -> str:
    """Where the holder was resolved to, most local first, with the Census codes."""
    names: dict[str, str] = {}  # a consolidated city-county is named once
    for place in reversed(decision.jurisdiction):
        shown = place.official + (f" ({place.code})" if place.code else "")
        if place.official not in names or place.code:
            names[place.official] = shown
    return ", ".join(names.values())


def _not_applying(decision: Decision) -> list[LawApplicability]:
    """The laws of the holder's state that did not apply, each with why not."""
    return [law for law in decision.considered
            if not law.applies and law.same_state and law.why_not]


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _rule_text(step: RuleStep) -> list[str]:
    status = step.status
    if step.defeated_by:
        status += " by " + ", ".join(step.defeated_by)
    lines = [f"  {step.effect} - {step.rule} - {status}",
             f"    {step.citation}"]
    if step.quote:
        lines.append(_wrap(f"\u201c{step.quote}\u201d", "      "))
    if step.because:
        lines.append(_wrap("because: " + "; ".join(step.because), "    "))
    return lines


def _exception_text(step: ExceptionStep) -> list[str]:
    lines = [f"    exception {step.rule} ({step.citation}): {_applied(step.applied)}"]
    if step.applied and step.quote:
        lines.append(_wrap(f"\u201c{step.quote}\u201d", "        "))
    because = exception_reasons(step)
    if because:
        lines.append(_wrap("because: " + "; ".join(because), "      "))
    return lines


def exception_reasons(step: ExceptionStep) -> list[str]:
    """An exception's reasons; for one that does not apply, without the exceptions that
    "may" defeat it (they cannot matter)."""
    if step.applied is False:
        return [line for line in step.because if not line.startswith("may be defeated by")]
    return list(step.because)


def bearing(item: ItemDecision) -> tuple[list[RuleStep], list[ExceptionStep]]:
    """What of an item's explanation bears on its outcome or on a missing fact: the rules
    that decided it, and the exceptions to them.

    A permission never overrides a prohibition, so one is shown only where it is the
    reason a permitted item is permitted (it stands); exceptions only to permissions not
    shown are left out with them.
    """
    rules = [step for step in item.rules
             if step.effect != "permit" or (step.status == "stands"
                                             and item.outcome == "permitted")]
    hidden = {step.rule for step in item.rules} - {step.rule for step in rules}
    exceptions = [step for step in item.exceptions
                  if not step.excepts or not set(step.excepts) <= hidden]
    return rules, exceptions


def _item_text(item: ItemDecision) -> list[str]:
    lines: list[str] = []
    rules, exceptions = bearing(item)
    if not item.addressed:
        lines.append("  no law that applies to the holder says anything about this data")
    elif not rules:
        lines.append("  no applicable rule prohibits it")
    shown: set[str] = set()

    def beneath(rule_id: str, depth: int) -> list[str]:
        out: list[str] = []
        for exception in exceptions:
            if rule_id in exception.excepts and exception.rule not in shown:
                shown.add(exception.rule)
                out.extend(_indent(_exception_text(exception), depth))
                out.extend(beneath(exception.rule, depth + 1))
        return out

    for step in rules:
        lines.extend(_rule_text(step))
        lines.extend(beneath(step.rule, 0))
    for exception in exceptions:  # exceptions to rules not shown (their own rule failed)
        if exception.rule not in shown:
            lines.append("  to " + ", ".join(exception.excepts) + " (which does not stand):")
            lines.extend(_exception_text(exception))
    return lines


def _indent(lines: list[str], depth: int) -> list[str]:
    return [" " * (4 * depth) + line for line in lines]


def to_markdown(decision: Decision) -> str:
    """A memo an attorney can file: question, short answer, analysis, authorities.

    Every text that comes from a law or a request is escaped (:func:`md_text`) or quoted as
    code (:func:`md_code`), so the memo has no link, image, HTML or heading but its own.
    """
    t, c = md_text, md_code
    request = decision.request
    holder = request.get("holder", {})
    requester = request.get("requester", {})
    title = t(decision.request_id) if decision.request_id else "data-sharing request"
    lines = [
        f"# Memorandum: {title}",
        "",
        f"**Outcome: {decision.outcome.replace('_', ' ')}**",
        "",
        "## Question",
        "",
        f"May {t(holder.get('agency') or holder.get('kind', 'the holder'))} share "
        + ", ".join(c(d) for d in request.get("data", []))
        + f" with {t(requester.get('agency') or requester.get('kind', 'the requester'))}"
        + (f" on {t(request['date'])}" if request.get("date") else "") + "?",
        "",
        "## Short answer",
        "",
        t(decision.summary),
    ]
    if decision.warnings:
        lines += ["", "## How the law reads this request", ""]
        lines += [f"- {t(w.text)} ({t(w.citation)})" for w in decision.warnings]
    lines += ["", "## Analysis"]
    for item in decision.items:
        lines += ["", f"### {t(item.label)} ({c(item.data)}): "
                  f"{item_outcome(decision, item).replace('_', ' ')}", ""]
        rules, exceptions = bearing(item)
        if not rules:
            lines.append("No applicable rule prohibits it." if item.addressed else
                         "No law that applies to the holder says anything about this data.")
        for step in rules:
            lines.append(f"- **{t(step.effect)}**, {t(step.citation)} ({c(step.rule)}): "
                         f"{t(step.status)}.")
            if step.because:
                lines.append(f"  Because {t('; '.join(step.because))}.")
            if step.quote:
                lines += ["", *(f"  > {t(line)}" for line in step.quote.splitlines()), ""]
        for exception in exceptions:
            because = exception_reasons(exception)
            lines.append(f"- Exception {t(exception.citation)} ({c(exception.rule)}): "
                         f"{_applied(exception.applied)}"
                         + (f" — {t('; '.join(because))}" if because else "")
                         + ".")
    if decision.missing_facts:
        lines += ["", "## Facts needed", ""]
        for fact in decision.missing_facts:
            lines.append(f"- {c(fact.fact)}: {t(fact.question)} ({t('; '.join(fact.asked_by))})")
        if not decision.missing_facts_exact:
            lines += ["", t(MISSING_NOT_EXACT)]
    if decision.would_change or not decision.would_change_exact:
        lines += ["", "## What would change the answer", ""]
        for change in decision.would_change:
            sets = ", ".join(f"{c(k)} = {c(_value(v))}" for k, v in change.set.items())
            lines.append(f"- {sets} → {t(change.outcome)}"
                         + (f" ({t(change.citation)})" if change.citation else ""))
        if not decision.would_change_exact:
            lines += ["", t(CHANGES_NOT_EXACT)]
    if decision.obligations:
        lines += ["", "## Obligations", ""]
        for duty in decision.obligations:
            lines.append(f"- {t(duty.duty)} ({t(duty.citation)})")
    if decision.caveats:
        lines += ["", "## Caveats", "",
                  "The laws this answer rests on say this about their own encoding; check "
                  "each before relying on the answer.", ""]
        lines += [f"- {c(caveat.law)} ({t(caveat.kind)}): {t(caveat.text)}"
                  for caveat in decision.caveats]
    lines += ["", "## Authorities", ""]
    lines += [f"- {t(citation)}" for citation in decision.citations] or ["- none"]
    lines += ["", "---", ""]
    if decision.jurisdiction:
        lines.append(f"Holder's place: {t(_place(decision))}.  ")
    lines += ["Laws applied: " + (", ".join(f"{t(law.title)} ({c(law.id)}, {t(law.version)})"
                                            for law in decision.laws) or "none") + ".  ",
              f"Ordinance set {c(decision.ordinance_set)}."]
    not_applying = _not_applying(decision)
    if not_applying:
        lines += ["", "Laws of the holder's state that did not apply:", ""]
        lines += [f"- {t(law.title)} ({c(law.id)}, {t(law.place)}): " + t("; ".join(law.why_not))
                  for law in not_applying]
    return "\n".join(lines) + "\n"
