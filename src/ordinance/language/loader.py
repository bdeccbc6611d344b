"""Parse tree -> AST (:mod:`ordinance.language.nodes`), and files on disk -> modules."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import lark
from lark import Token, Transformer, v_args
from lark.exceptions import VisitError

from . import nodes as n
from .diagnostics import Diagnostic, Report
from .parser import SyntaxFailure, parse_tree
from .source import SourceFile, Span, span_of


def _unquote(token: str) -> str:
    if token.startswith('"""'):
        body = token[3:-3]
        lines = body.split("\n")
        # Drop one leading/trailing blank line and common indentation, keep the words.
        if lines and not lines[0].strip():
            lines = lines[1:]
        if lines and not lines[-1].strip():
            lines = lines[:-1]
        indents = [len(x) - len(x.lstrip(" ")) for x in lines if x.strip()]
        cut = min(indents) if indents else 0
        return "\n".join(x[cut:] for x in lines)
    return token[1:-1].replace('\\"', '"').replace("\\\\", "\\")


def _date(token: Token, source: SourceFile) -> dt.date:
    try:
        return dt.date.fromisoformat(str(token))
    except ValueError:
        raise SyntaxFailure(Diagnostic(
            "invalid-date", f"`{token}` is not a calendar date", span_of(source, token),
            "write dates as YYYY-MM-DD with a real month and day")) from None


@attrs.frozen
class _Field:
    """A tagged field of a block (``title``, ``when``, ``cite`` ...) with its place."""

    key: str
    value: Any
    span: Span


@v_args(meta=True)
class _ToAst(Transformer[Token, Any]):
    """One method per grammar rule; terminals are converted where they are used."""

    def __init__(self, source: SourceFile) -> None:
        super().__init__()
        self.source = source

    def _span(self, meta: Any) -> Span:
        return span_of(self.source, meta)

    # ---- lists and names
    def dotted(self, meta: Any, items: list[Token]) -> n.Name:
        return n.Name(".".join(str(t) for t in items), self._span(meta))

    def name_list(self, meta: Any, items: list[Token]) -> tuple[n.Name, ...]:
        return tuple(n.Name(str(t), span_of(self.source, t)) for t in items)

    def dotted_list(self, meta: Any, items: list[n.Name]) -> tuple[n.Name, ...]:
        return tuple(items)

    def subject_list(self, meta: Any, items: list[Token]) -> list[Token]:
        return items

    def cite_list(self, meta: Any, items: list[Token]) -> tuple[n.Citation, ...]:
        return tuple(n.Citation(_unquote(str(t)), span_of(self.source, t)) for t in items)

    # ---- values
    def name_value(self, meta: Any, items: list[Token]) -> n.Literal:
        return n.Literal(str(items[0]), True, self._span(meta))

    def date_value(self, meta: Any, items: list[Token]) -> n.Literal:
        return n.Literal(_date(items[0], self.source), False, self._span(meta))

    def string_value(self, meta: Any, items: list[Token]) -> n.Literal:
        return n.Literal(_unquote(str(items[0])), False, self._span(meta))

    def true_value(self, meta: Any, items: list[Token]) -> n.Literal:
        return n.Literal(True, False, self._span(meta))

    def false_value(self, meta: Any, items: list[Token]) -> n.Literal:
        return n.Literal(False, False, self._span(meta))

    def translation(self, meta: Any, items: list[Token]) -> tuple[str, str]:
        return (str(items[0]), _unquote(str(items[1])))

    def words(self, meta: Any, items: list[Any]) -> n.Words:
        translations = tuple(items[1:])
        seen = [lang for lang, _ in translations]
        for lang in seen:
            if lang == "en" or seen.count(lang) > 1:
                raise SyntaxFailure(Diagnostic(
                    "repeated-field", f"the text is given twice in `{lang}`", self._span(meta),
                    "give the English text first, then at most one translation per language"))
        return n.Words(_unquote(str(items[0])), translations)

    def fact_value_label(self, meta: Any, items: list[Any]) -> _Field:
        return _Field("value", (n.Name(str(items[0]), span_of(self.source, items[0])), items[1]),
                      self._span(meta))

    def value_set(self, meta: Any, items: list[n.Literal]) -> tuple[n.Literal, ...]:
        return tuple(items)

    # ---- conditions
    def or_(self, meta: Any, items: list[n.Condition]) -> n.Or:
        flat: list[n.Condition] = []
        for item in items:
            flat.extend(item.operands if isinstance(item, n.Or) else (item,))
        return n.Or(tuple(flat), self._span(meta))

    def and_(self, meta: Any, items: list[n.Condition]) -> n.And:
        flat: list[n.Condition] = []
        for item in items:
            flat.extend(item.operands if isinstance(item, n.And) else (item,))
        return n.And(tuple(flat), self._span(meta))

    def not_(self, meta: Any, items: list[n.Condition]) -> n.Not:
        return n.Not(items[0], self._span(meta))

    def eq(self, meta: Any, items: list[Any]) -> n.Compare:
        return n.Compare(items[0].text, "=", items[1], self._span(meta))

    def ne(self, meta: Any, items: list[Any]) -> n.Compare:
        return n.Compare(items[0].text, "!=", items[1], self._span(meta))

    def compare(self, meta: Any, items: list[Any]) -> n.Compare:
        value = n.Literal(_date(items[2], self.source), False, span_of(self.source, items[2]))
        return n.Compare(items[0].text, str(items[1]), value, self._span(meta))

    def in_(self, meta: Any, items: list[Any]) -> n.Member:
        return n.Member(items[0].text, items[1], False, self._span(meta))

    def not_in(self, meta: Any, items: list[Any]) -> n.Member:
        return n.Member(items[0].text, items[1], True, self._span(meta))

    def has(self, meta: Any, items: list[Any]) -> n.Has:
        value = n.Literal(str(items[1]), True, span_of(self.source, items[1]))
        return n.Has(items[0].text, (value,), self._span(meta))

    def has_any(self, meta: Any, items: list[Any]) -> n.Has:
        return n.Has(items[0].text, items[1], self._span(meta))

    def ref(self, meta: Any, items: list[n.Name]) -> n.Ref:
        return n.Ref(items[0].text, self._span(meta))

    def true(self, meta: Any, items: list[Any]) -> n.Const:
        return n.Const(True, self._span(meta))

    def false(self, meta: Any, items: list[Any]) -> n.Const:
        return n.Const(False, self._span(meta))

    # ---- fields shared by several blocks: tagged (kind, value) pairs
    def when(self, meta: Any, items: list[n.Condition]) -> _Field:
        return _Field("when", items[0], self._span(meta))

    def cite(self, meta: Any, items: list[Any]) -> _Field:
        return _Field("cite", items[0], self._span(meta))

    def summary(self, meta: Any, items: list[Token]) -> _Field:
        return _Field("summary", items[0], self._span(meta))

    def define_label(self, meta: Any, items: list[Token]) -> _Field:
        return _Field("label", items[0], self._span(meta))

    category_label = define_label
    fact_label = define_label

    def category_cite(self, meta: Any, items: list[Any]) -> _Field:
        return _Field("cite", items[0], self._span(meta))

    fact_cite = category_cite

    def fact_question(self, meta: Any, items: list[Token]) -> _Field:
        return _Field("question", items[0], self._span(meta))

    def fact_required(self, meta: Any, items: list[Any]) -> _Field:
        return _Field("required", True, self._span(meta))

    def fact_default(self, meta: Any, items: list[n.Literal]) -> _Field:
        return _Field("default", items[0], self._span(meta))

    # ---- law header
    def law_title(self, meta: Any, items: list[Token]) -> _Field:
        return _Field("title", items[0], self._span(meta))

    def law_version(self, meta: Any, items: list[Token]) -> _Field:
        return _Field("version", _unquote(str(items[0])), self._span(meta))

    def law_source(self, meta: Any, items: list[Token]) -> _Field:
        return _Field("source", _unquote(str(items[0])), self._span(meta))

    def law_note(self, meta: Any, items: list[Token]) -> _Field:
        return _Field("note", _unquote(str(items[0])), self._span(meta))

    def place(self, meta: Any, items: list[Token]) -> n.Jurisdiction:
        return n.Jurisdiction(str(items[0]), _unquote(str(items[1])), self._span(meta))

    def law_jurisdiction(self, meta: Any, items: list[n.Jurisdiction]) -> _Field:
        return _Field("jurisdiction", tuple(items), self._span(meta))

    def binds_when(self, meta: Any, items: list[n.Condition]) -> n.Condition:
        return items[0]

    def law_binds(self, meta: Any, items: list[Any]) -> _Field:
        return _Field("binds", (items[0], items[1] if len(items) > 1 else None),
                      self._span(meta))

    def until(self, meta: Any, items: list[Token]) -> dt.date:
        return _date(items[0], self.source)

    def law_in_force(self, meta: Any, items: list[Any]) -> _Field:
        start = _date(items[0], self.source)
        return _Field("in_force", (start, items[1] if len(items) > 1 else None), self._span(meta))

    def law(self, meta: Any, items: list[Any]) -> n.LawHeader:
        name: n.Name = items[0]
        fields = _collect(items[1:], self.source, "law", repeatable={"note"})
        in_force = fields.get("in_force", (None, None))
        binds, binds_when = fields.get("binds", ((), None))
        return n.LawHeader(
            id=name.text,
            title=fields.get("title"),
            version=fields.get("version"),
            jurisdiction=fields.get("jurisdiction", ()),
            binds=binds,
            binds_when=binds_when,
            in_force_from=in_force[0],
            in_force_until=in_force[1],
            source_url=fields.get("source"),
            notes=tuple(fields.get("note", ())),
            span=self._span(meta),
        )

    # ---- declarations
    def section(self, meta: Any, items: list[Token]) -> n.Section:
        return n.Section(_unquote(str(items[0])), _unquote(str(items[1])), self._span(meta))

    def bool_type(self, meta: Any, items: list[Any]) -> n.FactType:
        return n.FactType("bool")

    def date_type(self, meta: Any, items: list[Any]) -> n.FactType:
        return n.FactType("date")

    def text_type(self, meta: Any, items: list[Any]) -> n.FactType:
        return n.FactType("text")

    def one_of_type(self, meta: Any, items: list[Any]) -> n.FactType:
        return n.FactType("one_of", items[0])

    def set_of_type(self, meta: Any, items: list[Any]) -> n.FactType:
        return n.FactType("set_of", items[0])

    def category_set_type(self, meta: Any, items: list[Any]) -> n.FactType:
        return n.FactType("categories")

    def fact(self, meta: Any, items: list[Any]) -> n.FactDecl:
        fields = _collect(items[2:], self.source, "fact", repeatable={"value"})
        return n.FactDecl(
            path=items[0].text,
            type=items[1],
            question=fields.get("question"),
            label=fields.get("label"),
            required=bool(fields.get("required", False)),
            default=fields.get("default"),
            cites=fields.get("cite", ()),
            span=self._span(meta),
            value_labels=tuple(fields.get("value", ())),
        )

    def parent(self, meta: Any, items: list[Token]) -> n.Name:
        return n.Name(str(items[0]), span_of(self.source, items[0]))

    def category(self, meta: Any, items: list[Any]) -> n.CategoryDecl:
        parent = items[1] if len(items) > 1 and isinstance(items[1], n.Name) else None
        fields = _collect(items[2 if parent else 1:], self.source, "category")
        return n.CategoryDecl(str(items[0]), parent, fields.get("label"),
                              fields.get("cite", ()), self._span(meta))

    def define(self, meta: Any, items: list[Any]) -> n.Define:
        fields = _collect(items[1:], self.source, "define")
        return n.Define(str(items[0]), fields.get("when"), fields.get("label"),
                        fields.get("cite", ()), self._span(meta))

    def scope(self, meta: Any, items: list[Any]) -> tuple[n.Name, ...]:
        return tuple(items[0])

    scope_for = scope

    def permit(self, meta: Any, items: list[Any]) -> n.Effect:
        return n.Effect("permit", items[0] if items else (), None, self._span(meta))

    def prohibit(self, meta: Any, items: list[Any]) -> n.Effect:
        return n.Effect("prohibit", items[0] if items else (), None, self._span(meta))

    def upon_receipt(self, meta: Any, items: list[Any]) -> bool:
        return True

    def require(self, meta: Any, items: list[Any]) -> n.Effect:
        scope = next((i for i in items[1:] if isinstance(i, tuple)), ())
        upon_receipt = any(i is True for i in items[1:])
        return n.Effect("require", scope, items[0], self._span(meta), upon_receipt)

    def warn(self, meta: Any, items: list[Any]) -> n.Effect:
        return n.Effect("warn", items[1] if len(items) > 1 else (), items[0], self._span(meta))

    def rule(self, meta: Any, items: list[Any]) -> n.RuleDecl:
        fields = _collect(items[2:], self.source, "rule")
        return n.RuleDecl(str(items[0]), items[1], (), fields.get("when"),
                          fields.get("cite", ()), fields.get("summary"), self._span(meta))

    def exception(self, meta: Any, items: list[Any]) -> n.RuleDecl:
        rest = items[2:]
        effect = rest[0] if rest and isinstance(rest[0], n.Effect) else None
        fields = _collect(rest[1:] if effect else rest, self.source, "exception")
        return n.RuleDecl(str(items[0]), effect, tuple(items[1]), fields.get("when"),
                          fields.get("cite", ()), fields.get("summary"), self._span(meta))

    def gap_for(self, meta: Any, items: list[Any]) -> tuple[n.Name, ...]:
        return tuple(items[0])

    def gap(self, meta: Any, items: list[Any]) -> n.Gap:
        return n.Gap(_unquote(str(items[0])), self._span(meta),
                     items[1] if len(items) > 1 else ())

    def review(self, meta: Any, items: list[Any]) -> n.Review:
        code: Token = items[0]
        subjects: list[Token] = items[1]
        reason: tuple[n.Words, Span] = items[2]
        return n.Review(_unquote(str(code)), tuple(_unquote(str(s)) for s in subjects),
                        reason[0], self._span(meta), span_of(self.source, code),
                        tuple(span_of(self.source, s) for s in subjects), reason[1])

    def reason(self, meta: Any, items: list[n.Words]) -> tuple[n.Words, Span]:
        return items[0], self._span(meta)

    def start(self, meta: Any, items: list[Any]) -> list[Any]:
        return items


def _collect(fields: list[_Field], source: SourceFile, block: str,
             repeatable: frozenset[str] | set[str] = frozenset()) -> dict[str, Any]:
    """Turn tagged fields into a dict; a field given twice is an error unless repeatable."""
    out: dict[str, Any] = {}
    seen: dict[str, Span] = {}
    for field in fields:
        if field.key in repeatable:
            out.setdefault(field.key, []).append(field.value)
        elif field.key in out:
            raise SyntaxFailure(Diagnostic(
                "repeated-field", f"{block}: `{field.key}` is given twice", field.span,
                f"a {block} has at most one `{field.key}`; the first is at line "
                f"{seen[field.key].line}"))
        else:
            out[field.key] = field.value
            seen[field.key] = field.span
    return out


def parse_module(source: SourceFile) -> n.Module:
    """Parse one file into a :class:`~ordinance.language.nodes.Module`.

    Raises:
        SyntaxFailure: on the first syntax error in the file.
    """
    tree: lark.Tree[lark.Token] = parse_tree(source)
    try:
        items = _ToAst(source).transform(tree)
    except VisitError as error:  # Lark wraps what a transformer method raises
        if isinstance(error.orig_exc, SyntaxFailure | RecursionError):
            raise error.orig_exc from None
        raise
    laws = [item for item in items if isinstance(item, n.LawHeader)]
    if len(laws) > 1:
        raise SyntaxFailure(Diagnostic(
            "duplicate-law-header", f"a second `law` header (`{laws[1].id}`) in one file",
            laws[1].span, "put each law in a file of its own"))
    declarations = tuple(item for item in items if not isinstance(item, n.LawHeader))
    return n.Module(source.path, laws[0] if laws else None, declarations,
                    Span.whole_file(source))


def parse_sources(sources: list[SourceFile], report: Report) -> list[n.Module]:
    """Parse every source, collecting one syntax diagnostic per failing file."""
    modules = []
    for source in sources:
        try:
            modules.append(parse_module(source))
        except SyntaxFailure as failure:
            report.extend([failure.diagnostic])
        except RecursionError:
            report.error("too-deeply-nested", "conditions are nested too deeply to read",
                         Span.whole_file(source), "split the condition into named `define`s")
    return modules
