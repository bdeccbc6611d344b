"""Loading a law set from disk, and the :class:`OrdinanceSet` that decides requests."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..checker import cache as _cache
from ..checker.model import OrdinanceModel
from ..language.diagnostics import Diagnostic, Report
from ..language.errors import LawError
from ..language.grammar import bundled_ordinances, grammar_text
from ..language.source import MAX_LAW_FILE_BYTES, SourceFile, Span
from ..version import __version__
from .decision import Decision
from .evaluator import Engine, Evaluation
from .explainer import Explainer
from .vocabulary import Request, validate

if TYPE_CHECKING:
    from .fastpath import FastPath, Verdict


def law_files(root: Path, report: Report | None = None) -> list[Path]:
    """Every ``*.ord`` file below ``root`` (or ``root`` itself), in a stable order.

    Symbolic links are never followed out of ``root``: a link to a file whose target
    is outside it is skipped, unread, with a ``symlink-outside`` warning in ``report``
    naming the link (a law directory from elsewhere could otherwise show the lines of
    any file its reader can read); so is a link to a directory outside it. Links to
    directories are not descended into (as ``Path.rglob`` did not); links to files
    inside ``root`` are read as before.
    """
    if root.is_file():
        return [root]
    base = root.resolve()

    def outside(link: Path) -> bool:
        return not link.resolve().is_relative_to(base)

    def skip(link: Path, what: str) -> None:
        if report is not None:
            report.warning("symlink-outside",
                           f"symbolic link to a {what} outside the law directory: not read",
                           Span.whole_file(SourceFile(_display(link), "")),
                           "copy what you need into the law directory to use it")

    found = []
    for directory, subdirectories, names in os.walk(root, followlinks=False):
        here = Path(directory)
        for name in sorted(subdirectories):
            if (here / name).is_symlink() and outside(here / name):
                skip(here / name, "directory")
        for name in names:
            path = here / name
            if not name.endswith(".ord"):
                continue
            if path.is_symlink() and outside(path):
                skip(path, "file")
            elif path.is_file():
                found.append(path)
    # Shallow files first (the shared vocabulary before the laws under us/ca/...), so a
    # duplicate is reported at the law that repeats the vocabulary, not the other way.
    return sorted(found, key=lambda p: (len(p.relative_to(root).parts), str(p)))


BUNDLED_PREFIX = "<bundled>"
"""How diagnostics name the directory of the bundled laws when it is not below the working
directory (an installed package's site-packages)."""


def _display(path: Path, bundled: Path | None = None) -> str:
    """A law file's path as diagnostics show it: relative to the working directory if
    inside; else a bundled law by its place in the bundled set (``<bundled>/us/ca/...``)."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        pass
    if bundled is not None:
        try:
            return f"{BUNDLED_PREFIX}/{path.relative_to(bundled).as_posix()}"
        except ValueError:
            pass
    return str(path)


def content_digest(sources: list[SourceFile]) -> str:
    """``sha256:`` of the grammar, the package version and every law file (name and text)."""
    digest = hashlib.sha256()
    digest.update(grammar_text().encode())
    digest.update(__version__.encode())
    for source in sorted(sources, key=lambda s: s.path):
        digest.update(b"\0" + Path(source.path).name.encode() + b"\0" + source.text.encode())
    return "sha256:" + digest.hexdigest()


class OrdinanceSet:
    """A checked, compiled law set. Loading is done once; deciding is thread-safe."""

    def __init__(self, model: OrdinanceModel, warnings: list[Diagnostic],
                 root: Path | None = None) -> None:
        self.model = model
        self.warnings = warnings
        self.root = root
        self.engine = Engine(model)
        self.explainer = Explainer(self.engine)
        self._fastpath: FastPath | None = None

    @property
    def digest(self) -> str:
        """The content hash that identifies this law set in decisions."""
        return self.model.digest

    def request(self, data: Request | Mapping[str, Any], origin: str | None = None,
                today: dt.date | None = None) -> Request:
        """Validate request data (a decoded JSON/YAML mapping) against the vocabulary.

        Raises:
            RequestError: naming each bad field and what is allowed.
        """
        if isinstance(data, Request):
            return data
        return validate(self.model, data, origin, today)

    def evaluate(self, request: Request | Mapping[str, Any]) -> Evaluation:
        """Evaluate without building an explanation (see :meth:`verdict` for outcomes only)."""
        facts = self.request(request).facts
        return self.explainer.relevance.settle(self.engine.evaluate(facts))

    @property
    def fastpath(self) -> FastPath:
        """The generated per-item functions (:mod:`ordinance.engine.fastpath`), made on
        first use: a one-off ``check`` never imports them."""
        if self._fastpath is None:
            from .fastpath import FastPath

            self._fastpath = FastPath(self.engine)
        return self._fastpath

    def verdict(self, request: Request | Mapping[str, Any]) -> Verdict:
        """The outcome and each item's, without explanation: the fastest path.

        A request that gives every fact the rules in play read is decided by code
        generated from the law (:mod:`ordinance.engine.fastpath`); any other is
        evaluated, with the case analysis behind an undetermined outcome, as
        :meth:`evaluate` does. Both give the same verdict.
        """
        facts = self.request(request).facts
        found = self.fastpath.verdict(facts)
        if found is not None:
            return found
        from .fastpath import Verdict

        return Verdict.of(self.explainer.relevance.settle(self.engine.evaluate(facts)))

    def decide(self, request: Request | Mapping[str, Any], *,
               would_change: bool = True, search_budget: int | None = None) -> Decision:
        """Decide a request and explain the decision.

        ``search_budget`` (rule evaluations) bounds the case analysis behind undetermined
        outcomes and missing facts; when it runs out the answer stays conservative (never
        permitted for want of searching) and ``missing_facts_exact`` is False.

        Raises:
            RequestError: when the request does not fit the vocabulary.
        """
        if search_budget is None:
            return self.explainer.decide(self.request(request), would_change=would_change)
        return self.explainer.decide(self.request(request), would_change=would_change,
                                     search_budget=search_budget)


def load(path: str | Path | None = None, *, cache: bool | None = None) -> OrdinanceSet:
    """Load, parse and check a law set: a directory of ``.ord`` files, or one file.

    With no path, the bundled law set is loaded. A law set already checked is
    taken from the on-disk cache (:mod:`ordinance.checker.cache`) unless ``cache`` is
    False or ``ORDINANCE_NO_CACHE`` is set; a law set with errors is never cached.

    Raises:
        LawError: with every diagnostic, sorted by file and line.
    """
    root = Path(path) if path is not None else bundled_ordinances()
    report = Report()
    if not root.exists():
        placeholder = SourceFile(str(root), "")
        report.error("no-such-path", f"no file or directory `{root}`",
                     Span.whole_file(placeholder))
        raise LawError(report.errors)
    links = Report()  # links out of the directory: skipped, with a warning each
    files = law_files(root, links)
    bundled = root if path is None else None
    sources = [s for s in (read_source(f, _display(f, bundled), report) for f in files) if s]
    if not files:
        report.error("no-law-files", f"no `.ord` files under `{root}`",
                     Span.whole_file(SourceFile(str(root), "")))
    if report.errors:
        raise LawError(report.errors)
    digest = content_digest(sources)
    use_cache = _cache.enabled() if cache is None else cache
    cache_key = _cache.key(digest, sources)
    cached = _cache.get(cache_key, digest) if use_cache else None
    if cached is not None:
        return OrdinanceSet(cached[0], [*links.warnings, *cached[1]], root)
    # Parsing and checking need Lark and the checker: imported only when not cached.
    from ..checker.lint import lint
    from ..checker.passes import check
    from ..language.loader import parse_sources

    modules = parse_sources(sources, report)
    model = check(modules, digest, report) if not report.errors else None
    if report.errors or model is None:
        raise LawError(report.errors)
    warnings = lint(model, modules)
    if use_cache:
        _cache.put(cache_key, model, warnings)
    return OrdinanceSet(model, [*links.warnings, *warnings], root)


def read_source(path: Path, display: str, report: Report) -> SourceFile | None:
    """Read a law file as UTF-8 text, recording a diagnostic if it cannot be read."""
    placeholder = SourceFile(display, "")
    try:
        size = path.stat().st_size
        if size > MAX_LAW_FILE_BYTES:
            report.error("file-too-large",
                         f"law file is {size} bytes; the limit is {MAX_LAW_FILE_BYTES}",
                         Span.whole_file(placeholder))
            return None
        data = path.read_bytes()
    except OSError as error:
        report.error("unreadable-file", f"cannot read the file: {error.strerror}",
                     Span.whole_file(placeholder))
        return None
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark is not part of the law
    except UnicodeDecodeError as error:
        report.error("not-utf8", f"the file is not UTF-8 text (byte {error.start})",
                     Span.whole_file(placeholder), "save law files as UTF-8")
        return None
    if "\x00" in text:
        report.error("binary-file", "the file contains NUL bytes; it is not a law file",
                     Span.whole_file(placeholder))
        return None
    return SourceFile(display, text)
