"""An on-disk cache of checked law sets, so a command does not parse and check every time.

The key is a hash of everything the result depends on: every law file's path
and text, the grammar and the package version (``lawset.content_digest``) plus
the paths diagnostics show, and :data:`FORMAT`, the shape of what is pickled
(bumped when a model class changes). A stale entry therefore has another key and is
never found; an entry that cannot be read back whole, or whose digest does not
match, is rebuilt, never trusted. Writes are atomic (a temporary file, then a
rename). ``ORDINANCE_NO_CACHE=1`` (or ``--no-cache``) bypasses it;
``ORDINANCE_CACHE_DIR`` moves it.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path

from ..language.diagnostics import Diagnostic
from ..language.source import SourceFile
from .model import OrdinanceModel

FORMAT = 3
"""Bumped when what is cached changes shape (2: ``OrdinanceModel.reviews``)."""


def cache_dir() -> Path:
    """``$ORDINANCE_CACHE_DIR``, else ``$XDG_CACHE_HOME/ordinance``, else ``~/.cache/ordinance``."""
    explicit = os.environ.get("ORDINANCE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ordinance"


def enabled() -> bool:
    """Whether the cache is used (``ORDINANCE_NO_CACHE`` unset or empty)."""
    return not os.environ.get("ORDINANCE_NO_CACHE")


def key(digest: str, sources: list[SourceFile]) -> str:
    """The cache key of a law set: its content digest and the paths its diagnostics show."""
    paths = "\0".join(sorted(s.path for s in sources))
    return hashlib.sha256(f"{FORMAT}\0{digest}\0{paths}".encode()).hexdigest()


def get(cache_key: str, digest: str) -> tuple[OrdinanceModel, list[Diagnostic]] | None:
    """The cached model and lint warnings, or None when absent, stale or corrupt."""
    path = cache_dir() / f"{cache_key}.pickle"
    try:
        with path.open("rb") as handle:
            found = pickle.load(handle)  # noqa: S301 - the user's own cache directory
    except FileNotFoundError:
        return None
    except Exception:  # noqa: BLE001 - corrupt or foreign: rebuild, never trust
        return None
    if (not isinstance(found, tuple) or len(found) != 2
            or not isinstance(found[0], OrdinanceModel) or found[0].digest != digest):
        return None
    return found[0], list(found[1])


def put(cache_key: str, model: OrdinanceModel, warnings: list[Diagnostic]) -> None:
    """Store a checked law set; a cache that cannot be written is silently skipped."""
    import tempfile  # only when writing: keeps a warm `ordinance check` short

    directory = cache_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=directory, suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            pickle.dump((model, warnings), out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, directory / f"{cache_key}.pickle")
    except (OSError, pickle.PicklingError):
        return
