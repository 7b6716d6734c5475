"""Writing the index: a transaction of adds and deletes, and the incremental folder build.

The Whoosh writer is used as a transaction: nothing is visible until commit,
and a crash, Ctrl-C or full disk before then leaves the last committed index
exactly as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timezone
from pathlib import Path
from types import TracebackType
from typing import Any

from whoosh import writing
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError

from searchkit.column_scan import live_column_values
from searchkit.errors import (
    IndexCorruptError,
    IndexIncompatibleError,
    IndexLockedError,
    IndexWriteError,
)
from searchkit.models import Article, IndexReport, IngestFailure
from searchkit.storage import (
    TrackingFileStorage,
    create_index,
    has_index,
    new_metadata,
    open_index,
    read_metadata,
    write_metadata,
)
from searchkit.synonyms import AliasGroup, fingerprint, resolve_groups

log = logging.getLogger("searchkit")

LOCK_INFO_FILE = "searchkit.lock"
WRITER_MEMORY_MB = 256

ProgressCallback = Callable[[int, int], None]


def _writer_pid(index_dir: str) -> int | None:
    try:
        info = json.loads((Path(index_dir) / LOCK_INFO_FILE).read_text(encoding="utf-8"))
        return int(info["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def article_fields(article: Article, file_hash: str = "") -> dict[str, Any]:
    """The Whoosh document for an article (dates stored as naive UTC, as Whoosh needs)."""
    if not article.content_hash:
        article = article.with_content_hash()
    doc: dict[str, Any] = {
        "id": article.id,
        "title": article.title,
        "body": article.body,
        "content_hash": article.content_hash,
        "file_hash": file_hash,
    }
    for name in ("url", "source", "author", "path"):
        value = getattr(article, name)
        if value:
            doc[name] = value
    if article.published is not None:
        published = article.published
        if published.tzinfo is not None:
            published = published.astimezone(timezone.utc).replace(tzinfo=None)
        doc["published"] = published
    return doc


class Indexer:
    """A write transaction on an index: add and delete articles, then commit.

    Used as a context manager it commits on a clean exit and discards
    everything on an exception (including Ctrl-C). Only one Indexer can write
    an index at a time; another waits up to ``lock_timeout`` seconds and then
    raises IndexLockedError. The lock is an OS file lock, so a killed process
    never leaves a stale lock behind.

    If the alias groups differ from the ones the index was built with, every
    existing document is re-analysed from its stored fields at commit, so alias
    terms never go stale. ``rebuild=True`` starts from an empty index, but the
    old one stays searchable until the commit replaces it.
    """

    def __init__(
        self,
        index_dir: str | os.PathLike[str],
        *,
        synonyms: str | os.PathLike[str] | None = None,
        use_synonyms: bool = True,
        rebuild: bool = False,
        lock_timeout: float = 5.0,
    ) -> None:
        self.index_dir = str(index_dir)
        self.groups: tuple[AliasGroup, ...] = resolve_groups(synonyms) if use_synonyms else ()
        self.rebuild = rebuild
        self.lock_timeout = lock_timeout
        self._writer: Any = None
        self._written: set[str] = set()
        self._deleted: set[str] = set()
        self._open()

    # -- opening -----------------------------------------------------------

    def _open(self) -> None:
        if not has_index(self.index_dir):
            create_index(self.index_dir, self.groups)
        try:
            metadata = read_metadata(self.index_dir)
        except (IndexIncompatibleError, IndexCorruptError):
            if not self.rebuild:
                raise
            self._recreate_unreadable_index()
            metadata = read_metadata(self.index_dir)
        self._created = metadata.created
        self._reanalyze = metadata.synonyms_fingerprint != fingerprint(self.groups)
        try:
            self._ix = open_index(self.index_dir, self.groups)
        except IndexCorruptError:
            if not self.rebuild:
                raise
            self._recreate_unreadable_index()
            self._ix = open_index(self.index_dir, self.groups)
        if self._reanalyze and not self.rebuild:
            log.info("alias groups changed since the last build; re-analysing every document")

    def _recreate_unreadable_index(self) -> None:
        lock = FileStorage(self.index_dir).lock("WRITELOCK")
        if not lock.acquire(blocking=False):
            raise IndexLockedError(self.index_dir, _writer_pid(self.index_dir))
        try:
            log.warning("replacing the unreadable index at %s", self.index_dir)
            create_index(self.index_dir, self.groups)
        finally:
            lock.release()

    @property
    def clearing(self) -> bool:
        """True when the commit replaces all old segments (rebuild or re-analysis)."""
        return self.rebuild or self._reanalyze

    def _ensure_writer(self) -> Any:
        if self._writer is None:
            try:
                self._writer = self._ix.writer(
                    timeout=self.lock_timeout, delay=0.1, limitmb=WRITER_MEMORY_MB
                )
            except LockError as exc:
                raise IndexLockedError(self.index_dir, _writer_pid(self.index_dir)) from exc
            except OSError as exc:
                raise IndexWriteError(
                    self.index_dir, f"cannot write to the index at {self.index_dir}: {exc}"
                ) from exc
            self._write_lock_info()
        return self._writer

    def _write_lock_info(self) -> None:
        try:
            info = {"pid": os.getpid(), "started": time.time()}
            (Path(self.index_dir) / LOCK_INFO_FILE).write_text(json.dumps(info), "utf-8")
        except OSError:
            log.debug("could not record the writer's pid", exc_info=True)

    # -- reading the current state ------------------------------------------

    def existing_documents(self) -> dict[str, tuple[str, str, str]]:
        """Map every live document id to (path, file hash, content hash).

        Read from column storage, so it costs no stored-field loading.
        """
        writer = self._ensure_writer()
        with writer.reader() as reader:
            return {
                doc_id: (path, file_hash, content_hash)
                for doc_id, path, file_hash, content_hash in live_column_values(
                    reader, ("id", "path", "file_hash", "content_hash")
                )
            }

    # -- writing -------------------------------------------------------------

    def add(self, article: Article, *, file_hash: str = "") -> None:
        """Add an article, replacing any document with the same id.

        Adding the same id twice in one transaction commits the first version
        before writing the second, because Whoosh cannot replace a document
        it has not committed yet.
        """
        if article.id in self._written:
            self.commit()
        writer = self._ensure_writer()
        doc = article_fields(article, file_hash)
        try:
            if self.clearing:
                writer.add_document(**doc)
            else:
                writer.update_document(**doc)
        except OSError as exc:
            raise IndexWriteError(
                self.index_dir, f"cannot write to {self.index_dir}: {exc}"
            ) from exc
        self._written.add(article.id)

    def delete(self, doc_id: str) -> bool:
        """Delete a document by id; returns whether it existed (in the last commit)."""
        if doc_id in self._written:
            self.commit()
        writer = self._ensure_writer()
        with writer.reader() as reader:
            existed = reader.doc_frequency("id", doc_id) > 0 and doc_id not in self._deleted
        if existed and not self.clearing:
            writer.delete_by_term("id", doc_id)
        self._deleted.add(doc_id)
        return existed

    def commit(self) -> None:
        """Make every change since the last commit visible to searchers, atomically."""
        if self._writer is None and not self.clearing:
            return
        writer = self._ensure_writer()
        try:
            if self.clearing:
                if not self.rebuild:
                    self._carry_over_untouched(writer)
                writer.commit(mergetype=writing.CLEAR)
            else:
                writer.commit()
        except OSError as exc:
            self._writer = None
            self._close_abandoned_files()
            raise IndexWriteError(
                self.index_dir,
                f"could not commit to {self.index_dir} ({exc}); the last committed index "
                f"is unchanged",
            ) from exc
        self._writer = None
        self._written.clear()
        self._deleted.clear()
        self.rebuild = False
        self._reanalyze = False
        write_metadata(self.index_dir, new_metadata(self.groups, created=self._created))
        self._clear_lock_info()

    def _carry_over_untouched(self, writer: Any) -> None:
        """Re-add documents this transaction did not touch (re-analysing them)."""
        with writer.reader() as reader:
            for stored in reader.all_stored_fields():
                doc_id = stored.get("id")
                if doc_id in self._written or doc_id in self._deleted:
                    continue
                writer.add_document(**stored)

    def cancel(self) -> None:
        """Discard every change since the last commit and release the lock."""
        writer, self._writer = self._writer, None
        if writer is None:
            return
        try:
            writer.cancel()
        except OSError as exc:
            # Cancelling flushes buffers; on a full disk that fails too, and the
            # error that brought us here is the one worth reporting.
            log.warning("could not discard pending changes cleanly: %s", exc)
            self._close_abandoned_files()
        finally:
            self._written.clear()
            self._deleted.clear()
            self._clear_lock_info()

    def _close_abandoned_files(self) -> None:
        storage = getattr(self._ix, "storage", None)
        if isinstance(storage, TrackingFileStorage):
            storage.close_abandoned_files()

    def _clear_lock_info(self) -> None:
        with contextlib.suppress(OSError):
            (Path(self.index_dir) / LOCK_INFO_FILE).unlink(missing_ok=True)

    def close(self) -> None:
        """Commit pending changes and release the index."""
        self.commit()
        self._ix.close()

    def __enter__(self) -> Indexer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.cancel()
            self._ix.close()


@dataclass
class _Tally:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    failures: list[IngestFailure] = field(default_factory=list)


def _is_under(path: str, roots: Sequence[str]) -> bool:
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def build_index(
    paths: Iterable[str | os.PathLike[str]],
    index_dir: str | os.PathLike[str],
    *,
    synonyms: str | os.PathLike[str] | None = None,
    use_synonyms: bool = True,
    rebuild: bool = False,
    lock_timeout: float = 5.0,
    on_progress: ProgressCallback | None = None,
) -> IndexReport:
    """Bring the index in line with the files under ``paths``, incrementally.

    New files are added, changed ones re-indexed, documents whose files
    disappeared from those folders removed, and unchanged files (same bytes)
    not even parsed. A file that fails to ingest keeps its previously indexed
    documents, so a bad edit never loses data. Everything lands in one commit.
    """
    from searchkit.ingest import scan

    started = time.monotonic()
    corpus = scan(paths)
    roots = [str(Path(p).resolve()) for p in paths]
    tally = _Tally(failures=list(corpus.failures))
    unreadable_dirs = [failure.path for failure in corpus.failures]
    with Indexer(
        index_dir,
        synonyms=synonyms,
        use_synonyms=use_synonyms,
        rebuild=rebuild,
        lock_timeout=lock_timeout,
    ) as indexer:
        existing = {} if rebuild else indexer.existing_documents()
        by_path: dict[str, list[str]] = {}
        for doc_id, (doc_path, _file_hash, _content_hash) in existing.items():
            by_path.setdefault(doc_path, []).append(doc_id)
        produced: dict[str, str] = {}
        total = len(corpus.files)
        for done, file_path in enumerate(corpus.files, start=1):
            _sync_file(indexer, file_path, existing, by_path, produced, tally)
            if on_progress is not None:
                on_progress(done, total)
        vanished = {
            doc_path: ids
            for doc_path, ids in by_path.items()
            if _is_under(doc_path, roots) and not _is_under(doc_path, unreadable_dirs)
        }
        for doc_path in map(str, corpus.files):
            vanished.pop(doc_path, None)
        for ids in vanished.values():
            for doc_id in ids:
                if doc_id not in produced:
                    indexer.delete(doc_id)
                    tally.removed += 1
    return IndexReport(
        added=tally.added,
        updated=tally.updated,
        removed=tally.removed,
        unchanged=tally.unchanged,
        skipped=len(corpus.skipped),
        failed=len(tally.failures),
        seconds=time.monotonic() - started,
        failures=tuple(tally.failures),
        skipped_paths=tuple(str(p) for p in corpus.skipped),
    )


def _sync_file(
    indexer: Indexer,
    path: Path,
    existing: dict[str, tuple[str, str, str]],
    by_path: dict[str, list[str]],
    produced: dict[str, str],
    tally: _Tally,
) -> None:
    from searchkit.ingest import MAX_FILE_BYTES, read_articles

    key = str(path)
    try:
        # An oversized file is not read here: the ingester reports it with its own message.
        data = None if path.stat().st_size > MAX_FILE_BYTES else path.read_bytes()
    except OSError as exc:
        tally.failures.append(IngestFailure(key, f"cannot read file: {exc.strerror or exc}"))
        return
    file_hash = hashlib.sha1(data).hexdigest() if data is not None else ""
    old_ids = by_path.get(key, [])
    if (
        old_ids
        and file_hash
        and not indexer.clearing
        and all(existing[i][1] == file_hash for i in old_ids)
    ):
        tally.unchanged += len(old_ids)
        produced.update(dict.fromkeys(old_ids, key))
        return
    articles: list[Article] = []
    for item in read_articles(path, data):
        if isinstance(item, IngestFailure):
            tally.failures.append(item)
        elif item.id in produced:
            tally.failures.append(
                IngestFailure(key, f"duplicate id {item.id!r} (also in {produced[item.id]})")
            )
        else:
            articles.append(item)
            produced[item.id] = key
    if not articles:
        produced.update(dict.fromkeys(old_ids, key))  # keep what this file had indexed
        return
    for article in articles:
        previous = existing.get(article.id)
        indexer.add(article, file_hash=file_hash)
        if previous is None:
            tally.added += 1
        elif previous[2] == article.content_hash and not indexer.rebuild:
            tally.unchanged += 1
        else:
            tally.updated += 1
