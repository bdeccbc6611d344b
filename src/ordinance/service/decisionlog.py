"""An append-only audit log of decisions in SQLite (WAL mode, one transaction per decision).

Each entry keeps the time, the request, the decision JSON and the law set's
content hash, so a decision can be audited and reproduced later. A decision
is acknowledged only after its transaction commits, so a crash never loses an
acknowledged decision.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

from ..language.errors import LogError

__all__ = ["DecisionLog", "LogEntry", "LogError", "LogWriteError"]


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
    decision TEXT NOT NULL
)
"""


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
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o644))
    except OSError as error:
        return error.strerror.lower() if error.strerror else str(error)
    if not existed:
        with contextlib.suppress(OSError):
            path.unlink()
    return None


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

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return attrs.asdict(self)


class DecisionLog:
    """The log at ``path`` (created if missing). Safe to share between threads."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(str(self.path), check_same_thread=False,
                                       isolation_level=None, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute(SCHEMA)
        except sqlite3.Error as error:
            raise LogError(f"cannot open the decision log {self.path}: "
                           f"{_why_not(self.path) or error}") from None

    def record(self, request: dict[str, Any], decision: dict[str, Any]) -> int:
        """Append one decision in its own transaction; return its id once committed.

        Raises:
            LogWriteError: when it cannot be written; the decision is then not
                acknowledged, and nothing of it is in the log.
        """
        return self.record_many([(request, decision)])[0]

    def record_many(self, pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> list[int]:
        """Append ``(request, decision)`` pairs in one transaction: all, or none.

        Returns the ids once committed (``PRAGMA synchronous=FULL``: on disk).

        Raises:
            LogWriteError: when they cannot be written (full disk, read-only file,
                closed log); the transaction is rolled back.
        """
        at = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
        rows = [(at, decision.get("request_id"), decision["outcome"],
                 decision["ordinance_set"],
                 json.dumps(request, ensure_ascii=False, sort_keys=True),
                 json.dumps(decision, ensure_ascii=False, sort_keys=True))
                for request, decision in pairs]
        ids: list[int] = []
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                for row in rows:
                    cursor = self._db.execute(
                        "INSERT INTO decisions (at, request_id, outcome, ordinance_set, "
                        "request, decision) VALUES (?, ?, ?, ?, ?, ?)", row)
                    ids.append(int(cursor.lastrowid or 0))
                self._db.execute("COMMIT")
            except sqlite3.Error as error:
                self._rollback()
                raise LogWriteError(f"cannot write to the decision log {self.path}: {error}",
                                    str(error)) from None
        return ids

    def _rollback(self) -> None:
        """Roll back a failed transaction; a failing rollback (disk gone) is not raised
        over the error that caused it: SQLite rolls back a hot journal on next open."""
        try:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
        except sqlite3.Error:
            pass

    def entries(self, since: int = 0, limit: int | None = None) -> Iterator[LogEntry]:
        """The logged decisions in order, from id ``since`` on."""
        query = "SELECT id, at, request_id, outcome, ordinance_set, request, decision " \
                "FROM decisions WHERE id > ? ORDER BY id"
        params: tuple[Any, ...] = (since,)
        if limit is not None:
            query += " LIMIT ?"
            params += (limit,)
        try:
            with self._lock:
                rows = self._db.execute(query, params).fetchall()
        except sqlite3.Error as error:
            raise LogError(f"cannot read the decision log {self.path}: {error}") from None
        for row in rows:
            yield LogEntry(row[0], row[1], row[2], row[3], row[4], json.loads(row[5]),
                           json.loads(row[6]))

    def count(self) -> int:
        """How many decisions are logged."""
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0])

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()
