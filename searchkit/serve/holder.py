"""The one Searcher a server process shares between requests, opened when first needed.

A Searcher already sees every new commit of its index (each thread's Whoosh
searcher is renewed when it is out of date). What it cannot see is a change of
the index's metadata: a rebuild with other synonym groups, or an index that
appears, disappears or is replaced after the server started. So before each
request the holder compares the metadata file's identity (inode, size, mtime)
with the last one it saw; when that changed (every commit rewrites the file) it
reads the metadata and opens a new Searcher only if the schema version or the
synonym groups differ. A request that meets a damaged index drops the
Searcher, so the next one tries afresh. A missing or damaged index is an error per request (HTTP
503), never a reason for the server to stop.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from searchkit.engine.storage import METADATA_FILE, read_metadata
from searchkit.errors import IndexDirectoryError
from searchkit.searcher import Searcher

log = logging.getLogger("searchkit")

_Stamp = tuple[int, int, int] | None
_Identity = tuple[int, str]


def _stamp(index_dir: str) -> _Stamp:
    try:
        info = os.stat(Path(index_dir) / METADATA_FILE)
    except OSError:
        return None
    return (info.st_ino, info.st_size, info.st_mtime_ns)


class SearcherHolder:
    """Hands out the current Searcher for an index directory, reopening it when needed."""

    def __init__(self, index_dir: str) -> None:
        """Remember the directory; nothing is opened until the first request."""
        self.index_dir = index_dir
        self._lock = threading.Lock()
        self._searcher: Searcher | None = None
        self._stamp: _Stamp = None
        self._identity: _Identity | None = None
        self._retired: list[Searcher] = []

    def current(self) -> Searcher:
        """The Searcher to use for one request; raises the index's error when it cannot open.

        Opening happens under a lock so concurrent first requests open one
        Searcher, not one each. A replaced Searcher is not closed at once
        (requests may still be using it) but when the holder closes.
        """
        stamp = _stamp(self.index_dir)
        searcher = self._searcher
        if searcher is not None and stamp == self._stamp:
            return searcher
        with self._lock:
            if self._searcher is not None and stamp == self._stamp:
                return self._searcher
            metadata = read_metadata(self.index_dir)
            identity = (metadata.schema_version, metadata.synonyms_fingerprint)
            if self._searcher is not None and identity == self._identity:
                self._stamp = stamp  # a commit: the Searcher sees it by itself
                return self._searcher
            fresh = Searcher(self.index_dir)
            if self._searcher is not None:
                log.info("the index at %s changed its groups; opened it again", self.index_dir)
                self._retire(self._searcher)
            self._searcher, self._stamp, self._identity = fresh, stamp, identity
            return fresh

    def damaged(self, searcher: Searcher, error: IndexDirectoryError) -> None:
        """Forget ``searcher`` after it met ``error``, so the next request opens the index anew."""
        log.warning("the index at %s could not be read: %s", self.index_dir, error)
        with self._lock:
            if self._searcher is searcher:
                self._retire(searcher)
                self._searcher, self._stamp, self._identity = None, None, None

    def _retire(self, searcher: Searcher) -> None:
        self._retired.append(searcher)
        while len(self._retired) > 4:
            self._retired.pop(0).close()

    def close(self) -> None:
        """Close every Searcher this holder opened (at server shutdown)."""
        with self._lock:
            for searcher in [*self._retired, *([self._searcher] if self._searcher else [])]:
                searcher.close()
            self._retired.clear()
            self._searcher = None
