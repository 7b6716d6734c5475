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
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import timezone
from pathlib import Path
from types import TracebackType
from typing import Any

from whoosh import writing
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.writing import IndexingError

from searchkit.column_scan import live_column_values
from searchkit.engine.durable import DurableCommits
from searchkit.errors import (
    IndexCorruptError,
    IndexIncompatibleError,
    IndexLockedError,
    IndexWriteError,
    IngestError,
    SearchkitError,
)
from searchkit.ingest.outlets import OutletTable, resolve_outlet, resolve_outlets
from searchkit.models import Article, IndexReport, IngestFailure, SkippedPath
from searchkit.pending import PendingDocuments
from searchkit.safe_text import has_surrogate, path_text
from searchkit.storage import (
    READ_DAMAGE,
    TrackingFileStorage,
    create_index,
    has_index,
    is_read_damage,
    new_metadata,
    open_index,
    read_metadata,
    write_metadata,
)
from searchkit.synonyms import AliasGroup, fingerprint, resolve_groups

log = logging.getLogger("searchkit")

LOCK_INFO_FILE = "searchkit.lock"
WRITER_MEMORY_MB = 256
"""Memory a single-process writer may use before it spills sorted postings to disk."""

WORKER_MEMORY_MB = 64
"""The same for each indexing worker: at 128 MB two workers peaked at 195 MB RSS each on
Reuters (19k stories), at 64 MB at 115 MB, so a 200k-document build stays well under 400 MB."""

MAX_WORKERS = 4
"""Upper bound on indexing worker processes for bulk writes (one per usable core)."""

WORKER_BATCH = 100
"""Documents handed to a worker at a time; a smaller transaction is indexed in-process."""

POOL_MIN_PAGES = 32
"""HTML pages a folder build needs before their extraction moves to a process pool."""

_HTML_SUFFIXES = (".html", ".htm")

ProgressCallback = Callable[[int, int], None]


def _writer_pid(index_dir: str) -> int | None:
    try:
        info = json.loads((Path(index_dir) / LOCK_INFO_FILE).read_text(encoding="utf-8"))
        return int(info["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def worker_count() -> int:
    """How many indexing worker processes a bulk write should use (1 = none).

    One per core this process may run on, up to MAX_WORKERS. Worker processes
    are forked, so none are used when other threads are running (forking a
    threaded process can deadlock the child) or where the default start
    method is not fork (macOS, Windows, Python 3.14+): a spawned worker would
    have to re-import everything and receive the index's storage by pickling.
    """
    # Not get_context(): asking it fixes the start method for the whole program.
    method = multiprocessing.get_start_method(allow_none=True)
    if (method or multiprocessing.get_all_start_methods()[0]) != "fork":
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    if threading.active_count() > 1:
        return 1
    return max(1, min(cores, MAX_WORKERS))


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _follow_parent(parent: int) -> None:
    """Make a worker process ignore Ctrl-C and exit by itself once ``parent`` is gone.

    The parent decides whether to commit or cancel, and a killed indexer must
    not leave workers behind holding its pipes (and its callers' pipes) open.
    ``parent`` is the pid taken before the fork: a parent killed before this
    runs has already been replaced by another, which getppid() would return.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


class _WorkerTask(SubWriterTask):  # type: ignore[misc]
    """Whoosh's indexing worker process, made to follow its parent.

    It ignores Ctrl-C (the parent decides whether to commit or cancel) and
    exits by itself if the parent dies, so a killed indexer never leaves
    workers behind holding its pipes open.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._parent = os.getpid()

    def run(self) -> None:
        _follow_parent(self._parent)
        super().run()


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

    def _new_task(self) -> SubWriterTask:
        task = _WorkerTask(
            self.storage,
            self.indexname,
            self.jobqueue,
            self.resultqueue,
            self.subargs,
            self.multisegment,
        )
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
        if self.docbuffer:
            self._enqueue()
        for _task in self.tasks:
            self.jobqueue.put(None)
        for task in self.tasks:
            task.join()
        failed = [task.exitcode for task in self.tasks if task.exitcode != 0]
        if failed:
            self._close_queues(wait=False)
            writing.SegmentWriter.cancel(self)
            raise OSError(f"an indexing worker process failed (exit status {failed[0]})")
        try:
            super()._commit(mergetype, optimize, merge)
        finally:
            self._close_queues(wait=True)

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
        for queue in (self.jobqueue, self.resultqueue):
            queue.close()
            if wait:
                queue.join_thread()
            else:  # workers were killed: nothing will read what is left in the pipe
                queue.cancel_join_thread()


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
    for name in ("url", "source", "author"):
        value = getattr(article, name)
        if value:
            doc[name] = value
    if article.path:
        doc["path"] = path_text(article.path)
    if article.published is not None:
        published = article.published
        if published.tzinfo is not None:
            published = published.astimezone(timezone.utc).replace(tzinfo=None)
        doc["published"] = published
    return doc


_TEXT_FIELDS = ("id", "title", "body", "url", "source", "author")


def unstorable_text(article: Article) -> str | None:
    """Why the index cannot store ``article``, or None when it can.

    A lone surrogate (half a UTF-16 pair, e.g. from a JSON ``"\\ud800"``)
    is not text and cannot be encoded; caught here, it fails that one
    article instead of the whole commit. Paths are made safe by
    ``article_fields`` instead, since a file name is not the author's to fix.
    """
    for name in _TEXT_FIELDS:
        value = getattr(article, name)
        if isinstance(value, str) and has_surrogate(value):
            return f"field {name!r} holds a lone surrogate (half a UTF-16 pair), which is not text"
    return None


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

    Every added article is filed under one outlet name: the shipped outlet
    table plus the entries of ``outlets`` (a file in the same format) merge
    spellings ("Reuters.com" -> "Reuters") and name the outlet of an article
    that declares none from its URL's host (``searchkit.ingest.outlets``).
    """

    def __init__(
        self,
        index_dir: str | os.PathLike[str],
        *,
        synonyms: str | os.PathLike[str] | None = None,
        use_synonyms: bool = True,
        rebuild: bool = False,
        lock_timeout: float = 5.0,
        outlets: str | os.PathLike[str] | None = None,
    ) -> None:
        self.index_dir = str(index_dir)
        self.groups: tuple[AliasGroup, ...] = resolve_groups(synonyms) if use_synonyms else ()
        self.outlets: OutletTable = resolve_outlets(outlets)
        self.rebuild = rebuild
        self.lock_timeout = lock_timeout
        self._writer: Any = None
        self._parallel = False
        self._pending = PendingDocuments()
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
            procs = worker_count() if self._parallel else 1
            if not getattr(self._ix.storage, "supports_multiproc_writing", False):
                procs = 1
            try:
                if procs > 1:
                    self._writer = _ParallelWriter(
                        self._ix,
                        procs=procs,
                        batchsize=WORKER_BATCH,
                        multisegment=True,
                        timeout=self.lock_timeout,
                        delay=0.1,
                        limitmb=WORKER_MEMORY_MB,
                    )
                else:
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

    @contextlib.contextmanager
    def _reading_existing(self) -> Iterator[None]:
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
            raise IndexCorruptError(self.index_dir, f"{type(exc).__name__}: {exc}") from exc

    # -- reading the current state ------------------------------------------

    def existing_documents(self) -> dict[str, tuple[str, str, str]]:
        """Map every live document id to (path, file hash, content hash).

        Read from column storage, so it costs no stored-field loading.
        """
        writer = self._ensure_writer()
        with self._reading_existing(), writer.reader() as reader:
            return {
                doc_id: (path, file_hash, content_hash)
                for doc_id, path, file_hash, content_hash in live_column_values(
                    reader, ("id", "path", "file_hash", "content_hash")
                )
            }

    # -- writing -------------------------------------------------------------

    def add(self, article: Article, *, file_hash: str = "") -> None:
        """Add an article at the next commit, replacing any document with the same id.

        Adding an id again in the same transaction replaces the earlier
        version in its place; nothing reaches the index before the commit.
        """
        reason = unstorable_text(article)
        if reason is not None:
            raise IngestError(path_text(article.path or article.id), reason)
        outlet = resolve_outlet(article.source, article.url, self.outlets)
        if outlet != article.source:
            article = replace(article, source=outlet)
        self._ensure_writer()  # takes the lock now, so a second writer is refused early
        self._pending.put(article_fields(article, file_hash))

    def add_many(self, articles: Iterable[Article], *, file_hash: str = "") -> int:
        """Add many articles (as ``add`` does, one by one); returns how many were added.

        Meant for bulk loads: unless this transaction already has a writer open,
        analysis runs in worker processes, one per core (see ``worker_count``),
        while this process keeps reading the input.
        """
        self._parallel = True
        count = 0
        for article in articles:
            self.add(article, file_hash=file_hash)
            count += 1
        return count

    def delete(self, doc_id: str) -> bool:
        """Delete a document by id at the next commit; returns whether it existed.

        "Existed" means in the last commit or added earlier in this transaction.
        """
        writer = self._ensure_writer()
        added = self._pending.discard(doc_id)
        with self._reading_existing():
            with writer.reader() as reader:
                committed = reader.doc_frequency("id", doc_id) > 0 and doc_id not in self._deleted
            if committed and not self.clearing:
                writer.delete_by_term("id", doc_id)
        if committed:
            self._deleted.add(doc_id)
        return committed or added

    def commit(self) -> None:
        """Make every change since the last commit visible to searchers, atomically."""
        if self._writer is None and not self.clearing:
            return
        writer = self._ensure_writer()
        try:
            with self._reading_existing():
                self._hand_over_pending(writer)
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
        self._pending.clear()
        self._deleted.clear()
        self.rebuild = False
        self._reanalyze = False
        write_metadata(self.index_dir, new_metadata(self.groups, created=self._created))
        self._clear_lock_info()

    def _hand_over_pending(self, writer: Any) -> None:
        """Give the writer every pending document, in the order first added."""
        for doc in self._pending:
            if self.clearing:
                writer.add_document(**doc)
            else:
                writer.update_document(**doc)

    def _carry_over_untouched(self, writer: Any) -> None:
        """Re-add documents this transaction did not touch (re-analysing them)."""
        with writer.reader() as reader:
            for stored in reader.all_stored_fields():
                doc_id = stored.get("id")
                if doc_id in self._pending or doc_id in self._deleted:
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
            self._pending.clear()
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
            try:
                self.close()
            except BaseException:
                # A commit that failed or was interrupted must not keep the lock or workers.
                self.cancel()
                self._ix.close()
                raise
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
    follow_links: bool = False,
    outlets: str | os.PathLike[str] | None = None,
) -> IndexReport:
    """Bring the index in line with the files under ``paths``, incrementally.

    New files are added, changed ones re-indexed, and unchanged files (same
    bytes) not even parsed; a document is removed once no file under those
    paths holds its id any more (its file is gone, or no longer has that
    record). A file that fails to ingest keeps its previously indexed
    documents, so a bad edit never loses data. Everything lands in one commit.

    Symbolic links are followed only when their target lies under one of
    ``paths``, or always with ``follow_links``; devices, FIFOs, ``/proc`` and
    index folders (``index_dir`` among them) are never read. What was left
    out is in ``report.passed_over``. When several files hold one id, the
    file whose path sorts first keeps it; each other copy is a failure of its
    file, reported on every run until the conflict is gone.
    """
    from searchkit.ingest import scan

    started = time.monotonic()
    named = list(paths)
    corpus = scan(named, follow_links=follow_links, exclude=[index_dir])
    roots = [path_text(os.path.abspath(path)) for path in named]
    tally = _Tally(failures=[_safe_failure(failure) for failure in corpus.failures])
    unreadable_dirs = [failure.path for failure in tally.failures]
    # The pool is forked before the writer exists, so no worker inherits the write lock.
    pool = _extraction_pool(corpus.files)
    try:
        with Indexer(
            index_dir,
            synonyms=synonyms,
            use_synonyms=use_synonyms,
            rebuild=rebuild,
            lock_timeout=lock_timeout,
            outlets=outlets,
        ) as indexer:
            # A folder build is a bulk load: the cores go to extraction when a
            # pool extracts the pages, otherwise to indexing workers.
            indexer._parallel = pool is None
            _sync_files(
                indexer, corpus.files, pool, rebuild, roots, unreadable_dirs, tally, on_progress
            )
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
    return IndexReport(
        added=tally.added,
        updated=tally.updated,
        removed=tally.removed,
        unchanged=tally.unchanged,
        skipped=len(corpus.skipped),
        failed=len(tally.failures),
        seconds=time.monotonic() - started,
        failures=tuple(tally.failures),
        skipped_paths=tuple(path_text(path) for path in corpus.skipped),
        passed_over=tuple(
            SkippedPath(path_text(item.path), path_text(item.reason)) for item in corpus.passed_over
        ),
    )


def _safe_failure(failure: IngestFailure) -> IngestFailure:
    """The failure with a path (and reason) that can be printed: see ``path_text``."""
    return IngestFailure(path_text(failure.path), path_text(failure.reason), failure.line)


def _sync_files(
    indexer: Indexer,
    files: Sequence[Path],
    pool: Any,
    rebuild: bool,
    roots: Sequence[str],
    unreadable_dirs: Sequence[str],
    tally: _Tally,
    on_progress: ProgressCallback | None,
) -> None:
    """Make the index hold exactly the records of ``files`` under ``roots`` (one transaction).

    A document is kept only when a file claims its id this run: by holding
    it, or by keeping its old documents because it could not be read. Others
    are removed if their path lies under ``roots`` (as reached, through any
    links) and outside any folder that could not be read; documents indexed
    from elsewhere are left alone.
    """
    existing = {} if rebuild else indexer.existing_documents()
    by_path: dict[str, list[str]] = {}
    for doc_id, (doc_path, _file_hash, _content_hash) in existing.items():
        by_path.setdefault(doc_path, []).append(doc_id)
    produced: dict[str, str] = {}
    total = len(files)
    jobs = (_prepare_file(indexer, path, existing, by_path) for path in files)
    for done, (job, items) in enumerate(_extracted(jobs, pool), start=1):
        _apply_file(indexer, job, items, existing, produced, tally)
        if on_progress is not None:
            on_progress(done, total)
    for doc_id, (doc_path, _file_hash, _content_hash) in existing.items():
        if doc_id in produced or not _is_under(doc_path, roots):
            continue
        if not _is_under(doc_path, unreadable_dirs):
            indexer.delete(doc_id)
            tally.removed += 1


@dataclass
class _FileJob:
    """One corpus file on its way through a build: read and hashed, maybe to extract."""

    path: Path
    key: str
    """The path as stored in the index (``path_text``) and shown in reports."""
    data: bytes | None = None
    file_hash: str = ""
    old_ids: list[str] = field(default_factory=list)
    extract: bool = True
    failure: IngestFailure | None = None


def _prepare_file(
    indexer: Indexer,
    path: Path,
    existing: dict[str, tuple[str, str, str]],
    by_path: dict[str, list[str]],
) -> _FileJob:
    """Read and hash a file, and decide whether it needs extracting (same bytes: no)."""
    from searchkit.ingest import MAX_FILE_BYTES
    from searchkit.ingest.special import read_regular_file

    key = path_text(path)
    old_ids = by_path.get(key, [])
    try:
        data: bytes | None
        data, size = read_regular_file(path, MAX_FILE_BYTES)
    except IngestError as exc:  # swapped for a FIFO or device since the scan
        failure = IngestFailure(key, exc.reason)
        return _FileJob(path, key, old_ids=old_ids, extract=False, failure=failure)
    except OSError as exc:
        failure = IngestFailure(key, f"cannot read file: {exc.strerror or exc}")
        return _FileJob(path, key, old_ids=old_ids, extract=False, failure=failure)
    if size > MAX_FILE_BYTES:
        data = None  # not read: the ingester reports it with its own message
    file_hash = hashlib.sha1(data).hexdigest() if data is not None else ""
    unchanged = bool(
        old_ids
        and file_hash
        and not indexer.clearing
        and all(existing[i][1] == file_hash for i in old_ids)
    )
    return _FileJob(path, key, data, file_hash, old_ids, extract=not unchanged)


def _extract_file(path: Path, data: bytes | None) -> list[Article | IngestFailure]:
    """Every Article and IngestFailure of one file (in a pool worker for big builds)."""
    from searchkit.ingest import read_articles

    return list(read_articles(path, data))


def _extraction_pool(files: Sequence[Path]) -> Any:
    """A process pool for extracting many HTML pages, or None to extract in-process.

    Parsing HTML costs far more than indexing the text it yields, so a big
    page build is bounded by extraction; plain-text and JSON corpora are not,
    and keep their cores for the indexing workers instead.
    """
    workers = worker_count()
    pages = sum(1 for path in files if path.suffix.lower() in _HTML_SUFFIXES)
    if workers < 2 or pages < POOL_MIN_PAGES or pages * 2 < len(files):
        return None
    try:
        context = multiprocessing.get_context("fork")
    except ValueError:  # no fork on this platform: a spawned worker would re-import everything
        return None
    return context.Pool(workers, initializer=_follow_parent, initargs=(os.getpid(),))


def _extracted(jobs: Iterable[_FileJob], pool: Any) -> Iterator[tuple[_FileJob, list[Any]]]:
    """Pair each job with its extracted items, in file order.

    With a pool, up to a few files per worker are extracted ahead of the one
    being indexed, so the corpus is never held whole.
    """
    if pool is None:
        for job in jobs:
            yield job, _extract_file(job.path, job.data) if job.extract else []
        return
    window = 4 * max(1, getattr(pool, "_processes", 2))
    pending: deque[tuple[_FileJob, Any]] = deque()
    for job in jobs:
        result = pool.apply_async(_extract_file, (job.path, job.data)) if job.extract else None
        job.data = None
        pending.append((job, result))
        if len(pending) >= window:
            done, ready = pending.popleft()
            yield done, ready.get() if ready is not None else []
    while pending:
        done, ready = pending.popleft()
        yield done, ready.get() if ready is not None else []


def _apply_file(
    indexer: Indexer,
    job: _FileJob,
    items: list[Any],
    existing: dict[str, tuple[str, str, str]],
    produced: dict[str, str],
    tally: _Tally,
) -> None:
    """Write one file's articles (or keep its old documents) and count what happened.

    A file whose bytes are unchanged is not read again, unless a file
    earlier in path order has taken one of its ids this run: then it is, so
    the clash is reported on the run that causes it.
    """
    if job.failure is not None:
        tally.failures.append(job.failure)
        _keep_old_documents(job, produced)
        return
    if not job.extract:
        if not any(doc_id in produced for doc_id in job.old_ids):
            tally.unchanged += len(job.old_ids)
            _keep_old_documents(job, produced)
            return
        items = _extract_file(job.path, None)
    articles, broken, any_failed = _claim_articles(job, items, produced, tally)
    if broken:  # which records the broken parts held is unknown: a bad edit never loses data
        _keep_old_documents(job, produced)
    # Stored without the file's hash, a file with failures is read again on the
    # next run, so its failures (a duplicate id, say) are reported until fixed.
    file_hash = "" if any_failed else job.file_hash
    for article in articles:
        previous = existing.get(article.id)
        indexer.add(article, file_hash=file_hash)
        if previous is None:
            tally.added += 1
        elif previous[2] == article.content_hash and not indexer.rebuild:
            tally.unchanged += 1
        else:
            tally.updated += 1


def _keep_old_documents(job: _FileJob, produced: dict[str, str]) -> None:
    """Claim the documents the file had indexed, except ids another file took this run."""
    for doc_id in job.old_ids:
        produced.setdefault(doc_id, job.key)


def _claim_articles(
    job: _FileJob, items: list[Any], produced: dict[str, str], tally: _Tally
) -> tuple[list[Article], bool, bool]:
    """The file's articles that are its to write; whether part of it could not be read;
    and whether anything in it failed.

    An id already claimed this run stays where it is: files are taken in path
    order, so the first path in sorted order keeps an id (and within a file,
    the first record). Every other copy, and any article the index cannot
    store, becomes a failure naming this file.
    """
    articles: list[Article] = []
    broken = False
    failed_before = len(tally.failures)
    for item in items:
        if isinstance(item, IngestFailure):
            broken = True
            tally.failures.append(IngestFailure(job.key, path_text(item.reason), line=item.line))
            continue
        reason = unstorable_text(item)
        if reason is None and item.id in produced:
            holder = produced[item.id]
            where = "an earlier record of this file" if holder == job.key else holder
            reason = (
                f"duplicate id {item.id!r} (also in {where}, which keeps it: "
                f"the first path in sorted order does)"
            )
        if reason is not None:
            tally.failures.append(IngestFailure(job.key, reason))
            continue
        articles.append(replace(item, path=job.key))
        produced[item.id] = job.key
    return articles, broken, len(tally.failures) > failed_before
