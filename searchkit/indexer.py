"""Writing the index: a transaction of adds and deletes (the folder sync is in sync.py).

The engine's writer (``searchkit.engine.writer``) is used as a transaction:
nothing is visible until commit, and a crash, Ctrl-C or full disk before then
leaves the last committed index exactly as it was.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Iterable
from dataclasses import replace
from types import TracebackType

from searchkit.engine import writer as engine_writer
from searchkit.engine.schema import GROUP_FIELDS, article_to_document
from searchkit.engine.storage import (
    create_index,
    has_index,
    new_metadata,
    open_index,
    read_groups_state,
    read_metadata,
    write_groups_state,
    write_metadata,
)
from searchkit.engine.writer import IndexWriter
from searchkit.errors import (
    IndexCorruptError,
    IndexIncompatibleError,
    IndexWriteError,
    IngestError,
    SearchkitError,
)
from searchkit.grouping import Grouping
from searchkit.ingest.outlets import OutletTable, resolve_outlet, resolve_outlets
from searchkit.models import Article
from searchkit.pending import PendingDocuments
from searchkit.safe_text import has_surrogate, path_text
from searchkit.synonyms import AliasGroup, fingerprint, resolve_groups
from searchkit.titles import with_title

log = logging.getLogger("searchkit")

WRITER_MEMORY_MB = 256
"""Memory a single-process writer may use before it spills sorted postings to disk."""

WORKER_MEMORY_MB = 64
"""The same for each indexing worker: at 128 MB two workers peaked at 195 MB RSS each on
Reuters (19k stories), at 64 MB at 115 MB, so a 200k-document build stays well under 400 MB."""

MAX_WORKERS = 4
"""Upper bound on indexing worker processes for bulk writes (one per usable core)."""

ASSIGN_GROUPS = True
"""Whether commits assign duplicate groups and stories (searchkit.grouping). Only
benchmarks/collapse.py turns it off, to measure what assigning them costs; an index built
without them has no groups to collapse."""

WORKER_BATCH = 100
"""Documents handed to a worker at a time; a smaller transaction is indexed in-process."""


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


_TEXT_FIELDS = ("id", "title", "body", "url", "source", "author")


def unstorable_text(article: Article) -> str | None:
    """Why the index cannot store ``article``, or None when it can.

    A lone surrogate (half a UTF-16 pair, e.g. from a JSON ``"\\ud800"``)
    is not text and cannot be encoded; caught here, it fails that one
    article instead of the whole commit. Paths are made safe by
    ``article_to_document`` instead, since a file name is not the author's to fix.
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
    terms never go stale. That is decided once the write lock is held, and the
    groups are recorded before it is released, so a writer that waited for
    another compares with what that one committed. ``rebuild=True`` starts
    from an empty index, but the old one stays searchable until the commit
    replaces it.

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
        self._fingerprint = fingerprint(self.groups)
        self._metadata_error: IndexWriteError | None = None
        self.outlets: OutletTable = resolve_outlets(outlets)
        self.rebuild = rebuild
        self.lock_timeout = lock_timeout
        self._writer: IndexWriter | None = None
        self._parallel = False
        self._pending = PendingDocuments()
        self._deleted: set[str] = set()
        self._grouping: Grouping | None = None
        self._grouping_generation = -1
        """The commit generation ``_grouping`` describes, once that commit succeeded."""
        self._grouping_changed = False
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
        # Provisional: decided again once the write lock is held (``_decide_reanalysis``).
        self._reanalyze = metadata.synonyms_fingerprint != self._fingerprint
        try:
            self._ix = open_index(self.index_dir, self.groups)
        except IndexCorruptError:
            if not self.rebuild:
                raise
            self._recreate_unreadable_index()
            self._ix = open_index(self.index_dir, self.groups)

    def _recreate_unreadable_index(self) -> None:
        engine_writer.replace_unreadable_index(self.index_dir, self.groups)

    @property
    def clearing(self) -> bool:
        """True when the commit replaces all old segments (rebuild or re-analysis)."""
        return self.rebuild or self._reanalyze

    def _ensure_writer(self) -> IndexWriter:
        if self._writer is None:
            try:
                self._writer = engine_writer.open_writer(
                    self._ix,
                    self.index_dir,
                    procs=worker_count() if self._parallel else 1,
                    batchsize=WORKER_BATCH,
                    timeout=self.lock_timeout,
                    limitmb=WRITER_MEMORY_MB,
                    worker_limitmb=WORKER_MEMORY_MB,
                )
            except OSError as exc:
                self._discard_failed_write()
                raise IndexWriteError(
                    self.index_dir, f"cannot write to the index at {self.index_dir}: {exc}"
                ) from exc
            self._write_lock_info()
            self._decide_reanalysis()
        return self._writer

    def _decide_reanalysis(self) -> None:
        """Compare this writer's groups with the index's, now that the write lock is held.

        Decided before the lock, a writer that another one overtook would keep
        the documents the other had re-analysed with its groups, add its own
        with different ones and record those: metadata and documents would
        disagree for good. The metadata is written under the lock too (see
        ``_record_metadata``), so what is read here describes the last commit.
        """
        try:
            metadata = read_metadata(self.index_dir)
        except SearchkitError:
            self.cancel()
            raise
        self._created = metadata.created
        self._reanalyze = metadata.synonyms_fingerprint != self._fingerprint
        if self._reanalyze and not self.rebuild:
            log.info("alias groups changed since the last build; re-analysing every document")

    def _write_lock_info(self) -> None:
        engine_writer.record_lock_holder(self.index_dir)

    # -- reading the current state ------------------------------------------

    def existing_documents(self) -> dict[str, tuple[str, str, str]]:
        """Map every live document id to (path, file hash, content hash).

        Read from column storage, so it costs no stored-field loading.
        """
        return self._ensure_writer().existing_documents()

    def grouping_mismatches(self) -> list[str]:
        """Where the committed documents' duplicate groups and stories disagree with the
        grouping state the next commit would resume from, or with one recovered from the
        documents alone (empty: none). Holds the write lock while it reads.

        How the crash tests check that a kill never leaves the two apart.
        """
        writer = self._ensure_writer()
        problems = self._grouping_for(writer).mismatches(writer.committed_groups())
        recovered = Grouping.recover(writer.committed_groups())
        problems += [
            f"recovered: {problem}" for problem in recovered.mismatches(writer.committed_groups())
        ]
        return problems

    # -- writing -------------------------------------------------------------

    def add(self, article: Article, *, file_hash: str = "") -> None:
        """Add an article at the next commit, replacing any document with the same id.

        Adding an id again in the same transaction replaces the earlier
        version in its place; nothing reaches the index before the commit.
        An article without a title is stored under one derived from its
        first sentence (``title_derived``), as the ingester does.
        """
        article = with_title(article)
        reason = unstorable_text(article)
        if reason is not None:
            raise IngestError(path_text(article.path or article.id), reason)
        outlet = resolve_outlet(article.source, article.url, self.outlets)
        if outlet != article.source:
            article = replace(article, source=outlet)
        self._ensure_writer()  # takes the lock now, so a second writer is refused early
        self._pending.put(article_to_document(article, file_hash))

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
        committed = writer.has_document(doc_id) and doc_id not in self._deleted
        if committed and not self.clearing:
            writer.delete(doc_id)
        if committed:
            self._deleted.add(doc_id)
        return committed or added

    def commit(self) -> None:
        """Make every change since the last commit visible to searchers, atomically."""
        if self._writer is None and not self.clearing:
            return
        writer = self._ensure_writer()
        self._metadata_error = None
        committing = False
        try:
            self._hand_over_pending(writer)
            if self.clearing and not self.rebuild:
                self._carry_over_untouched(writer)
            committing = True
            writer.commit(clear=self.clearing, after_toc=self._record_metadata)
        except OSError as exc:
            if not committing:
                self.cancel()  # the writer is still open: stop its workers, release its lock
            else:
                self._writer = None
                self._pending.clear()
                self._deleted.clear()
                self._discard_failed_write()
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
        if self._metadata_error is not None:
            raise self._metadata_error
        self._clear_lock_info()

    def _hand_over_pending(self, writer: IndexWriter) -> None:
        """Give the writer every pending document, in the order first added, each with
        its duplicate group and story (``searchkit.grouping``; deletions are taken out first)."""
        nothing_new = not self.rebuild and not self._deleted and not len(self._pending)
        # Nothing new (e.g. a sync run that found no change): the saved state stays valid.
        self._grouping_changed = ASSIGN_GROUPS and not nothing_new
        grouping = self._grouping_for(writer) if self._grouping_changed else None
        if grouping is not None:
            for doc_id in self._deleted:
                grouping.remove(doc_id)
        for doc in self._pending:
            if grouping is not None:
                group, story = grouping.assign(
                    doc["id"], doc.get("title", ""), doc.get("body", ""), doc.get("published")
                )
                doc = {key: value for key, value in doc.items() if key not in GROUP_FIELDS}
                if group is not None:
                    doc["duplicate_group"] = group
                if story is not None:
                    doc["story_id"] = story
            if self.clearing:
                writer.add(doc)
            else:
                writer.replace(doc)

    def _grouping_for(self, writer: IndexWriter) -> Grouping:
        """The groupers as the last commit left them (read under the write lock).

        A rebuild starts empty. Otherwise the saved state is used when it was
        saved for the committed generation, else recovered from the committed
        documents (see ``searchkit.grouping``).
        """
        committed = writer.committed_generation
        if self.rebuild:
            self._grouping = Grouping.fresh()
        elif self._grouping is None or self._grouping_generation != committed:
            self._grouping = None
            state = read_groups_state(self.index_dir, committed)
            if state is not None:
                try:
                    self._grouping = Grouping.from_state(state)
                except (KeyError, TypeError, ValueError) as exc:
                    log.warning("the saved grouping state is unreadable (%s); recovering it", exc)
            if self._grouping is None:
                log.info("recovering duplicate groups and stories from the committed documents")
                self._grouping = Grouping.recover(writer.committed_groups())
        self._grouping_generation = writer.generation
        return self._grouping

    def _record_metadata(self) -> None:
        """Record this commit's groups in searchkit.json, before the write lock is released.

        Written after the lock is released, a writer starting in between would
        read the groups the committed documents no longer have. A failure is
        raised by ``commit`` once Whoosh has released the lock (the documents
        are committed by then).
        """
        try:
            write_metadata(self.index_dir, new_metadata(self.groups, created=self._created))
        except IndexWriteError as exc:
            self._metadata_error = exc
        grouping, writer = self._grouping, self._writer
        if writer is not None and ASSIGN_GROUPS:
            changed = self._grouping_changed and grouping is not None
            try:
                state = grouping.to_state() if changed and grouping is not None else None
                write_groups_state(self.index_dir, writer.generation, state)
            except OSError as exc:
                # Not an error: the next writer recovers the state from the documents.
                log.warning("could not save the grouping state: %s", exc)

    def _carry_over_untouched(self, writer: IndexWriter) -> None:
        """Re-add documents this transaction did not touch (re-analysing them)."""
        writer.carry_over(lambda doc_id: doc_id in self._pending or doc_id in self._deleted)

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
            log.debug("could not discard pending changes cleanly: %s", exc)
        finally:
            self._pending.clear()
            self._deleted.clear()
            self._discard_failed_write()

    def _discard_failed_write(self) -> None:
        """Close and delete what a failed or cancelled write left, and its lock record
        (see ``engine.writer.discard_failed_write``)."""
        self._grouping = None  # it may hold the assignments of the failed commit
        engine_writer.discard_failed_write(self._ix)
        self._clear_lock_info()

    def _clear_lock_info(self) -> None:
        engine_writer.forget_lock_holder(self.index_dir)

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
