"""An append-only audit log of decisions in SQLite (WAL mode, one transaction per batch).

Each entry keeps the time, the request, the decision JSON and the law set's
content hash, so a decision can be audited and reproduced later. A decision
is acknowledged only after its transaction commits, so a crash never loses an
acknowledged decision.

Every row carries a SHA-256 hash chained to the previous row's (:func:`row_hash`),
so :meth:`DecisionLog.verify` finds a row changed, deleted, inserted or re-ordered
behind the log's back. Without a key someone who can write the file and recompute
every later hash defeats the chain, unless the head hash was noted elsewhere
(``verify(expect=...)``). With a key (``ORDINANCE_LOG_KEY``, kept outside the log) the
chain is HMAC-SHA-256 under it, which they cannot recompute; a log is keyed, or not,
from its creation (:func:`log_key_from_env`). The file is created ``0600``; the
subject's facts can be kept, replaced by digests or dropped (:data:`SUBJECT_POLICIES`);
:meth:`DecisionLog.prune` deletes old rows and keeps the rest verifiable.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import hashlib
import hmac
import json
import os
import re
import secrets
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from ..language.errors import LogError

__all__ = ["FROM_ENV", "GENESIS", "KEY_ENV", "MIN_KEY_LENGTH", "SUBJECT_ENV",
           "SUBJECT_POLICIES", "ChainBroken", "ChainProblem", "ChainReport", "DecisionLog",
           "LogEntry", "LogError", "LogWriteError", "PruneResult", "key_id",
           "log_key_from_env", "redact_subject", "row_hash", "subject_policy_from_env"]


class LogWriteError(LogError):
    """A decision could not be committed to the log; nothing of it was kept."""

    def __init__(self, message: str, cause: str) -> None:
        super().__init__(message)
        self.cause = cause
        """SQLite's reason, e.g. ``database or disk is full``, ``attempt to write a
        readonly database`` (fit to show a client: it names no path)."""


SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    request_id TEXT,
    outcome TEXT NOT NULL,
    ordinance_set TEXT NOT NULL,
    request TEXT NOT NULL,
    decision TEXT NOT NULL,
    prev_hash TEXT,
    hash TEXT
)
"""
META_SCHEMA = "CREATE TABLE IF NOT EXISTS log_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
"""Keys: ``salt`` (for subject digests), ``anchor_id``/``anchor_hash``/``anchor_at`` (the
last pruned row, where the chain now starts), ``chained_at`` (when an old log was migrated),
``chain`` (:data:`PLAIN` or :data:`KEYED`, settled when the log is created) and, for a
keyed log, ``key_id`` (:func:`key_id`; never the key)."""

COLUMNS = "id, at, request_id, outcome, ordinance_set, request, decision, prev_hash, hash"

GENESIS = "0" * 64
"""The previous hash of the first row of a log."""

SUBJECT_POLICIES = ("keep", "digest", "drop")
"""What the log keeps of the subject's facts (``subject.*``): the values, a salted digest
of each (HMAC-SHA-256 keyed with the log's own random salt), or nothing."""

SUBJECT_ENV = "ORDINANCE_LOG_SUBJECT"
"""The environment variable that chooses the subject policy for ``--log``."""

DROPPED = "(not logged)"
"""What stands in for a dropped subject fact in the decision's reasons and changes."""

KEY_ENV = "ORDINANCE_LOG_KEY"
"""The environment variable holding the key of a keyed log (:func:`log_key_from_env`)."""

MIN_KEY_LENGTH = 32
"""The fewest characters a key may have."""

PLAIN = "sha256"
KEYED = "hmac-sha256"
"""The two kinds of chain, as ``log_meta`` records them (key ``chain``)."""

_KEY_ID_LABEL = b"ordinance decision log key id"


class _Env(enum.Enum):
    FROM_ENV = "from the environment"


FROM_ENV = _Env.FROM_ENV
"""``DecisionLog(key=FROM_ENV)`` (the default): the key is :func:`log_key_from_env`'s."""

_BECAUSE = re.compile(r"(subject\.[A-Za-z_][\w.]*) = (.*)", re.DOTALL)


def row_hash(prev: str, id: int, at: str, request_id: str | None, outcome: str,
             ordinance_set: str, request: str, decision: str, *,
             key: bytes | None = None) -> str:
    """The SHA-256 (hex) of a row's fields, as stored, and the previous row's hash; with
    ``key``, their HMAC-SHA-256 under it.

    The encoding is a compact JSON array in this order, ASCII only:
    ``[prev, id, at, request_id, outcome, ordinance_set, request, decision]``.

    >>> row_hash(GENESIS, 1, "2026-01-01T00:00:00.000000+00:00", None, "permitted",
    ...          "sha256:x", "{}", "{}")[:16]
    '889ce01be9692471'
    """
    data = json.dumps([prev, id, at, request_id, outcome, ordinance_set, request, decision],
                      separators=(",", ":")).encode("ascii")
    if key is not None:
        return hmac.new(key, data, hashlib.sha256).hexdigest()
    return hashlib.sha256(data).hexdigest()


def key_id(key: bytes) -> str:
    """What a keyed log records of its key: the first 16 hex digits of
    HMAC-SHA-256(key, ``ordinance decision log key id``). It tells keys apart and
    gives nothing of the key (a key has at least :data:`MIN_KEY_LENGTH` characters,
    too many to guess from it).

    >>> key_id(b"k" * 32)
    '1b402cd7b4d84ecf'
    """
    return hmac.new(key, _KEY_ID_LABEL, hashlib.sha256).hexdigest()[:16]


def log_key_from_env(environ: Mapping[str, str] = os.environ) -> bytes | None:
    """The key in ``ORDINANCE_LOG_KEY`` (UTF-8, blanks at either end removed), or None
    when the variable is unset.

    Raises:
        LogError: when it is set but shorter than :data:`MIN_KEY_LENGTH` characters
            (empty included: a secret that failed to load must not quietly give an
            unkeyed log). The message never shows the value.
    """
    if KEY_ENV not in environ:
        return None
    value = environ[KEY_ENV].strip()
    if len(value) < MIN_KEY_LENGTH:
        said = "is set but empty" if not value else f"has {len(value)} characters"
        raise LogError(f"{KEY_ENV} {said}: a decision log key needs at least "
                       f"{MIN_KEY_LENGTH} (make one with `python -c 'import secrets; "
                       f"print(secrets.token_urlsafe(32))'`), or unset it for an unkeyed log")
    return value.encode("utf-8")


def subject_policy_from_env(environ: Mapping[str, str] = os.environ) -> str:
    """The subject policy named by ``ORDINANCE_LOG_SUBJECT`` (``keep`` when unset).

    Raises:
        LogError: for any other value than ``keep``, ``digest`` or ``drop``.
    """
    policy = environ.get(SUBJECT_ENV, "").strip().lower() or "keep"
    if policy not in SUBJECT_POLICIES:
        raise LogError(f"{SUBJECT_ENV}=`{environ[SUBJECT_ENV]}` is not one of "
                       f"{', '.join(SUBJECT_POLICIES)}")
    return policy


def _subject_digest(salt: str, name: str, value: Any) -> str:
    data = json.dumps([name, value], sort_keys=True, separators=(",", ":"))
    return "hmac-sha256:" + hmac.new(bytes.fromhex(salt), data.encode("ascii"),
                                     hashlib.sha256).hexdigest()


def redact_subject(request: dict[str, Any], decision: dict[str, Any], policy: str,
                   salt: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Copies of a request and its decision with every subject fact value kept, digested
    or dropped: in ``request["subject"]``, in the decision's echoed ``request``, in its
    ``subject.x = value`` reasons and in the ``subject.x`` keys of its changes."""
    if policy == "keep":
        return request, decision

    def hidden(name: str, value: Any) -> Any:
        return DROPPED if policy == "drop" else _subject_digest(salt, name, value)

    def facts(subject: Any) -> Any:
        if not isinstance(subject, dict):
            return hidden("subject", subject)
        return {key: hidden(f"subject.{key}", value) for key, value in subject.items()}

    echoed = decision.get("request")
    actual = next((subject for subject in (echoed.get("subject") if isinstance(echoed, dict)
                                           else None, request.get("subject"))
                   if isinstance(subject, dict)), {})

    def walk(value: Any, top: bool) -> Any:
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                if key == "subject" and top:
                    if policy == "digest":
                        out[key] = facts(item)
                elif isinstance(key, str) and key.startswith("subject."):
                    out[key] = hidden(key, item)
                else:
                    out[key] = walk(item, top=key == "request")
            return out
        if isinstance(value, list):
            return [walk(item, False) for item in value]
        if isinstance(value, str) and (match := _BECAUSE.fullmatch(value)):
            name = match[1]
            short = name.removeprefix("subject.")
            said = actual[short] if short in actual else match[2]
            return f"{name} = {hidden(name, said)}"
        return value

    return walk(request, True), walk(decision, False)


def _why_not(path: Path) -> str | None:
    """The operating system's reason a path cannot be opened for writing, when SQLite
    only says ``unable to open database file`` (None when the file opens)."""
    parent = path.parent
    if not parent.exists():
        return f"the directory {parent} does not exist"
    if not parent.is_dir():
        return f"{parent} is not a directory"
    existed = path.exists()
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    except OSError as error:
        return error.strerror.lower() if error.strerror else str(error)
    if not existed:
        with contextlib.suppress(OSError):
            path.unlink()
    return None


def _create_private(path: Path) -> None:
    """Create an empty file readable by its owner only (SQLite gives its ``-wal`` and
    ``-shm`` files the database's mode); leave an existing file as it is."""
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError:
        return  # it exists, or cannot be created: SQLite says why when it opens it
    with contextlib.suppress(OSError):
        path.chmod(0o600)  # whatever the umask


@attrs.frozen
class LogEntry:
    """One logged decision."""

    id: int
    at: str
    request_id: str | None
    outcome: str
    ordinance_set: str
    request: dict[str, Any]
    decision: dict[str, Any]
    prev_hash: str | None = None
    hash: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the request and the decision as read, not copied: a deep copy
        was most of the time `log export` took)."""
        return attrs.asdict(self, recurse=False)


@attrs.frozen
class ChainProblem:
    """The first row at which the chain does not hold, and everything wrong with it."""

    id: int | None
    """The row's id (None: rows are missing after the last one)."""
    reasons: tuple[str, ...]

    def __str__(self) -> str:
        where = f"row {self.id}" if self.id is not None else "end of the log"
        return f"{where}: {'; '.join(self.reasons)}"


@attrs.frozen
class ChainReport:
    """What :meth:`DecisionLog.verify` found."""

    rows: int
    first_id: int | None
    last_id: int | None
    head: str
    """The hash the chain ends with (the prune anchor's, or the genesis, when empty)."""
    anchor_id: int | None
    problem: ChainProblem | None
    key_id: str | None = None
    """The key's id when the chain is keyed (HMAC-SHA-256), else None."""

    @property
    def intact(self) -> bool:
        """Whether every row is where, and what, it was written."""
        return self.problem is None


class ChainBroken(LogError):
    """The log's hash chain does not verify (raised by :meth:`DecisionLog.prune`)."""

    def __init__(self, report: ChainReport) -> None:
        super().__init__(f"the hash chain is broken at {report.problem}")
        self.report = report


@attrs.frozen
class PruneResult:
    """What :meth:`DecisionLog.prune` deleted and where the chain now starts."""

    deleted: int
    first_id: int | None
    last_id: int | None
    anchor_hash: str


class DecisionLog:
    """The log at ``path`` (created ``0600`` if missing). Safe to share between threads.

    ``subject`` (one of :data:`SUBJECT_POLICIES`) says what is kept of the subject's facts.
    A log written before the hash chain existed is chained when it is opened.

    ``key`` (by default ``ORDINANCE_LOG_KEY``'s, :func:`log_key_from_env`; None: no key)
    chains the rows with HMAC-SHA-256 under it. A log is keyed, or not, from its creation:
    the first open of a log in which no row was ever written settles it (``log_meta``
    ``chain`` and ``key_id``). Opening a keyed log without its key or with another, or an
    unkeyed log with a key, raises :class:`LogError` naming the problem; with
    ``need_key=False`` the log opens anyway, to read it (:meth:`entries`, :meth:`count`),
    and :meth:`record_many`, :meth:`verify` and :meth:`prune` raise it instead.
    """

    def __init__(self, path: str | Path, subject: str = "keep",
                 key: bytes | str | None | _Env = FROM_ENV, *, need_key: bool = True) -> None:
        if subject not in SUBJECT_POLICIES:
            raise LogError(f"unknown subject policy `{subject}`: use one of "
                           f"{', '.join(SUBJECT_POLICIES)}")
        if key is FROM_ENV:
            key = log_key_from_env()
        elif isinstance(key, str):
            key = key.encode("utf-8")
        self.path = Path(path)
        self.subject = subject
        self._lock = threading.Lock()
        try:
            _create_private(self.path)
            self._db = sqlite3.connect(str(self.path), check_same_thread=False,
                                       isolation_level=None, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA secure_delete=ON")  # pruned rows leave no trace
            self._db.execute(SCHEMA)
            self._db.execute(META_SCHEMA)
            self._migrate()
            chain = self._settle_chain(key) if need_key else self._meta("chain") or PLAIN
            self._key_id = self._meta("key_id") if chain == KEYED else None
            self._key, self._key_problem = self._check_key(chain, key)
            if need_key and self._key_problem:
                raise LogError(self._key_problem)
            self._salt = self._meta("salt") or ""
            if subject == "digest" and not self._salt:
                self._db.execute("INSERT OR IGNORE INTO log_meta VALUES ('salt', ?)",
                                 (secrets.token_hex(32),))
                self._salt = self._meta("salt") or ""
        except sqlite3.Error as error:
            raise LogError(f"cannot open the decision log {self.path}: "
                           f"{_why_not(self.path) or error}") from None

    def _meta(self, key: str, db: sqlite3.Connection | None = None) -> str | None:
        row = (db or self._db).execute("SELECT value FROM log_meta WHERE key = ?",
                                       (key,)).fetchone()
        return None if row is None else str(row[0])

    def _settle_chain(self, key: bytes | None) -> str:
        """The log's kind of chain, recorded now if it is not yet: keyed when ``key`` is
        given and no row was ever written (no row, no id given, no prune anchor), else
        plain (a log written before keys existed, or opened without one)."""
        chain = self._meta("chain")
        if chain is not None:
            return chain
        self._db.execute("BEGIN IMMEDIATE")
        try:
            chain = self._meta("chain")  # another process may have settled it meanwhile
            if chain is None:
                used = (self._db.execute("SELECT 1 FROM decisions LIMIT 1").fetchone()
                        or self._db.execute("SELECT 1 FROM sqlite_sequence WHERE "
                                            "name = 'decisions'").fetchone()
                        or self._meta("anchor_id") is not None)
                chain = KEYED if key is not None and not used else PLAIN
                self._db.execute("INSERT INTO log_meta VALUES ('chain', ?)", (chain,))
                if chain == KEYED:
                    assert key is not None
                    self._db.execute("INSERT OR REPLACE INTO log_meta VALUES ('key_id', ?)",
                                     (key_id(key),))
            self._db.execute("COMMIT")
        except sqlite3.Error:
            self._rollback()
            raise
        return chain

    def _check_key(self, chain: str, key: bytes | None) -> tuple[bytes | None, str | None]:
        """The key to chain with, and what is wrong with the key given for this log."""
        where = f"the decision log {self.path}"
        if chain == PLAIN:
            if key is None:
                return None, None
            return None, (f"{where} is not keyed, but {KEY_ENV} is set: a log is keyed "
                          "only from its creation, so unset the variable to use this log "
                          "or start a new one (a log created keyed that now reads as "
                          "unkeyed has had its key records removed)")
        if chain != KEYED or not self._key_id:
            return None, f"{where} has an unknown chain `{chain}` or no key id in log_meta"
        if key is None:
            return None, (f"{where} is keyed (key id {self._key_id}): set {KEY_ENV} to its "
                          "key to write or verify it")
        if key_id(key) != self._key_id:
            return None, (f"{KEY_ENV} is not the key of {where}: the log's key id is "
                          f"{self._key_id}, the variable's is {key_id(key)}")
        return key, None

    def _refuse_without_key(self) -> None:
        if self._key_problem:
            raise LogError(self._key_problem)

    @property
    def keyed(self) -> bool:
        """Whether the log's chain is keyed (HMAC-SHA-256)."""
        return self._key_id is not None

    def _migrate(self) -> None:
        """Chain the rows of a log written before the hash chain: add the columns and
        hash every row in order, in one transaction (``chained_at`` records when)."""
        def columns() -> set[str]:
            return {row[1] for row in self._db.execute("PRAGMA table_info(decisions)")}

        if "hash" in columns():
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            if "hash" not in columns():  # another process may have done it meanwhile
                self._db.execute("ALTER TABLE decisions ADD COLUMN prev_hash TEXT")
                self._db.execute("ALTER TABLE decisions ADD COLUMN hash TEXT")
                prev, last = GENESIS, 0
                while rows := self._db.execute(  # in slices: constant memory
                        f"SELECT {COLUMNS} FROM decisions WHERE id > ? ORDER BY id LIMIT 500",
                        (last,)).fetchall():
                    for row in rows:
                        digest = row_hash(prev, *row[:7])
                        self._db.execute("UPDATE decisions SET prev_hash = ?, hash = ? "
                                         "WHERE id = ?", (prev, digest, row[0]))
                        prev, last = digest, row[0]
                self._db.execute("INSERT OR REPLACE INTO log_meta VALUES ('chained_at', ?)",
                                 (_now(),))
            self._db.execute("COMMIT")
        except sqlite3.Error:
            self._rollback()
            raise

    def record(self, request: dict[str, Any], decision: dict[str, Any]) -> int:
        """Append one decision in its own transaction; return its id once committed.

        Raises:
            LogWriteError: when it cannot be written; the decision is then not
                acknowledged, and nothing of it is in the log.
        """
        return self.record_many([(request, decision)])[0]

    def record_many(self, pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> list[int]:
        """Append ``(request, decision)`` pairs in one transaction: all, or none.

        Each row is chained to the one before it, read inside the same transaction
        (``BEGIN IMMEDIATE``), so several processes may share a log. Times never go
        back: a row written while the clock stepped back takes the previous row's time.
        Returns the ids once committed (``PRAGMA synchronous=FULL``: on disk).

        Raises:
            LogWriteError: when they cannot be written (full disk, read-only file,
                closed log); the transaction is rolled back.
        """
        try:
            self._refuse_without_key()
        except LogError as error:
            raise LogWriteError(str(error), "the log's key is missing or wrong") from None
        rows = []
        for request, decision in pairs:
            request, decision = redact_subject(request, decision, self.subject, self._salt)
            request_id = decision.get("request_id")
            rows.append((None if request_id is None else str(request_id),
                         decision["outcome"], decision["ordinance_set"],
                         json.dumps(request, ensure_ascii=False, sort_keys=True),
                         json.dumps(decision, ensure_ascii=False, sort_keys=True)))
        ids: list[int] = []
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                last_id, prev, last_at = self._head()
                at = max(_now(), last_at or "")
                for row in rows:
                    last_id += 1
                    digest = row_hash(prev, last_id, at, *row, key=self._key)
                    self._db.execute(
                        f"INSERT INTO decisions ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (last_id, at, *row, prev, digest))
                    ids.append(last_id)
                    prev = digest
                self._db.execute("COMMIT")
            except sqlite3.Error as error:
                self._rollback()
                raise LogWriteError(f"cannot write to the decision log {self.path}: {error}",
                                    str(error)) from None
        return ids

    def _head(self) -> tuple[int, str, str | None]:
        """The last id ever given (``sqlite_sequence``: deleted rows count), the hash to
        chain to and the last time, read in the caller's transaction."""
        seq = self._db.execute(
            "SELECT seq FROM sqlite_sequence WHERE name = 'decisions'").fetchone()
        last = self._db.execute(
            "SELECT id, hash, at FROM decisions ORDER BY id DESC LIMIT 1").fetchone()
        if last is not None:
            return max(int(seq[0]) if seq else 0, int(last[0])), str(last[1]), str(last[2])
        anchor = self._meta("anchor_id")
        last_id = max(int(seq[0]) if seq else 0, int(anchor or 0))
        return last_id, self._meta("anchor_hash") or GENESIS, self._meta("anchor_at")

    def _rollback(self) -> None:
        """Roll back a failed transaction; a failing rollback (disk gone) is not raised
        over the error that caused it: SQLite rolls back a hot journal on next open."""
        try:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
        except sqlite3.Error:
            pass

    @contextlib.contextmanager
    def _reader(self) -> Iterator[sqlite3.Connection]:
        """A connection of its own in one read transaction: a consistent snapshot, read
        row by row without holding the writers' lock."""
        try:
            db = sqlite3.connect(str(self.path), isolation_level=None, timeout=30)
        except sqlite3.Error as error:
            raise LogError(f"cannot read the decision log {self.path}: {error}") from None
        try:
            db.execute("BEGIN")
            yield db
        except sqlite3.Error as error:
            raise LogError(f"cannot read the decision log {self.path}: {error}") from None
        finally:
            db.close()

    def entries(self, since: int = 0, limit: int | None = None) -> Iterator[LogEntry]:
        """The logged decisions in order, from id ``since`` on, read one at a time
        (constant memory, whatever the size of the log)."""
        query = f"SELECT {COLUMNS} FROM decisions WHERE id > ? ORDER BY id"
        params: tuple[Any, ...] = (since,)
        if limit is not None:
            query += " LIMIT ?"
            params += (limit,)
        with self._reader() as db:
            for row in db.execute(query, params):
                yield LogEntry(row[0], row[1], row[2], row[3], row[4], json.loads(row[5]),
                               json.loads(row[6]), row[7], row[8])

    def verify(self, expect: str | None = None) -> ChainReport:
        """Walk the chain from its start (genesis, or the prune anchor) and report the
        first row that is not as written: a gap in ids (rows deleted), a broken link
        (a row changed, removed or moved before it), a hash mismatch (its contents
        changed), a time before the previous row's (back-dated), or rows missing at the
        end. With ``expect`` (a head hash noted earlier), a chain in which no row has
        that hash is reported too: the log was rewritten or cut before it.

        Raises:
            LogError: when the log is keyed and its key was not given, or another key
                was, or it is unkeyed and a key was given (see the class).
        """
        self._refuse_without_key()
        with self._reader() as db:
            anchor = self._meta("anchor_id", db)
            anchor_id = int(anchor) if anchor is not None else None
            prev = self._meta("anchor_hash", db) or GENESIS
            prev_at = self._meta("anchor_at", db)
            prev_id = anchor_id or 0
            seq = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'decisions'"
                             ).fetchone()
            seen = expect is None or expect == prev
            rows, first_id = 0, None
            for row in db.execute(f"SELECT {COLUMNS} FROM decisions ORDER BY id"):
                reasons = _check(row, prev_id, prev, prev_at, self._key)
                if reasons:
                    return ChainReport(rows, first_id, prev_id or None, prev, anchor_id,
                                       ChainProblem(row[0], tuple(reasons)), self._key_id)
                rows += 1
                first_id = first_id or row[0]
                prev_id, prev, prev_at = row[0], row[8], row[1]
                seen = seen or prev == expect
        problem = None
        if seq is not None and int(seq[0]) > prev_id:
            problem = ChainProblem(None, (f"rows {_span(prev_id + 1, int(seq[0]))} are missing "
                                          "at the end (the log was cut short)",))
        elif not seen:
            problem = ChainProblem(None, (f"no row has the expected hash {expect}: the log "
                                          "was rewritten, or cut short before it",))
        return ChainReport(rows, first_id, prev_id or None, prev, anchor_id, problem,
                           self._key_id)

    def prune(self, before: dt.datetime) -> PruneResult:
        """Delete the rows written before ``before`` (the oldest ones, up to the first row
        at or after it), in one transaction, once the whole chain verifies. The last
        deleted row becomes the anchor the chain starts from; deleted rows are
        overwritten (``secure_delete``) and the write-ahead log is truncated.

        Raises:
            ChainBroken: when the chain does not verify (nothing is deleted: pruning
                would erase the evidence).
            LogWriteError: when the log cannot be written.
            LogError: when the log's key is missing or wrong (as for :meth:`verify`).
        """
        cutoff = before.astimezone(dt.UTC).isoformat(timespec="microseconds")
        self._refuse_without_key()  # it verifies first, and the anchor is a keyed hash
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                report = self.verify()
                if not report.intact:
                    self._rollback()
                    raise ChainBroken(report)
                keep = self._db.execute("SELECT MIN(id) FROM decisions WHERE at >= ?",
                                        (cutoff,)).fetchone()[0]
                query = "SELECT id, hash, at FROM decisions" + (
                    " WHERE id < ?" if keep is not None else "") + " ORDER BY id DESC LIMIT 1"
                last = self._db.execute(query, (keep,) if keep is not None else ()).fetchone()
                if last is None:
                    self._db.execute("COMMIT")
                    return PruneResult(0, None, None, self._meta("anchor_hash") or GENESIS)
                deleted = self._db.execute("DELETE FROM decisions WHERE id <= ?",
                                           (last[0],)).rowcount
                self._db.executemany("INSERT OR REPLACE INTO log_meta VALUES (?, ?)",
                                     [("anchor_id", str(last[0])), ("anchor_hash", last[1]),
                                      ("anchor_at", last[2])])
                self._db.execute("COMMIT")
            except sqlite3.Error as error:
                self._rollback()
                raise LogWriteError(f"cannot prune the decision log {self.path}: {error}",
                                    str(error)) from None
            with contextlib.suppress(sqlite3.Error):  # best effort: readers may hold it
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return PruneResult(deleted, report.first_id, int(last[0]), str(last[1]))

    def count(self) -> int:
        """How many decisions are logged."""
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0])

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def _span(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}–{last}"


def _check(row: tuple[Any, ...], prev_id: int, prev: str, prev_at: str | None,
           key: bytes | None) -> list[str]:
    """What is wrong with a row that should follow row ``prev_id`` (hash ``prev``), in a
    chain keyed with ``key`` (None: plain SHA-256)."""
    reasons = []
    if row[0] <= prev_id:
        reasons.append(f"inserted: its id is not after the prune anchor, row {prev_id}")
    elif row[0] != prev_id + 1:
        reasons.append(f"gap in ids: row {_span(prev_id + 1, row[0] - 1)} "
                       f"{'is' if row[0] == prev_id + 2 else 'are'} missing")
    if row[8] is None:
        reasons.append("no hash: written without the hash chain")
    elif row[7] != prev:
        reasons.append("broken link: it does not follow "
                       + (f"row {prev_id}'s hash" if prev_id else "the start of the chain")
                       + " (a row before it was changed, removed or moved)")
    if row[8] is not None and row_hash(row[7] or "", *row[:7], key=key) != row[8]:
        reasons.append("hash mismatch: its contents are not those it was written with"
                       + (", or it was hashed without the log's key" if key else ""))
    try:
        at = dt.datetime.fromisoformat(row[1])
        if prev_at is not None and at < dt.datetime.fromisoformat(prev_at):
            reasons.append(f"out-of-order time: {row[1]} is before "
                           f"row {prev_id}'s {prev_at}")
    except (TypeError, ValueError):
        reasons.append(f"bad time: `{row[1]}` is not a timestamp")
    return reasons
