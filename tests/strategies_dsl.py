"""Hypothesis strategies for law files: valid ones built from the grammar, and broken ones.

:func:`law_sets` builds a small law set (a vocabulary file and a law file) from
every construct of the grammar: the law header's fields, sections, facts of
every type, categories with parents, named conditions, rules and exceptions
with each effect, conditions with ``and`` / ``or`` / ``not`` / ``in`` / ``has``
/ comparisons, gaps and a ``reviewed`` declaration. Names refer to each other
consistently (conditions only test declared facts with values of their type,
rules cite declared sections, exceptions name declared rules), so a generated
set loads; each file is then written out with random whitespace and comments
between its tokens, for the formatter.

:func:`mutations` breaks a bundled file the ways real edits and real disks
do: a token deleted, two lines swapped, random bytes or characters inserted,
a 10,000-character name, 5,000 levels of parentheses or ``not``, a truncation.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import attrs
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

ORDINANCES = Path(__file__).resolve().parents[1] / "ordinances"
BUNDLED = sorted(ORDINANCES.rglob("*.ord"))
LONG = os.environ.get("ORDINANCE_FUZZ") == "long"
"""``ORDINANCE_FUZZ=long``: the on-demand run, with budgets in the thousands."""

_NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True).filter(
    lambda s: s not in _KEYWORDS)
_KEYWORDS = frozenset(
    "law title version jurisdiction binds in_force from until source note state county city "
    "section fact bool date text one of set categories question label value required default "
    "cite category is define when rule exception to permit prohibit require for upon receipt "
    "summary gap reviewed because and or not in has any true false holder data".split())
_PLAIN = st.text(st.characters(codec="utf-8", exclude_characters='"\\\n\r',
                               exclude_categories=("Cs", "Cc")), min_size=1, max_size=30)
_DATES = st.dates().filter(lambda d: d.year >= 1000).map(lambda d: d.isoformat())


def _string(text: str) -> str:
    return '"' + text + '"'


@st.composite
def _quoted(draw: st.DrawFn) -> str:
    """A one-line string, sometimes with an escaped quote or backslash."""
    text = draw(_PLAIN).strip() or "x"
    if draw(st.booleans()):
        text += draw(st.sampled_from(['\\"', "\\\\", " § 1", " “curly”"]))
    return _string(text)


@st.composite
def _words(draw: st.DrawFn) -> list[str]:
    """``"text"`` and maybe translations: ``"text" es "texto"``."""
    out = [draw(_quoted())]
    for lang in draw(st.lists(st.sampled_from(["es", "fr", "zh"]), max_size=2, unique=True)):
        out += [lang, draw(_quoted())]
    return out


@attrs.frozen
class _Fact:
    """A generated fact: its path, kind and values (for conditions that test it)."""

    path: str
    kind: str  # bool, date, text, one, set, categories
    values: tuple[str, ...] = ()


@st.composite
def _condition(draw: st.DrawFn, facts: list[_Fact], defines: list[str],
               categories: list[str], depth: int = 0) -> list[str]:
    """Tokens of a well-typed condition over the declared facts and earlier defines."""
    if depth < 3 and draw(st.integers(0, 2)) == 0:
        shape = draw(st.sampled_from(["and", "or", "not", "paren"]))
        left = draw(_condition(facts, defines, categories, depth + 1))
        if shape == "not":
            return ["not", "(", *left, ")"] if draw(st.booleans()) else ["not", *_atomic(left)]
        if shape == "paren":
            return ["(", *left, ")"]
        right = draw(_condition(facts, defines, categories, depth + 1))
        return [*_atomic(left), shape, *_atomic(right)]
    choices = ["true", "false", *(["define"] if defines else [])] + [f.kind for f in facts]
    choice = draw(st.sampled_from(choices))
    if choice in ("true", "false"):
        return [choice]
    if choice == "define":
        return [draw(st.sampled_from(defines))]
    fact = draw(st.sampled_from([f for f in facts if f.kind == choice]))
    path = fact.path.split(".")
    dotted = [part for name in path for part in (".", name)][1:]
    if fact.kind == "bool":
        return dotted
    if fact.kind == "date":
        return [*dotted, draw(st.sampled_from(["<", "<=", ">", ">="])), draw(_DATES)]
    if fact.kind == "text":
        return [*dotted, draw(st.sampled_from(["=", "!="])), draw(_quoted())]
    pool = list(fact.values) if fact.kind != "categories" else categories
    if fact.kind == "one":
        how = draw(st.sampled_from(["=", "!=", "in", "not in"]))
        if how in ("=", "!="):
            return [*dotted, how, draw(st.sampled_from(pool))]
        return [*dotted, *how.split(), *_value_set(draw(st.lists(
            st.sampled_from(pool), min_size=1, max_size=3)), draw(st.booleans()))]
    if draw(st.booleans()):
        return [*dotted, "has", draw(st.sampled_from(pool))]
    return [*dotted, "has", "any", *_value_set(
        draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3)), draw(st.booleans()))]


def _atomic(tokens: list[str]) -> list[str]:
    """Parenthesise a condition that has `and` / `or` at its top."""
    depth = 0
    for token in tokens:
        depth += token == "("
        depth -= token == ")"
        if depth == 0 and token in ("and", "or"):
            return ["(", *tokens, ")"]
    return tokens


def _value_set(values: list[str], trailing: bool) -> list[str]:
    out = ["{"]
    for index, value in enumerate(values):
        out += [value] if index == 0 else [",", value]
    return [*out, *([","] if trailing else []), "}"]


def _listed(values: list[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        out += [",", value] if out else [value]
    return out


PLACES = [("CA", "Alameda", "Oakland"), ("IL", "Sangamon", "Springfield"),
          ("NV", "Clark", "Las Vegas"), ("OR", "Multnomah", "Portland")]
"""Canonical (state, county, city) names a generated law may hold in."""


@st.composite
def law_set_tokens(draw: st.DrawFn) -> dict[str, list[list[str]]]:
    """A consistent law set as files of declarations, each a list of tokens."""
    kinds = draw(st.lists(_NAMES, min_size=1, max_size=3, unique=True))
    names = iter(draw(st.lists(_NAMES, min_size=60, max_size=60, unique=True)
                      .filter(lambda ns: not set(ns) & set(kinds))))
    categories = [next(names) for _ in range(draw(st.integers(1, 4)))]
    vocabulary: list[list[str]] = [
        ["fact", "holder", ".", "kind", ":", "one", "of", *_listed(kinds),
         "question", draw(_quoted()), "required"],
        ["fact", "holder", ".", "state", ":", "text", "question", draw(_quoted())],
        ["fact", "holder", ".", "county", ":", "text", "question", draw(_quoted())],
        ["fact", "holder", ".", "city", ":", "text", "question", draw(_quoted())],
        ["fact", "data", ":", "set", "of", "categories", "question", draw(_quoted())],
    ]
    for index, category in enumerate(categories):
        decl = ["category", category]
        if index and draw(st.booleans()):
            decl += ["is", draw(st.sampled_from(categories[:index]))]
        if draw(st.booleans()):
            decl += ["label", *draw(_words())]
        vocabulary.append(decl)
    facts = [_Fact("holder.state", "text"), _Fact("data", "categories")]
    law_id = ["gen", ".", next(names)]
    sections = [_string(f"Gen. Code § {i}") for i in range(draw(st.integers(1, 3)))]
    law: list[list[str]] = []
    header = ["law", *law_id, "{"]
    if draw(st.booleans()):
        header += ["title", *draw(_words())]
    if draw(st.booleans()):
        header += ["version", draw(_quoted())]
    state, county, city = draw(st.sampled_from(PLACES))
    places = ["state", _string(state)]
    if draw(st.booleans()):  # the checker takes only canonical places; a city needs its county
        places += [",", "county", _string(county)]
        if draw(st.booleans()):
            places += [",", "city", _string(city)]
    header += ["jurisdiction", *places, "binds", *_listed(
        draw(st.lists(st.sampled_from(kinds), min_size=1, unique=True)))]
    if draw(st.booleans()):
        start, end = sorted([draw(_DATES), draw(_DATES)])
        header += ["in_force", "from", start, *(["until", end] if draw(st.booleans()) else [])]
    if draw(st.booleans()):
        header += ["source", draw(_quoted())]
    for _ in range(draw(st.integers(0, 2))):
        header += ["note", draw(_quoted())]
    law.append([*header, "}"])
    for citation in sections:
        text = draw(_quoted()) if draw(st.booleans()) else '"""' + draw(
            st.text(st.characters(codec="utf-8", exclude_characters='"',
                                  exclude_categories=("Cs",)), min_size=1, max_size=60)
        ).replace("\x00", "") + 'x"""'
        law.append(["section", citation, text])
    for _ in range(draw(st.integers(1, 5))):
        name = next(names)
        kind = draw(st.sampled_from(["bool", "date", "text", "one", "set"]))
        decl = ["fact", name, ":"]
        values: tuple[str, ...] = ()
        if kind in ("one", "set"):
            values = tuple(next(names) for _ in range(draw(st.integers(1, 3))))
            decl += [*({"one": ["one", "of"], "set": ["set", "of"]}[kind]), *_listed(list(values))]
        else:
            decl.append(kind)
        options: list[list[str]] = [["question", *draw(_words())]]
        if draw(st.booleans()):
            options.append(["label", *draw(_words())])
        if values and draw(st.booleans()):
            options.append(["value", values[0], *draw(_words())])
        if draw(st.booleans()):
            options.append(["required"])
        if kind == "one" and draw(st.booleans()):
            options.append(["default", values[-1]])
        if kind == "bool" and draw(st.booleans()):
            options.append(["default", draw(st.sampled_from(["true", "false"]))])
        if draw(st.booleans()):
            options.append(["cite", *_listed([draw(st.sampled_from(sections))])])
        for option in draw(st.permutations(options)):
            decl += option
        law.append(decl)
        facts.append(_Fact(name, kind, values))
    defines: list[str] = []
    for _ in range(draw(st.integers(0, 3))):
        name = next(names)
        fields = [["when", *draw(_condition(facts, defines, categories))]]
        if draw(st.booleans()):
            fields.append(["label", *draw(_words())])
        if draw(st.booleans()):
            fields.append(["cite", draw(st.sampled_from(sections))])
        law.append(["define", name, "{", *[t for f in draw(st.permutations(fields)) for t in f],
                    "}"])
        defines.append(name)
    rules: list[str] = []
    for index in range(draw(st.integers(1, 4))):
        name = next(names)
        law.append(["rule", name, "{", *draw(_effect(categories)),
                    *draw(_rule_fields(facts, defines, categories, sections)), "}"])
        rules.append(name)
        if index and draw(st.booleans()):
            target = draw(st.sampled_from(rules[:-1]))
            effect = draw(_effect(categories)) if draw(st.booleans()) else []
            law.append(["exception", next(names), "to", target, "{", *effect,
                        *draw(_rule_fields(facts, defines, categories, sections)), "}"])
    for _ in range(draw(st.integers(0, 2))):
        law.append(["gap", draw(_quoted())])
    if draw(st.booleans()):
        law.append(["reviewed", '"conflicting-rules"', "for",
                    _string(".".join([law_id[0], law_id[2], "*"])), ",", '"*"',
                    "because", *draw(_words())])
    files = {"vocabulary.ord": vocabulary, "law.ord": law}
    for decls in files.values():
        order = draw(st.permutations(range(len(decls))))
        decls[:] = [decls[i] for i in order]
    return files


@st.composite
def _effect(draw: st.DrawFn, categories: list[str]) -> list[str]:
    kind = draw(st.sampled_from(["permit", "prohibit", "require"]))
    scope = _listed(draw(st.lists(st.sampled_from(categories), max_size=2, unique=True)))
    if kind != "require":
        return [kind, *scope]
    out = ["require", *draw(_words())]
    if scope:
        out += ["for", *scope]
    if draw(st.booleans()):
        out += ["upon", "receipt"]
    return out


@st.composite
def _rule_fields(draw: st.DrawFn, facts: list[_Fact], defines: list[str],
                 categories: list[str], sections: list[str]) -> list[str]:
    fields = [["cite", *_listed(draw(st.lists(st.sampled_from(sections), min_size=1,
                                               max_size=2, unique=True)))]]
    if draw(st.booleans()):
        fields.append(["when", *draw(_condition(facts, defines, categories))])
    if draw(st.booleans()):
        fields.append(["summary", *draw(_words())])
    return [t for f in draw(st.permutations(fields)) for t in f]


# Between two tokens: whitespace, line breaks, comments (a comment always ends its line).
_SEPARATORS = st.sampled_from([" ", " ", " ", "\n", "\n  ", "  ", "\t", "\n\n", "\n\n\n    ",
                               "  # note\n", "\n# own line\n", " #\n", "\r\n"])


@st.composite
def layout(draw: st.DrawFn, declarations: list[list[str]], messy: bool = True) -> str:
    """Write declarations out: one per line, or with random whitespace and comments."""
    parts: list[str] = []
    for decl in declarations:
        if parts:
            parts.append(draw(_SEPARATORS) + "\n" if messy else "\n")
        for index, token in enumerate(decl):
            if index:
                parts.append(draw(_SEPARATORS) if messy else " ")
            parts.append(token)
    return "".join(parts) + ("\n" if draw(st.booleans()) else "")


@st.composite
def law_sets(draw: st.DrawFn, messy: bool = True) -> dict[str, str]:
    """A valid law set: file name -> text."""
    files = draw(law_set_tokens())
    return {name: draw(layout(decls, messy)) for name, decls in files.items()}


# ------------------------------------------------------------------ mutations

_TOKEN = re.compile(r'"""(?:.|\n)*?"""|"(?:[^"\\\n]|\\.)*"|[A-Za-z_][A-Za-z0-9_]*|\d{4}-\d{2}-\d{2}'
                    r'|[<>!]=|\S')


@st.composite
def mutations(draw: st.DrawFn) -> tuple[Path, bytes, str]:
    """A bundled file, its bytes after one or more mutations, and what was done."""
    path = draw(st.sampled_from(BUNDLED))
    data = path.read_bytes()
    done = []
    for _ in range(draw(st.integers(1, 2))):
        how = draw(st.sampled_from(["delete-token", "swap-lines", "insert-bytes",
                                    "insert-text", "huge-name", "deep-parens", "deep-not",
                                    "truncate", "duplicate-line"]))
        data = _mutate(draw, how, data)
        done.append(how)
    return path, data, "+".join(done)


def _mutate(draw: st.DrawFn, how: str, data: bytes) -> bytes:
    text = data.decode("utf-8", errors="surrogateescape")
    if how == "delete-token":
        tokens = list(_TOKEN.finditer(text))
        if tokens:
            token = tokens[draw(st.integers(0, len(tokens) - 1))]
            text = text[:token.start()] + text[token.end():]
    elif how in ("swap-lines", "duplicate-line"):
        lines = text.split("\n")
        i = draw(st.integers(0, len(lines) - 1))
        j = draw(st.integers(0, len(lines) - 1))
        if how == "swap-lines":
            lines[i], lines[j] = lines[j], lines[i]
        else:
            lines.insert(j, lines[i])
        text = "\n".join(lines)
    elif how == "insert-bytes":
        at = draw(st.integers(0, len(data)))
        return data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    elif how == "insert-text":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(min_size=1, max_size=8)) + text[at:]
    elif how == "huge-name":
        names = list(re.finditer(r"\b[a-z_]{3,}\b", text))
        if names:
            name = names[draw(st.integers(0, len(names) - 1))]
            text = text[:name.start()] + "n" * 10_000 + text[name.end():]
    elif how in ("deep-parens", "deep-not"):
        depth = draw(st.sampled_from([100, 1_000, 5_000] if LONG else [50, 500]))  # 5,000: always
        whens = list(re.finditer(r"\bwhen ", text))
        at = whens[draw(st.integers(0, len(whens) - 1))].end() if whens else len(text)
        if how == "deep-parens":
            end = text.find("\n", at)
            end = len(text) if end < 0 else end
            text = text[:at] + "(" * depth + text[at:end] + ")" * depth + text[end:]
        else:
            text = text[:at] + "not " * depth + text[at:]
    elif how == "truncate":
        return data[:draw(st.integers(0, len(data)))]
    return text.encode("utf-8", errors="surrogateescape")


# ------------------------------------------------------------------ budgets

def budget(examples: int, long_examples: int) -> settings:
    """Hypothesis settings: ``examples`` in the suite, ``long_examples`` on demand.

    No deadline (the first example pays for building the parser) and no
    health check on slow generation: the law sets are large on purpose.
    """
    return settings(max_examples=long_examples if LONG else examples, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much],
                    derandomize=False)
