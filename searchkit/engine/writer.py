"""The Whoosh writers behind an Indexer transaction, and their worker processes.

``open_writer`` takes the index's write lock and returns an ``IndexWriter``:
adds, replacements, deletes and the commit, in plain values (documents are
dicts of field values, see ``schema.article_to_document``). Errors met while
reading the committed index become IndexCorruptError here; a failed write
(a full disk) stays an OSError for the Indexer to report. Bulk writes run
the analysis in forked worker processes (``_ParallelWriter``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh import multiproc, writing
from whoosh.filedb.filestore import FileStorage
from whoosh.index import FileIndex, LockError, clean_files
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.writing import IndexingError

from searchkit.engine.analysis import NewsAnalyzer
from searchkit.engine.arrays import write_segment_arrays
from searchkit.engine.columns import live_column_values
from searchkit.engine.damage import READ_DAMAGE, is_read_damage
from searchkit.engine.durable import DurableCommits, DurableSegmentWriter
from searchkit.engine.storage import INDEX_NAME, TrackingFileStorage, create_index
from searchkit.errors import IndexCorruptError, IndexLockedError, SearchkitError
from searchkit.grouping import StoredGroups
from searchkit.synonyms import AliasGroup

log = logging.getLogger("searchkit")

LOCK_INFO_FILE = "searchkit.lock"
"""Beside the lock, the pid of the process holding it, so a waiting writer can name it."""


def lock_holder(index_dir: str) -> int | None:
    """The pid of the process writing the index, if it recorded one."""
    try:
        info = json.loads((Path(index_dir) / LOCK_INFO_FILE).read_text(encoding="utf-8"))
        return int(info["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def record_lock_holder(index_dir: str) -> None:
    """Record this process as the index's writer (best effort: it only helps messages)."""
    try:
        info = {"pid": os.getpid(), "started": time.time()}
        (Path(index_dir) / LOCK_INFO_FILE).write_text(json.dumps(info), "utf-8")
    except OSError:
        log.debug("could not record the writer's pid", exc_info=True)


def forget_lock_holder(index_dir: str) -> None:
    """Remove the record ``record_lock_holder`` wrote."""
    with contextlib.suppress(OSError):
        (Path(index_dir) / LOCK_INFO_FILE).unlink(missing_ok=True)


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def follow_parent(parent: int) -> None:
    """Make a worker process ignore Ctrl-C and exit by itself once ``parent`` is gone.

    The parent decides whether to commit or cancel, and a killed indexer must
    not leave workers behind holding its pipes (and its callers' pipes) open.
    ``parent`` is the pid taken before the fork: a parent killed before this
    runs has already been replaced by another, which getppid() would return.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


@dataclass(frozen=True)
class _SchemaOpener:
    """What a worker opens its index through: the storage, with the parent writer's schema.

    Whoosh's worker calls ``storage.open_index(name)``, which unpickles the
    schema of the last commit. When this transaction changes the alias groups
    that schema is the old one, and every document the worker analysed got
    the old groups' terms (so the new aliases found nothing).
    """

    storage: Any
    schema: Any

    def open_index(self, indexname: str) -> FileIndex:
        """The index as the parent writer sees it (its schema, not the pickled one)."""
        return FileIndex(self.storage, schema=self.schema, indexname=indexname)


_WRITE_FAILED = "write failed"
"""Marks a worker's report of the OSError it stopped on, on the result queue."""
WORKER_REPORT_SECONDS = 1.0
"""How long the parent waits for a failed worker's report (it was written before it exited)."""


class _WorkerSegmentWriter(writing.SegmentWriter):  # type: ignore[misc]
    """A worker's writer: Whoosh's, then the scorer's arrays of the segment it wrote,
    built here so that the workers build them in parallel."""

    def _finalize_segment(self) -> Any:
        segment = super()._finalize_segment()
        write_segment_arrays(self.storage, self.schema, segment)
        return segment


class _WorkerTask(SubWriterTask):  # type: ignore[misc]
    """Whoosh's indexing worker process, analysing with its parent's schema.

    It ignores Ctrl-C (the parent decides whether to commit or cancel) and
    exits by itself if the parent dies, so a killed indexer never leaves
    workers behind holding its pipes open.
    """

    schema: Any = None
    """The parent writer's schema (a forked worker inherits it; nothing is pickled)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._parent = os.getpid()

    def run(self) -> None:
        follow_parent(self._parent)
        storage = self.storage  # type: ignore[has-type]
        if isinstance(storage, TrackingFileStorage):
            storage.forget_inherited_files()
        self.storage = _SchemaOpener(storage, self.schema)
        # Whoosh's task builds its writer from this module global; in this forked
        # child only, it becomes the writer that also writes the segment's arrays.
        multiproc.SegmentWriter = _WorkerSegmentWriter
        try:
            super().run()
        except OSError as exc:
            # A full disk: the parent reports it once, as its own write error, and
            # deletes this worker's partial files; a traceback here would only
            # repeat it, once per worker. Its files are closed first, so none is
            # left for the garbage collector to warn about.
            if isinstance(storage, TrackingFileStorage):
                storage.close_abandoned_files()
            self.resultqueue.put((_WRITE_FAILED, exc.errno, exc.strerror or str(exc)))
            sys.exit(1)


class _SegmentWriter(DurableSegmentWriter):
    """Whoosh's single-process writer with durable commits (``DurableCommits``), running
    ``after_toc`` before it releases the lock."""

    after_toc: Callable[[], None] | None = None
    """Called once the new table of contents is written, while the write lock is held."""

    def __init__(self, ix: Any, **kwargs: Any) -> None:
        try:
            super().__init__(ix, **kwargs)
        except OSError:
            # Whoosh keeps the lock and scratch folder of a writer it failed to build.
            self._cleanup_on_error()
            raise

    def _commit_toc(self, segments: Any) -> None:
        super()._commit_toc(segments)
        if self.after_toc is not None:
            self.after_toc()


class _ParallelWriter(DurableCommits, MpWriter):  # type: ignore[misc]
    """Whoosh's multi-process writer, with the transaction guarantees of the plain one.

    Analysis and posting-list building run in worker processes, each writing
    its own segment (``multisegment=True``: upstream's single-segment mode can
    lose documents). Compared with Whoosh's own MpWriter: a transaction too
    small to fill one batch is indexed in-process (no fork); a worker that
    crashed makes ``commit`` fail instead of silently dropping its documents;
    ``cancel`` stops the workers instead of leaving them waiting forever; and a
    commit is durable (``DurableCommits``).
    """

    def __init__(self, ix: Any, **kwargs: Any) -> None:
        try:
            super().__init__(ix, **kwargs)
        except OSError:
            self._cleanup_on_error()  # as in _SegmentWriter
            raise

    def _new_task(self) -> SubWriterTask:
        if not self.tasks:
            # Build the alias table before the first fork, so every worker inherits
            # it instead of building its own (about a second at 100,000 groups).
            for _name, field_type in self.schema.items():
                analyzer = getattr(field_type, "analyzer", None)
                if isinstance(analyzer, NewsAnalyzer):
                    analyzer.prepare()
        task = _WorkerTask(
            self.storage,
            self.indexname,
            self.jobqueue,
            self.resultqueue,
            self.subargs,
            self.multisegment,
        )
        task.schema = self.schema
        self.tasks.append(task)
        task.start()
        return task

    def _commit(self, mergetype: Any, optimize: Any, merge: Any) -> None:
        if not self.tasks:
            # Whoosh leaves docbuffer unannotated: (code, fields) pairs.
            buffered: list[tuple[int, dict[str, Any]]] = self.docbuffer  # type: ignore[has-type]
            self.docbuffer = []  # type: ignore[var-annotated]
            for _code, fields in buffered:
                writing.SegmentWriter.add_document(self, **fields)
            writing.SegmentWriter.commit(self, mergetype=mergetype, optimize=optimize, merge=merge)
            return
        try:
            if self.docbuffer:
                self._enqueue()
            for _task in self.tasks:
                self.jobqueue.put(None)
            for task in self.tasks:
                task.join()
            failed = [task.exitcode for task in self.tasks if task.exitcode != 0]
            if failed:
                raise self._worker_failure(failed[0])
            super()._commit(mergetype, optimize, merge)
        except BaseException:
            self._abandon()
            raise
        self._close_queues(wait=True)

    def _worker_failure(self, status: int) -> OSError:
        """The error a failed worker reported (a full disk says ENOSPC), else a generic one."""
        for _task in self.tasks:
            try:
                report = self.resultqueue.get(timeout=WORKER_REPORT_SECONDS)
            except queue.Empty:
                break
            if isinstance(report, tuple) and len(report) == 3 and report[0] == _WRITE_FAILED:
                return OSError(report[1], report[2])
        return OSError(f"an indexing worker process failed (exit status {status})")

    def _abandon(self) -> None:
        """After a failed commit: stop the workers and release the lock, committing nothing.

        Whoosh's own commit leaves the lock held when it fails with workers.
        The segment files stay open for the Indexer to close and delete.
        """
        for task in self.tasks:
            if task.is_alive():
                task.terminate()
            task.join()
        self._close_queues(wait=False)
        self._cleanup_on_error()

    after_toc: Callable[[], None] | None = None
    """As for ``_SegmentWriter``: called after the new table of contents, under the lock."""

    def _commit_toc(self, segments: Any) -> None:
        super()._commit_toc(segments)
        if self.after_toc is not None:
            self.after_toc()

    def cancel(self) -> None:
        try:
            for task in self.tasks:
                if task.is_alive():
                    task.terminate()
                task.join()
        finally:
            self._close_queues(wait=False)
            writing.SegmentWriter.cancel(self)

    def _close_queues(self, *, wait: bool) -> None:
        """Stop the queues' feeder threads: while one lingers, ``worker_count`` sees a
        second thread and the next bulk write in this process gets no workers."""
        for channel in (self.jobqueue, self.resultqueue):
            channel.close()
            if wait:
                channel.join_thread()
            else:  # workers were killed: nothing will read what is left in the pipe
                channel.cancel_join_thread()


@contextlib.contextmanager
def _reading_existing(index_dir: str) -> Iterator[None]:
    """Report damage met while the writer reads the committed index as IndexCorruptError.

    Replacing, deleting and merging all read old segments; their bytes can
    be wrong in as many ways as a searcher meets (and Whoosh's writer says
    IndexingError when a damaged posting names a document that is not there).
    """
    try:
        yield
    except (SearchkitError, OSError):
        raise  # an OSError here is a failed write (a full disk), reported by the caller
    except (*READ_DAMAGE, IndexingError) as exc:
        if not (isinstance(exc, IndexingError) or is_read_damage(exc)):
            raise
        log.debug("the index could not be read while writing", exc_info=True)
        raise IndexCorruptError(index_dir, f"{type(exc).__name__}: {exc}") from exc


class IndexWriter:
    """An open Whoosh writer: nothing it does is visible until ``commit``.

    It holds the index's write lock until ``commit`` or ``cancel``.
    """

    def __init__(self, index_dir: str, writer: Any) -> None:
        self.index_dir = index_dir
        self._writer = writer

    def existing_documents(self) -> dict[str, tuple[str, str, str]]:
        """Map every committed live document id to (path, file hash, content hash).

        Read from column storage, so it costs no stored-field loading.
        """
        with _reading_existing(self.index_dir), self._writer.reader() as reader:
            return {
                doc_id: (path, file_hash, content_hash)
                for doc_id, path, file_hash, content_hash in live_column_values(
                    reader, ("id", "path", "file_hash", "content_hash")
                )
            }

    @property
    def committed_generation(self) -> int:
        """The generation of the commit this writer started from (its own is the next)."""
        return int(self._writer.generation) - 1

    @property
    def generation(self) -> int:
        """The generation this writer's commit gets."""
        return int(self._writer.generation)

    def committed_groups(self) -> Iterator[StoredGroups]:
        """Every committed live document's text, date and group numbers, in index order.

        Reads stored fields, so it costs a pass over the index: used only to
        recover the grouping state when the saved one does not match the commit.
        """
        with _reading_existing(self.index_dir), self._writer.reader() as reader:
            for docnum in reader.all_doc_ids():
                stored = reader.stored_fields(docnum)
                yield StoredGroups(
                    id=stored["id"],
                    title=stored.get("title", ""),
                    body=stored.get("body", ""),
                    published=stored.get("published"),
                    duplicate_group=stored.get("duplicate_group"),
                    story_id=stored.get("story_id"),
                )

    def has_document(self, doc_id: str) -> bool:
        """Whether the last commit holds a live document with this id."""
        with _reading_existing(self.index_dir), self._writer.reader() as reader:
            return bool(reader.doc_frequency("id", doc_id) > 0)

    def delete(self, doc_id: str) -> None:
        """Delete the committed document with this id, at the commit."""
        with _reading_existing(self.index_dir):
            self._writer.delete_by_term("id", doc_id)

    def add(self, document: dict[str, Any]) -> None:
        """Add a document, without looking for an earlier one with its id."""
        with _reading_existing(self.index_dir):
            self._writer.add_document(**document)

    def replace(self, document: dict[str, Any]) -> None:
        """Add a document in place of any committed one with its id."""
        with _reading_existing(self.index_dir):
            self._writer.update_document(**document)

    def carry_over(self, skip: Callable[[Any], bool]) -> None:
        """Add every committed document again (re-analysing it), except those whose id
        ``skip`` names: for a commit that clears the old segments."""
        with _reading_existing(self.index_dir), self._writer.reader() as reader:
            for stored in reader.all_stored_fields():
                if skip(stored.get("id")):
                    continue
                self._writer.add_document(**stored)

    def commit(self, *, clear: bool, after_toc: Callable[[], None]) -> None:
        """Commit, replacing every old segment if ``clear``; ``after_toc`` runs once the new
        table of contents is written, while the write lock is still held."""
        self._writer.after_toc = after_toc
        with _reading_existing(self.index_dir):
            if clear:
                self._writer.commit(mergetype=writing.CLEAR)
            else:
                self._writer.commit()

    def cancel(self) -> None:
        """Discard everything since the writer opened, stop its workers, release the lock."""
        self._writer.cancel()


def open_writer(
    ix: Any,
    index_dir: str,
    *,
    procs: int,
    batchsize: int,
    timeout: float,
    limitmb: int,
    worker_limitmb: int,
) -> IndexWriter:
    """Take the write lock (waiting up to ``timeout`` seconds) and open a writer.

    With ``procs`` above 1 (and storage that allows it) analysis runs in that
    many worker processes, each given ``batchsize`` documents at a time.
    Raises IndexLockedError when another writer keeps the lock, OSError when
    the writer cannot be created.
    """
    if not getattr(ix.storage, "supports_multiproc_writing", False):
        procs = 1
    try:
        if procs > 1:
            writer: Any = _ParallelWriter(
                ix,
                procs=procs,
                batchsize=batchsize,
                multisegment=True,
                timeout=timeout,
                delay=0.1,
                limitmb=worker_limitmb,
            )
        else:
            writer = _SegmentWriter(ix, timeout=timeout, delay=0.1, limitmb=limitmb)
    except LockError as exc:
        raise IndexLockedError(index_dir, lock_holder(index_dir)) from exc
    return IndexWriter(index_dir, writer)


def discard_failed_write(ix: Any) -> None:
    """Close and delete what a failed or cancelled write left.

    Whoosh deletes the files of segments that never reached a commit (this
    writer's and its workers') only at the next successful commit; on a
    full disk they are what fills it. They are deleted here as that commit
    would (every segment file the current table of contents does not
    list), under the write lock so no other writer's files are touched; if
    another writer holds the lock, its commit deletes them.
    """
    storage = getattr(ix, "storage", None)
    if isinstance(storage, TrackingFileStorage):
        storage.close_abandoned_files()
    lock = ix.lock("WRITELOCK")
    try:
        locked = bool(lock.acquire(blocking=False))
    except OSError:
        locked = False
    if locked:
        try:
            toc = ix._read_toc()
            clean_files(ix.storage, ix.indexname, toc.generation, toc.segments)
        except READ_DAMAGE:
            log.debug("could not delete the files of a failed write", exc_info=True)
        finally:
            lock.release()


def replace_unreadable_index(index_dir: str, groups: Sequence[AliasGroup]) -> None:
    """Create an empty index in place of an unreadable one, under its write lock.

    Raises IndexLockedError if another writer holds the lock.
    """
    # The lock every Whoosh writer of this index takes (FileIndex.lock names it so).
    lock = FileStorage(index_dir).lock(f"{INDEX_NAME}_WRITELOCK")
    if not lock.acquire(blocking=False):
        raise IndexLockedError(index_dir, lock_holder(index_dir))
    try:
        log.warning("replacing the unreadable index at %s", index_dir)
        create_index(index_dir, groups)
    finally:
        lock.release()
