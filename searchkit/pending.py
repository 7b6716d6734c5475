"""The documents a write transaction holds until it commits.

Whoosh cannot take back a document it has been given before the commit, so
an Indexer keeps its added documents here and hands them over only when it
commits: adding an id again replaces the earlier version in its place, and a
transaction left through an exception has written nothing. Small
transactions stay in memory; past MEMORY_BUDGET_CHARS of text the documents
move to a private SQLite file, so a bulk load of a whole archive does not
have to fit in memory.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from datetime import datetime
from typing import Any

MEMORY_BUDGET_CHARS = 64_000_000
"""Characters of pending text kept in memory before the rest goes to disk (about 0.1-0.3 GB)."""

_DATE_KEY = "published"


def _encode(doc: dict[str, Any]) -> str:
    plain = dict(doc)
    if isinstance(plain.get(_DATE_KEY), datetime):
        plain[_DATE_KEY] = plain[_DATE_KEY].isoformat()
    return json.dumps(plain)  # ASCII escapes keep lone surrogates storable


def _decode(text: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(text)
    if isinstance(doc.get(_DATE_KEY), str):
        doc[_DATE_KEY] = datetime.fromisoformat(doc[_DATE_KEY])
    return doc


DOC_OVERHEAD_CHARS = 1000
"""What one held document costs beyond its text, in characters (a dict of a dozen
fields is about 1-2 KB): a stream of a million tiny records must spill too."""


def _size(doc: dict[str, Any]) -> int:
    return DOC_OVERHEAD_CHARS + sum(len(value) for value in doc.values() if isinstance(value, str))


class PendingDocuments:
    """Documents by id, in the order each id was first added, holding each id's latest version."""

    def __init__(self, memory_budget: int | None = None) -> None:
        self._budget = MEMORY_BUDGET_CHARS if memory_budget is None else memory_budget
        self._memory: dict[str, dict[str, Any]] = {}
        self._chars = 0
        self._disk: sqlite3.Connection | None = None
        self._disk_path = ""

    def __len__(self) -> int:
        if self._disk is not None:
            return int(self._disk.execute("SELECT count(*) FROM docs").fetchone()[0])
        return len(self._memory)

    def __contains__(self, doc_id: object) -> bool:
        if self._disk is not None:
            found = self._disk.execute("SELECT 1 FROM docs WHERE id = ?", (doc_id,)).fetchone()
            return found is not None
        return doc_id in self._memory

    def put(self, doc: dict[str, Any]) -> None:
        """Hold ``doc`` (a Whoosh document with an ``id``), replacing that id's earlier version."""
        if self._disk is None:
            previous = self._memory.get(doc["id"])
            self._chars += _size(doc) - (_size(previous) if previous else 0)
            self._memory[doc["id"]] = doc
            if self._chars > self._budget:
                self._spill()
            return
        self._disk.execute(
            "INSERT INTO docs (id, doc) VALUES (?, ?)"
            " ON CONFLICT (id) DO UPDATE SET doc = excluded.doc",
            (doc["id"], _encode(doc)),
        )

    def discard(self, doc_id: str) -> bool:
        """Forget ``doc_id``'s pending version; returns whether there was one."""
        if self._disk is not None:
            return self._disk.execute("DELETE FROM docs WHERE id = ?", (doc_id,)).rowcount > 0
        previous = self._memory.pop(doc_id, None)
        if previous is not None:
            self._chars -= _size(previous)
        return previous is not None

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """Every pending document, in the order its id was first added."""
        if self._disk is None:
            yield from list(self._memory.values())
            return
        for (text,) in self._disk.execute("SELECT doc FROM docs ORDER BY seq"):
            yield _decode(text)

    def clear(self) -> None:
        """Drop everything (after a commit or a cancel), removing the file on disk if any."""
        self._memory = {}
        self._chars = 0
        if self._disk is not None:
            self._disk.close()
            self._disk = None
            os.unlink(self._disk_path)

    def _spill(self) -> None:
        handle, self._disk_path = tempfile.mkstemp(prefix="searchkit-pending-", suffix=".sqlite")
        os.close(handle)  # mkstemp made it readable by this user only
        disk = sqlite3.connect(self._disk_path, isolation_level=None)
        disk.execute("PRAGMA journal_mode = OFF")
        disk.execute("PRAGMA synchronous = OFF")
        disk.execute("CREATE TABLE docs (seq INTEGER PRIMARY KEY, id TEXT UNIQUE, doc TEXT)")
        disk.execute("BEGIN")
        disk.executemany(
            "INSERT INTO docs (id, doc) VALUES (?, ?)",
            ((doc_id, _encode(doc)) for doc_id, doc in self._memory.items()),
        )
        self._disk = disk
        self._memory = {}
        self._chars = 0
