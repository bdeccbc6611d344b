"""What an amendment changes: every class of requests whose outcome differs between two
versions of a law set, each with a witness request and the citations on both sides.

The search (:mod:`ordinance.analysis.space`) runs over both law sets at once. For each
holder context and data item the in-scope prohibitions fall in two kinds:
*unchanged* ones (same id, effect, condition with named conditions written out,
scope and exceptions, recursively, and a law that applies under both versions)
and *changed* ones (everything else, in either version). An item's outcome
changes exactly when no unchanged prohibition stands and the changed ones do not
agree: some stands under one version and none under the other. So the search
branches on the facts of the changed rules first, and on the unchanged ones only
where a change is possible, and never judges an item's whole outcome.

A change is described by the facts its changed rules read (the others are free),
"where no other rule prohibits it" when unchanged prohibitions could: its
witness is a whole class, on which they all fail, so ``ordinance check`` on it
shows the change. Every witness is decided with both law sets before it is
reported.
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
from collections.abc import Hashable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from ..checker.model import FactValue, Law, OrdinanceModel, Rule
from ..engine.conditions import facts_used, kleene_or
from ..engine.decision import Decision, ItemDecision
from ..engine.evaluator import NOT_COVERED, PERMITTED, PROHIBITED, Engine, Evaluation
from ..engine.lawset import OrdinanceSet
from ..engine.vocabulary import Request
from ..language.errors import OrdinanceError, RequestError
from .describe import (
    DateRange,
    Group,
    VerificationError,
    describe,
    domain_of,
    explore_blocks,
    place_name,
    residual,
)
from .space import Context, Found, Judge, Space, witness_request
from .wording import Wording, date_ranges_json

COVERED = "covered"
"""The new outcome where no law applied before and some does now (it depends on the request)."""

SAME = "same"


class DiffInputError(OrdinanceError):
    """A version to compare could not be found: no such directory or git revision."""


# ---------------------------------------------------------------- versions


@attrs.frozen
class Version:
    """One side of a comparison: where its laws came from, and the loaded law set."""

    label: str  # `laws/` or `git revision HEAD~1 (commit 1a2b3c4), ordinances/`
    laws: OrdinanceSet

    @property
    def digest(self) -> str:
        """The law set's content hash."""
        return self.laws.digest


def extract_revision(revision: str, subdir: str, into: Path, cwd: Path | None = None) -> str:
    """Write ``subdir`` of the git repository around ``cwd`` at ``revision`` below ``into``.

    Returns a label naming the revision and its commit.

    Raises:
        DiffInputError: no git, not a repository, no such revision, or no such path in it.
    """
    top = _git(["rev-parse", "--show-toplevel"], cwd, revision,
               "is not a directory, and the current directory is not in a git repository")
    root = Path(top.decode().strip())
    commit = _git(["rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"], root,
                  revision, f"is neither a directory nor a revision of the git repository "
                            f"at {root}").decode().strip()
    path = subdir.strip("/") or "."
    archive = _git(["archive", "--format=tar", commit, "--", path], root, revision,
                   f"has no `{path}` (paths are relative to the repository root {root})")
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return f"git revision {revision} (commit {commit[:12]}), {path}/"


def _git(args: list[str], cwd: Path | None, revision: str, problem: str) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except OSError as error:
        raise DiffInputError(f"`{revision}` is not a directory, and git cannot be run to "
                             f"read it as a revision: {error.strerror}") from None
    if done.returncode != 0:
        raise DiffInputError(f"`{revision}` {problem}")
    return done.stdout


# ---------------------------------------------------------------- what the search finds


@attrs.frozen
class Basis:
    """A rule a side's outcome rests on: what it does, its citations and quoted text."""

    rule: str
    role: str  # prohibits | permits | excepts (defeats another rule) | defeated
    citations: tuple[str, ...]
    quote: str
    summary: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"rule": self.rule, "role": self.role, "citations": list(self.citations),
                "quote": self.quote, "summary": self.summary}


@attrs.frozen
class Side:
    """One version's decision of a change's witness, for the changed item."""

    outcome: str
    basis: tuple[Basis, ...]
    summary: str  # the decision's one-paragraph summary

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"outcome": self.outcome, "basis": [b.to_dict() for b in self.basis],
                "summary": self.summary}


@attrs.frozen
class OutcomeChange:
    """A class of requests whose outcome differs, in words, with a witness and both sides."""

    condition: str
    words: str
    unless_other_prohibition: bool  # holds "where no other rule prohibits it"
    others: tuple[str, ...]  # those other rules, for the witness's holder: `§ 4 (rule x)`
    place: str
    kinds: tuple[str, ...]
    dates: tuple[DateRange, ...]
    items: tuple[str, ...]
    facts: dict[str, list[Any]]
    classes: int
    witness: dict[str, Any]
    old: Side
    new: Side

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"condition": self.condition, "in_words": self.words,
                "where_no_other_rule_prohibits": self.unless_other_prohibition,
                "other_prohibitions": list(self.others),
                "place": self.place, "holder_kinds": list(self.kinds),
                "dates": date_ranges_json(self.dates),
                "data": list(self.items), "facts": self.facts, "classes": self.classes,
                "old": self.old.to_dict(), "new": self.new.to_dict(),
                "witness": self.witness}


@attrs.frozen
class TextChanges:
    """What differs in the law text itself: laws and rules added, removed or changed."""

    laws_added: tuple[str, ...] = ()
    laws_removed: tuple[str, ...] = ()
    laws_changed: tuple[str, ...] = ()  # reach, dates or rules differ
    rules_added: tuple[str, ...] = ()
    rules_removed: tuple[str, ...] = ()
    rules_changed: tuple[str, ...] = ()
    categories_added: tuple[str, ...] = ()
    categories_removed: tuple[str, ...] = ()
    facts_added: tuple[str, ...] = ()
    facts_removed: tuple[str, ...] = ()
    facts_changed: tuple[str, ...] = ()  # another type or other values

    def to_dict(self) -> dict[str, list[str]]:
        """JSON-ready form."""
        return {field.name: list(getattr(self, field.name))
                for field in attrs.fields(TextChanges)}

    def lines(self) -> list[str]:
        """One line per non-empty kind of change: ``rules removed: a, b``."""
        return [f"{field.name.replace('_', ' ')}: {', '.join(getattr(self, field.name))}"
                for field in attrs.fields(TextChanges) if getattr(self, field.name)]


@attrs.frozen
class LawDiff:
    """Every outcome that changes between two versions of a law set."""

    old: tuple[str, str]  # label, digest
    new: tuple[str, str]
    text: TextChanges
    changes: tuple[OutcomeChange, ...]
    search: str

    @property
    def classes(self) -> int:
        """How many classes of requests change outcome."""
        return sum(c.classes for c in self.changes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"old": {"source": self.old[0], "ordinance_set": self.old[1]},
                "new": {"source": self.new[0], "ordinance_set": self.new[1]},
                "text_changes": self.text.to_dict(), "classes": self.classes,
                "changes": [c.to_dict() for c in self.changes], "search": self.search}


@attrs.frozen
class _Change:
    """A leaf's answer: the item's outcome under each version."""

    old: str
    new: str
    qualified: bool  # unchanged prohibitions are in play: "where no other rule prohibits it"


@attrs.frozen
class _Split:
    """The in-scope prohibitions of one (context, item), unchanged and changed."""

    unchanged: tuple[str, ...]
    changed_old: tuple[str, ...]
    changed_new: tuple[str, ...]
    reads: frozenset[str]  # the facts the changed rules and their exceptions read

    @property
    def changes(self) -> bool:
        """Whether any prohibition differs."""
        return bool(self.changed_old or self.changed_new)


# ---------------------------------------------------------------- the comparison


class Comparison:
    """Compares the rules of two compiled law sets, per holder context and data item."""

    def __init__(self, old: Engine, new: Engine) -> None:
        self.engines = (old, new)
        self.written = [{rule_id: residual(rule.when, e.model, e.compiler)
                         for rule_id, rule in e.model.rules.items()} for e in self.engines]
        self.by_law = [_rules_by_law(e.model) for e in self.engines]
        same_tree = _parents(old.model) == _parents(new.model)
        self.signatures_differ = {
            path for path in set(old.model.facts) | set(new.model.facts)
            if _signature(old.model, path) != _signature(new.model, path)
            or (not same_tree and _kind(old.model, path) == "categories")}
        self._splits: dict[tuple[str, frozenset[str], frozenset[str]], _Split] = {}
        self._by_pair: dict[tuple[int, str], _Split] = {}
        self.static_same = {r: self._statically_same(r, set())
                            for r in set(old.model.rules) | set(new.model.rules)}

    # rules compared
    def in_play(self, side: int, context: Context, item: str) -> frozenset[str]:
        """The rules of the laws applying in ``context`` with ``item`` in their scope."""
        scope = self.engines[side].scope
        return frozenset(r for law in context.active[side]
                         for r in self.by_law[side].get(law, ()) if item in scope[r])

    def same(self, rule_id: str, in_old: frozenset[str], in_new: frozenset[str]) -> bool:
        """Whether a rule reads, scopes and is excepted alike under both versions, given the
        rules in play under each (its exceptions in play, recursively, alike)."""
        if rule_id not in in_old or rule_id not in in_new or not self._alike(rule_id):
            return False
        old, new = (e.model.rules[rule_id] for e in self.engines)
        mine = {e for e in old.exceptions if e in in_old}
        if mine != {e for e in new.exceptions if e in in_new}:
            return False
        return all(self.same(e, in_old, in_new) for e in mine)

    def _alike(self, rule_id: str, *, facts: bool = True) -> bool:
        """Same effect and condition (and, with ``facts``, the facts it reads declared alike)."""
        old, new = (e.model.rules.get(rule_id) for e in self.engines)
        if old is None or new is None or old.effect != new.effect:
            return False
        if self.written[0][rule_id] != self.written[1][rule_id]:
            return False
        return not facts or not any(f in self.signatures_differ
                                    for f in facts_used(old.when, self.engines[0].model))

    def _statically_same(self, rule_id: str, seen: set[str], *, reach: bool = True) -> bool:
        """Alike in every context: also the same scope and exceptions (recursively) and,
        with ``reach``, laws that apply to the same holders on the same dates and facts
        declared alike."""
        if rule_id in seen:
            return True
        seen.add(rule_id)
        if not self._alike(rule_id, facts=reach):
            return False
        old, new = (e.model.rules[rule_id] for e in self.engines)
        laws = [e.model.laws[r.law_id] for e, r in zip(self.engines, (old, new), strict=True)]
        if (set(old.exceptions) != set(new.exceptions) or (reach and not _same_reach(*laws))
                or self.engines[0].scope[rule_id] != self.engines[1].scope[rule_id]):
            return False
        return all(self._statically_same(e, seen, reach=reach) for e in old.exceptions)

    def rewritten(self, rule_id: str) -> bool:
        """Whether a rule of both versions is written differently: its effect, condition,
        scope or exceptions."""
        return not self._statically_same(rule_id, set(), reach=False)

    def split(self, item: str, in_old: frozenset[str], in_new: frozenset[str]) -> _Split:
        """The prohibitions in play, unchanged and changed (cached)."""
        key = (item, in_old, in_new)
        found = self._splits.get(key)
        if found is None:
            found = self._splits[key] = self._split(in_old, in_new)
        return found

    def _split(self, in_old: frozenset[str], in_new: frozenset[str]) -> _Split:
        old, new = (e.model.rules for e in self.engines)
        prohibit_old = [r for r in old if r in in_old and old[r].effect == "prohibit"]
        prohibit_new = [r for r in new if r in in_new and new[r].effect == "prohibit"]
        unchanged = tuple(r for r in prohibit_old
                          if r in prohibit_new and self.same(r, in_old, in_new))
        changed_old = tuple(r for r in prohibit_old if r not in unchanged)
        changed_new = tuple(r for r in prohibit_new if r not in unchanged)
        reads: set[str] = set()
        for side, changed, in_play in ((0, changed_old, in_old), (1, changed_new, in_new)):
            model = self.engines[side].model
            for rule_id in _tree(model, changed, in_play):
                reads |= set(facts_used(model.rules[rule_id].when, model))
        return _Split(unchanged, changed_old, changed_new, frozenset(reads))

    def split_for(self, context: Context, item: str) -> _Split:
        """:meth:`split` for a (context, item) pair (cached)."""
        key = (id(context), item)
        found = self._by_pair.get(key)
        if found is None:
            found = self._by_pair[key] = self.split(item, self.in_play(0, context, item),
                                                    self.in_play(1, context, item))
        return found

    # the search
    def focus(self) -> tuple[str, ...]:
        """Rules to branch on: the changed ones and their exceptions, then the rest."""
        ids = list(dict.fromkeys([*self.engines[0].model.rules, *self.engines[1].model.rules]))
        changed = [r for r in ids if not self.static_same[r]]
        order: list[str] = []
        for group in (changed, ids):
            for side in (0, 1):
                model = self.engines[side].model
                prohibitions = [r for r in group if r in model.rules
                                and model.rules[r].effect == "prohibit"]
                order += [r for r in _tree(model, prohibitions, model.rules)
                          if r not in order]
        return tuple(order)

    def key(self, context: Context, item: str) -> Hashable | None:
        """What the judge's answers on a pair depend on; None where nothing changes."""
        if any(item not in e.model.hierarchy.categories for e in self.engines):
            return None  # a category of one version only (reported as a text change)
        covered = tuple(bool(a) for a in context.active)
        if not all(covered):
            return ("coverage", covered)
        in_old, in_new = (self.in_play(s, context, item) for s in (0, 1))
        if not self.split_for(context, item).changes:
            return None
        sides = []
        reads_data = False
        for side, in_play in ((0, in_old), (1, in_new)):
            engine = self.engines[side]
            model = engine.model
            sides.append(frozenset((r, residual(model.rules[r].when, model, engine.compiler,
                                                context.facts))
                                   for r in in_play if model.rules[r].effect != "require"))
            reads_data = reads_data or any("data" in facts_used(model.rules[r].when, model)
                                           for r in in_play)
        return (sides[0], sides[1], item if reads_data else None)

    def judge_for(self, item: str) -> Judge[Hashable]:
        """The judge of :mod:`ordinance.analysis.lawdiff`'s decomposition, for one item."""
        def judge(evaluations: Sequence[Evaluation]) -> Hashable | None:
            covered = [COVERED if e.active_laws else NOT_COVERED for e in evaluations]
            if NOT_COVERED in covered:
                return _Change(covered[0], covered[1], False)
            old, new = (e.items[0].standing for e in evaluations)  # the searched item
            split = self.split(item, frozenset(old), frozenset(new))
            if any(old[u] is True for u in split.unchanged):
                return SAME
            before = kleene_or(iter([old[r] for r in split.changed_old]))
            after = kleene_or(iter([new[r] for r in split.changed_new]))
            if before is None or after is None:
                return None
            if before == after:
                return SAME
            if all(old[u] is False for u in split.unchanged):
                return _Change(_outcome(before), _outcome(after), bool(split.unchanged))
            return None
        return judge

    def project(self, found: Found[Any]) -> Mapping[str, FactValue]:
        """The facts a change is described by: those its changed rules read."""
        reads = self.split_for(found.context, found.item).reads
        return {f: v for f, v in found.assignment.items() if f in reads}


def _outcome(prohibited: bool) -> str:
    return PROHIBITED if prohibited else PERMITTED


def _rules_by_law(model: OrdinanceModel) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for rule in model.rules.values():
        out.setdefault(rule.law_id, []).append(rule.id)
    return out


def _tree(model: OrdinanceModel, roots: Iterable[str], in_play: Iterable[str]) -> list[str]:
    """``roots`` and their exceptions in play, at any depth, breadth first."""
    allowed = set(in_play)
    order = [r for r in roots if r in allowed]
    for rule_id in order:  # grows while iterated
        order += [e for e in model.rules[rule_id].exceptions if e in allowed and e not in order]
    return order


def _parents(model: OrdinanceModel) -> dict[str, str | None]:
    return {name: c.parent for name, c in model.hierarchy.categories.items()}


def _kind(model: OrdinanceModel, path: str) -> str | None:
    fact = model.facts.get(path)
    return fact.kind if fact else None


def _signature(model: OrdinanceModel, path: str) -> tuple[str, tuple[str, ...]] | None:
    fact = model.facts.get(path)
    return (fact.kind, fact.values) if fact else None


def _same_reach(old: Law, new: Law) -> bool:
    return (old.places, old.binds, old.in_force_from, old.in_force_until) == (
        new.places, new.binds, new.in_force_from, new.in_force_until)


# ---------------------------------------------------------------- the whole diff


def diff(old: Version, new: Version) -> LawDiff:
    """Every class of requests whose outcome differs from ``old`` to ``new``.

    Raises:
        VerificationError: if a witness is not decided as the search found (a bug).
    """
    engines = (old.laws.engine, new.laws.engine)
    comparison = Comparison(*engines)
    space = Space(engines)
    searched = explore_blocks(space, comparison.judge_for, comparison.key, comparison.focus(),
                              keep=lambda answer: answer != SAME)
    domain = domain_of(space)
    wording = Wording(new.laws.model, domain,
                      [str(k) for k in space.values.get("holder.kind", ())])
    order = list(dict.fromkeys([*old.laws.model.facts, *new.laws.model.facts]))
    changes = tuple(_change(group, wording, order, (old.laws, new.laws), comparison)
                    for group in describe(searched.blocks, space, comparison.project))
    return LawDiff((old.label, old.digest), (new.label, new.digest),
                   text_changes(comparison), changes, searched.summary())


def text_changes(comparison: Comparison) -> TextChanges:
    """The laws, rules, categories and facts added, removed or changed."""
    old, new = (e.model for e in comparison.engines)
    changed_rules = tuple(r for r in old.rules if r in new.rules and comparison.rewritten(r))
    changed_laws = {old.rules[r].law_id for r in changed_rules}
    changed_laws |= {law for law in old.laws if law in new.laws
                     and not _same_reach(old.laws[law], new.laws[law])}
    changed_laws |= {new.rules[r].law_id for r in new.rules if r not in old.rules}
    changed_laws |= {old.rules[r].law_id for r in old.rules if r not in new.rules}
    return TextChanges(
        laws_added=_only(new.laws, old.laws), laws_removed=_only(old.laws, new.laws),
        laws_changed=tuple(law for law in old.laws if law in new.laws and law in changed_laws),
        rules_added=_only(new.rules, old.rules), rules_removed=_only(old.rules, new.rules),
        rules_changed=changed_rules,
        categories_added=_only(new.hierarchy.categories, old.hierarchy.categories),
        categories_removed=_only(old.hierarchy.categories, new.hierarchy.categories),
        facts_added=_only(new.facts, old.facts), facts_removed=_only(old.facts, new.facts),
        facts_changed=tuple(f for f in old.facts if f in new.facts
                            and _signature(old, f) != _signature(new, f)))


def _only(these: Mapping[str, object], those: Mapping[str, object]) -> tuple[str, ...]:
    return tuple(k for k in these if k not in those)


def _change(group: Group[Any], wording: Wording, order: list[str],
            versions: tuple[OrdinanceSet, OrdinanceSet], comparison: Comparison
            ) -> OutcomeChange:
    old, new = versions
    answer: _Change = group.answer
    described = wording.group(group, order)
    found = group.witness
    sides = [_side(laws, found, expected)
             for laws, expected in ((old, answer.old), (new, answer.new))]
    holders = group.holders
    return OutcomeChange(
        condition=described.condition, words=described.words,
        unless_other_prohibition=answer.qualified,
        others=tuple(f"{new.model.rules[r].citation or r} (rule {r})"
                     for r in comparison.split_for(found.context, found.item).unchanged),
        place=place_name(holders.place),
        kinds=tuple(sorted(holders.kinds)), dates=holders.dates, items=tuple(group.items),
        facts=wording.facts(group, order),
        classes=group.classes, witness=_union_request(found, old.model, new.model),
        old=sides[0], new=sides[1])


def _union_request(found: Found[Any], *models: OrdinanceModel) -> dict[str, Any]:
    """The witness with every fact either version declares."""
    merged: dict[str, Any] = {}
    for model in models:
        _deep_merge(merged, witness_request(found, model))
    return merged


def _deep_merge(into: dict[str, Any], more: Mapping[str, Any]) -> None:
    for key, value in more.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _deep_merge(into[key], value)
        else:
            into[key] = value


def _side(laws: OrdinanceSet, found: Found[Any], expected: str) -> Side:
    """Decide the witness with one version and check it shows the expected outcome."""
    request = witness_request(found, laws.model)
    try:
        decision = laws.decide(request, would_change=False)
    except RequestError:
        # A value this version does not declare (a requester kind the other version adds):
        # decided as it stands, a value none of this version's rules names.
        facts = {p: v for p, v in found.env().items() if p in laws.model.facts}
        decision = laws.decide(Request(facts), would_change=False)
    item = next((i for i in decision.items if i.data == found.item), None)
    if expected in (NOT_COVERED, COVERED):
        shown = decision.outcome if expected == NOT_COVERED or (
            decision.outcome == NOT_COVERED) else COVERED
    else:
        shown = item.outcome if item is not None else "missing"
    if shown != expected:
        raise VerificationError(
            f"internal error: diff witness for `{found.item}` decided {shown}, the search "
            f"said {expected}: {json.dumps(request)}")
    return Side(expected, _basis(laws, decision, item), decision.summary)


def _basis(laws: OrdinanceSet, decision: Decision, item: ItemDecision | None) -> tuple[Basis, ...]:
    """The rules the item's outcome rests on: standing prohibitions when prohibited, else
    standing permissions, applying exceptions and the prohibitions they defeat."""
    if item is None:
        return ()
    rules = laws.model.rules
    prohibits = tuple(_cited(laws, rules[s.rule], "prohibits") for s in item.rules
                      if s.effect == "prohibit" and s.status == "stands")
    if item.outcome == PROHIBITED:
        return prohibits + tuple(_cited(laws, rules[e.rule], "prohibits") for e in item.exceptions
                                 if e.effect == "prohibit" and e.applied)
    out = [_cited(laws, rules[s.rule], "permits") for s in item.rules
           if s.effect == "permit" and s.status == "stands"]
    out += [_cited(laws, rules[s.rule], "defeated") for s in item.rules
            if s.effect == "prohibit" and s.status == "defeated"]
    out += [_cited(laws, rules[e.rule], "excepts") for e in item.exceptions if e.applied]
    return tuple(out)


def _cited(laws: OrdinanceSet, rule: Rule, role: str) -> Basis:
    return Basis(rule.id, role, rule.cites, laws.explainer.quote(rule.citation),
                 rule.text("summary"))
