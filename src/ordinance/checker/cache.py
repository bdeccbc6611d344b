"""An on-disk cache of checked law sets, so a command does not parse and check every time.

The key is a hash of everything the result depends on: every law file's path
and text, the grammar and the package version (``lawset.content_digest``) plus
the paths diagnostics show, and :data:`FORMAT`, the shape of what is pickled
(bumped when a model class changes). A stale entry therefore has another key and is
never found; an entry that cannot be read back whole, or whose digest does not
match, is rebuilt, never trusted. Writes are atomic (a temporary file, then a
rename). ``ORDINANCE_NO_CACHE=1`` (or ``--no-cache``) bypasses it;
``ORDINANCE_CACHE_DIR`` moves it.

No code runs from a cache someone else wrote. An entry is a pickle, so each one
is authenticated: it starts with :data:`MAGIC` and an HMAC-SHA-256 of its key and
payload under a random per-user key (:data:`KEY_FILE`, 32 bytes, mode 0600, in the
cache directory), and it is unpickled only when the MAC verifies. The cache is not
used at all (a miss; nothing is written) when its directory is not owned by the
current user or is group- or world-writable, or when the key file is not a regular
file owned by the user with mode 0600. The directory is opened once and every file
is opened relative to it without following symbolic links, so it cannot be swapped
between the checks and the reads. (A data-only format was measured instead: 2.5-4x
slower to load than pickle, see ``docs/limits.md``.)
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import pickle
import stat
from pathlib import Path

from ..language.diagnostics import Diagnostic
from ..language.source import SourceFile
from .model import OrdinanceModel

FORMAT = 4
"""Bumped when what is cached changes shape (2: ``OrdinanceModel.reviews``; 4: entries
are authenticated, :data:`MAGIC`)."""

MAGIC = b"ordinance-cache-hmac-sha256\n"
"""The first bytes of an entry; the MAC (32 bytes) and then the pickle follow."""

KEY_FILE = "hmac.key"
"""The name, in the cache directory, of the per-user key that authenticates entries."""

KEY_BYTES = 32
"""The length of that key."""

MAX_ENTRIES = 32
"""Entries kept in the cache directory; past this, writing one deletes the least
recently written (each is about 1 MB for the bundled law set)."""

refused: str | None = None
"""Why the cache directory was last refused (not owned by the user, or writable by
others), for a command to tell its user once; None when it was not."""

_POSIX = hasattr(os, "getuid") and os.open in os.supports_dir_fd
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


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


def _mac(secret: bytes, cache_key: str, payload: bytes) -> bytes:
    return hmac.digest(secret, cache_key.encode() + b"\0" + payload, "sha256")


def _open_dir(directory: Path) -> int | None:
    """A descriptor of the cache directory if it is safe to trust, else None.

    Safe: a directory (not a link to one) owned by the current user, writable by no
    one else. Without POSIX ownership and ``dir_fd`` (Windows) the cache is not used.
    """
    if not _POSIX:
        return None
    try:
        fd = os.open(directory, _OPEN_FLAGS | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return None
    info = os.fstat(fd)
    why = ("it is not a directory" if not stat.S_ISDIR(info.st_mode)
           else "it is not owned by this user" if info.st_uid != os.getuid()
           else f"others can write to it (mode {stat.S_IMODE(info.st_mode):04o})"
           if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH) else None)
    if why is not None:
        global refused
        refused = f"the law cache {directory} is not used: {why}"
        os.close(fd)
        return None
    return fd


def _prune(dir_fd: int, keep: int) -> None:
    """Delete all but the ``keep`` most recently written entries (entries of an older
    :data:`FORMAT`, never asked for again, are among the oldest)."""
    entries = []
    for name in os.listdir(dir_fd):
        if name.endswith(".pickle"):
            try:
                entries.append((os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
                                .st_mtime_ns, name))
            except OSError:
                continue
    for _, name in sorted(entries, reverse=True)[keep:]:
        with contextlib.suppress(OSError):
            os.unlink(name, dir_fd=dir_fd)


def _read(name: str, dir_fd: int, *, private: bool) -> bytes | None:
    """A regular file in the cache directory, without following links; None if it is
    missing or unreadable, or (``private``) not owned by the user with mode 0600."""
    try:
        fd = os.open(name, _OPEN_FLAGS, dir_fd=dir_fd)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None
        if private and (info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) != 0o600):
            return None
        try:
            return handle.read()
        except OSError:
            return None


def _secret(dir_fd: int, *, create: bool) -> bytes | None:
    """The per-user key, made (``create``) if there is none; None when it is not trusted."""
    found = _read(KEY_FILE, dir_fd, private=True)
    if found is None and create:
        temporary = f".{KEY_FILE}.{os.urandom(8).hex()}.tmp"
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                         | getattr(os, "O_NOFOLLOW", 0), 0o600, dir_fd=dir_fd)
            with os.fdopen(fd, "wb") as out:
                out.write(os.urandom(KEY_BYTES))
            try:  # a link never replaces a key another process made meanwhile
                os.link(temporary, KEY_FILE, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
            finally:
                os.unlink(temporary, dir_fd=dir_fd)
        except OSError:
            pass
        found = _read(KEY_FILE, dir_fd, private=True)
    return found if found is not None and len(found) == KEY_BYTES else None


def get(cache_key: str, digest: str) -> tuple[OrdinanceModel, list[Diagnostic]] | None:
    """The cached model and lint warnings, or None when absent, stale, corrupt or not
    authenticated (or the cache directory is not trusted)."""
    dir_fd = _open_dir(cache_dir())
    if dir_fd is None:
        return None
    try:
        secret = _secret(dir_fd, create=False)
        data = _read(f"{cache_key}.pickle", dir_fd, private=False) if secret else None
    finally:
        os.close(dir_fd)
    if secret is None or data is None or not data.startswith(MAGIC):
        return None
    start = len(MAGIC) + 32
    payload = data[start:]
    if not hmac.compare_digest(data[len(MAGIC):start], _mac(secret, cache_key, payload)):
        return None
    try:
        found = pickle.loads(payload)  # noqa: S301 - authenticated above
    except Exception:  # noqa: BLE001 - corrupt: rebuild, never trust
        return None
    if (not isinstance(found, tuple) or len(found) != 2
            or not isinstance(found[0], OrdinanceModel) or found[0].digest != digest):
        return None
    return found[0], list(found[1])


def put(cache_key: str, model: OrdinanceModel, warnings: list[Diagnostic]) -> None:
    """Store a checked law set, keeping the newest :data:`MAX_ENTRIES`; a cache that
    cannot be written, or whose directory is not trusted (see :data:`refused`), is
    skipped."""
    directory = cache_dir()
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return
    dir_fd = _open_dir(directory)
    if dir_fd is None:
        return
    try:
        secret = _secret(dir_fd, create=True)
        if secret is None:
            return
        payload = pickle.dumps((model, warnings), protocol=pickle.HIGHEST_PROTOCOL)
        temporary = f".{cache_key}.{os.urandom(8).hex()}.tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                     | getattr(os, "O_NOFOLLOW", 0), 0o600, dir_fd=dir_fd)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(MAGIC + _mac(secret, cache_key, payload) + payload)
            os.replace(temporary, f"{cache_key}.pickle", src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except OSError:
            os.unlink(temporary, dir_fd=dir_fd)
            raise
        _prune(dir_fd, MAX_ENTRIES)
    except (OSError, pickle.PicklingError):
        return
    finally:
        os.close(dir_fd)
