"""What failed in earlier builds, kept beside the index so cron runs stay quiet.

A file that fails to ingest is remembered with the hash of its bytes and its
failures. The next build does not parse it again while its bytes are the
same: it is reported as still failing, and only a failure met for the first
time makes `searchkit index` exit 1. The record lives in
``searchkit-failures.json`` in the index folder, written durably after each
commit. Losing it (deleted, damaged, or a crash between the commit and its
write) only means the files are parsed again and their failures reported as
new once more, so it is never a reason to refuse an index.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from searchkit.engine import durable
from searchkit.engine.storage import new_file_mode
from searchkit.models import IngestFailure

log = logging.getLogger("searchkit")

FAILURES_FILE = "searchkit-failures.json"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class KnownFailure:
    """One file's failures in a build, with the bytes they were met on.

    ``file_hash`` is empty when the file could not be read (or hashed): then
    nothing is skipped, but the same failure again is still not new.
    ``contested`` holds the ids of this file that another file kept (duplicate
    ids): once no other file holds one of them, the file is read again.
    """

    file_hash: str
    failures: tuple[IngestFailure, ...]
    contested: tuple[str, ...] = ()

    def recorded(self, failure: IngestFailure, file_hash: str) -> bool:
        """Whether ``failure`` was met before on these same bytes."""
        return file_hash == self.file_hash and any(
            known.reason == failure.reason and known.line == failure.line for known in self.failures
        )


def read_known_failures(index_dir: str | os.PathLike[str]) -> dict[str, KnownFailure]:
    """The failures remembered for the index at ``index_dir``, by file path ({} if none).

    An unreadable or damaged record is logged and treated as empty: every
    file is then simply read again.
    """
    path = Path(index_dir) / FAILURES_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable %s (%s); failing files are read again", path, exc)
        return {}
    try:
        return _decoded(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        log.warning("ignoring damaged %s (%s); failing files are read again", path, exc)
        return {}


def _decoded(data: Any) -> dict[str, KnownFailure]:
    if data.get("version") != FORMAT_VERSION:
        raise ValueError(f"unknown version {data.get('version')!r}")
    known: dict[str, KnownFailure] = {}
    for path, entry in data["files"].items():
        failures = tuple(
            IngestFailure(str(path), str(item["reason"]), _line(item.get("line")))
            for item in entry["failures"]
        )
        contested = tuple(str(doc_id) for doc_id in entry.get("contested", ()))
        known[str(path)] = KnownFailure(str(entry["hash"]), failures, contested)
    return known


def _line(value: Any) -> int | None:
    return None if value is None else int(value)


def write_known_failures(
    index_dir: str | os.PathLike[str], known: Mapping[str, KnownFailure]
) -> None:
    """Replace the record with ``known`` (temp file, fsync, rename), or remove it when empty.

    A failed write is logged, not raised: the index itself is already
    committed, and a missing record costs only a re-read of the failing files.
    """
    path = Path(index_dir) / FAILURES_FILE
    try:
        if not known:
            path.unlink(missing_ok=True)
            return
        durable.write_durably(path, _encoded(known), new_file_mode())
    except OSError as exc:
        log.warning("could not record the failing files in %s: %s", path, exc)


def _encoded(known: Mapping[str, KnownFailure]) -> bytes:
    files = {
        path: {
            "hash": entry.file_hash,
            "failures": [
                {"reason": failure.reason, "line": failure.line} for failure in entry.failures
            ],
            "contested": list(entry.contested),
        }
        for path, entry in sorted(known.items())
    }
    return json.dumps({"version": FORMAT_VERSION, "files": files}, indent=1).encode("utf-8")
