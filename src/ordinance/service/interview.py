"""An interview that completes a request question by question (``ordinance ask``).

The interview starts from a partial request (or nothing). It first asks for
the facts every request needs (the vocabulary's ``required`` facts), then
decides, and while the outcome is undetermined asks about one of the
decision's ``missing_facts`` -- only facts whose answer can change the
outcome -- and decides again after every answer. Who asks and where the holder
is come first; then the fact after whose answer the fewest facts still matter
(:mod:`ordinance.engine.questions`), and each question says what its answer
decides. It stops as soon as the outcome is determined, or when every fact still
missing was skipped.

This module does no I/O: :meth:`Interview.next_question` says what to ask,
:meth:`Interview.answer` parses and records a typed answer (raising
:class:`AnswerError` with the reason when it is not valid).

    >>> import ordinance
    >>> laws = ordinance.load()
    >>> interview = Interview(laws, {})
    >>> interview.next_question().fact
    'holder.kind'
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

import attrs

from ..checker.model import Fact
from ..engine.decision import Decision
from ..engine.evaluator import UNDETERMINED
from ..engine.lawset import OrdinanceSet
from ..engine.questions import rank
from ..engine.vocabulary import MAX_LIST, MAX_TEXT, Request
from ..language.diagnostics import did_you_mean
from ..language.errors import RequestError

SKIP_WORDS = frozenset({"skip", "?"})
"""Answers that mean "not known": the fact stays unknown and is not asked again."""
YES_WORDS = frozenset({"yes", "y", "true", "t"})
NO_WORDS = frozenset({"no", "n", "false", "f"})
MULTIPLE_KINDS = ("set_of", "categories")
REQUIRED = "is required"
"""The message of the problem :func:`ordinance.engine.vocabulary.validate` reports for a
required fact."""


class AnswerError(ValueError):
    """An answer that does not fit the question; the message says why and what is allowed."""


@attrs.frozen
class Choice:
    """One numbered answer to a question: the value recorded and its words."""

    value: str
    label: str


@attrs.frozen
class Question:
    """One fact to ask: its question, its allowed answers and who asks it."""

    fact: str
    text: str
    label: str
    kind: str  # bool | date | text | one_of | set_of | categories
    choices: tuple[Choice, ...]
    asked_by: tuple[str, ...]
    required: bool = False  # a fact every request needs, asked before deciding
    why: str = ""  # what the answer decides ("this decides whether § 7282.5(a)(1) lifts ...")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the ``question`` of ``POST /v1/next-question``)."""
        return {"fact": self.fact, "text": self.text, "label": self.label, "kind": self.kind,
                "choices": [{"value": c.value, "label": c.label} for c in self.choices],
                "multiple": self.multiple, "asked_by": list(self.asked_by),
                "required": self.required, "why": self.why, "hint": self.hint}

    @property
    def multiple(self) -> bool:
        """Whether the answer is a list of values."""
        return self.kind in MULTIPLE_KINDS

    @property
    def hint(self) -> str:
        """How to answer, in one line."""
        if self.kind == "bool":
            return "answer yes or no, or 1 or 2"
        if self.kind == "date":
            return "answer with a date written YYYY-MM-DD"
        if self.kind == "text":
            return "answer in words"
        if self.multiple:
            return "answer with one or more numbers or values, separated by commas"
        return "answer with a number or a value"


class Interview:
    """A request being completed by questions; see the module documentation.

    Raises:
        RequestError: from the constructor, when the partial request has a problem
            other than a missing required fact (an unknown field, a bad value).
    """

    def __init__(self, laws: OrdinanceSet, data: Any = None, origin: str | None = None) -> None:
        self.laws = laws
        self.model = laws.model
        self.origin = origin
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            laws.request(data, origin)  # raises the RequestError naming the problem
        self.data: dict[str, Any] = copy.deepcopy(dict(data))
        self.answered: list[str] = []
        self.skipped: set[str] = set()
        self._request: Request | None = None
        self._decision: Decision | None = None
        self._required: list[str] = []
        self._refresh()

    # ---------------------------------------------------------------- state

    @property
    def decision(self) -> Decision | None:
        """The decision on the answers so far (``None`` while a required fact is missing).

        It is decided without ``would_change``; :meth:`final_decision` adds it.
        """
        return self._decision

    def request(self) -> Request:
        """The validated request so far.

        Raises:
            RequestError: while a required fact is still missing.
        """
        if self._request is None:
            return self.laws.request(self.data, self.origin)
        return self._request

    def final_decision(self) -> Decision:
        """The full decision on the request as completed (with ``would_change``)."""
        return self.laws.decide(self.request())

    def next_question(self) -> Question | None:
        """What to ask next, or ``None`` when the interview is over.

        Over means: the outcome is determined, or every fact that could still
        change it was skipped.
        """
        if self._required:
            return self._required_question(self._required[0])
        decision = self._decision
        assert decision is not None
        if decision.outcome != UNDETERMINED:
            return None
        missing = {m.fact: m for m in decision.missing_facts if m.fact not in self.skipped}
        if not missing:
            return None
        assert self._request is not None
        evaluation = self.laws.evaluate(self._request)
        first = rank(self.laws.explainer.relevance, evaluation, list(missing))[0]
        asked, fact = missing[first.fact], self.model.facts[first.fact]
        return Question(asked.fact, asked.question, asked.label, fact.kind,
                        self._choices(fact), tuple(asked.asked_by), why=first.why)

    # ---------------------------------------------------------------- answers

    def answer(self, question: Question, text: str) -> None:
        """Record the answer typed to ``question`` and decide again.

        ``skip`` (or ``?``) leaves the fact unknown and moves on to the next one.

        Raises:
            AnswerError: when the answer does not fit; nothing is recorded.
        """
        if text.strip().lower() in SKIP_WORDS:
            if question.required:
                raise AnswerError(f"`{question.fact}` is needed to decide any request; "
                                  "it cannot be skipped")
            self.skipped.add(question.fact)
            return
        value = self.parse(question, text)
        try:
            self.set(question.fact, value)
        except RequestError as error:  # a place the tables do not know, say: ask again
            self._unset(question.fact)
            problem = next((p for p in error.problems if p.field == question.fact),
                           error.problems[0])
            raise AnswerError(problem.message + (f"; {problem.help}" if problem.help else "")
                              ) from None
        self.answered.append(question.fact)

    def parse(self, question: Question, text: str) -> Any:
        """The JSON-ready value of an answer (the number of a choice, or the value itself).

        Raises:
            AnswerError: saying why the answer does not fit and what would.
        """
        answer = text.strip()
        if not answer:
            raise AnswerError(f"no answer; {question.hint}"
                              + ("" if question.required else " (`skip` if not known)"))
        if question.kind == "bool":
            word = answer.lower()
            if word in YES_WORDS or word == "1":
                return True
            if word in NO_WORDS or word == "2":
                return False
            raise AnswerError(f"`{answer}` is not yes or no; {question.hint}")
        if question.kind == "date":
            try:
                return dt.date.fromisoformat(answer).isoformat()
            except ValueError:
                raise AnswerError(f"`{answer}` is not a date written YYYY-MM-DD") from None
        if question.kind == "text":
            if len(answer) > MAX_TEXT:
                raise AnswerError(f"the answer is longer than {MAX_TEXT} characters")
            return answer
        if question.multiple:
            tokens = [t for t in re.split(r"[,\s]+", answer) if t]
            values: list[str] = []
            for token in tokens:
                value = self._choice(question, token)
                if value not in values:
                    values.append(value)
            if len(values) > MAX_LIST:
                raise AnswerError(f"{len(values)} values; the limit is {MAX_LIST}")
            return values
        return self._choice(question, answer)

    def set(self, path: str, value: Any) -> None:
        """Set a fact of the request (``holder.kind`` is ``holder: {kind: ...}``) and decide."""
        node = self.data
        *parents, leaf = path.split(".")
        for part in parents:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[leaf] = value
        self._refresh()

    # ---------------------------------------------------------------- internals

    def _unset(self, path: str) -> None:
        node = self.data
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.get(part, {})
        node.pop(leaf, None)
        self._refresh()

    def _refresh(self) -> None:
        try:
            self._request = self.laws.request(self.data, self.origin)
        except RequestError as error:
            others = [p for p in error.problems if p.message != REQUIRED]
            if others:
                raise RequestError(others, self.origin) from None
            missing = {p.field for p in error.problems}
            self._required = [path for path in self.model.facts if path in missing]
            self._request = self._decision = None
            return
        self._required = []
        self._decision = self.laws.decide(self._request, would_change=False)

    def _required_question(self, path: str) -> Question:
        fact = self.model.facts[path]
        return Question(path, fact.question, fact.label, fact.kind, self._choices(fact), (),
                        required=True)

    def _choices(self, fact: Fact) -> tuple[Choice, ...]:
        if fact.kind == "bool":
            return (Choice("true", "yes"), Choice("false", "no"))
        if fact.kind == "categories":
            hierarchy = self.model.hierarchy
            return tuple(Choice(name, hierarchy.label(name))
                         for name in sorted(hierarchy.categories))
        if fact.kind in ("one_of", "set_of"):
            return tuple(Choice(value, fact.value_label(value)) for value in fact.values)
        return ()

    def _choice(self, question: Question, token: str) -> str:
        values = [c.value for c in question.choices]
        if token.isdigit():
            number = int(token)
            if 1 <= number <= len(values):
                return values[number - 1]
            raise AnswerError(f"there is no choice {number}; choose 1 to {len(values)}")
        for value in values:
            if value.lower() == token.lower():
                return value
        hint = did_you_mean(token, values)
        raise AnswerError(f"`{token}` is not one of the choices{' (' + hint + ')' if hint else ''}"
                          f"; {question.hint}")
