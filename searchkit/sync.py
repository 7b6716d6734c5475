"""Folder sync and streams: make the index hold exactly what a corpus holds, in one commit.

``build_index`` brings the index in line with the files under some folders
(incrementally: unchanged files are not even parsed); ``index_stream`` adds
the JSON Lines records of a stream. Both write through one ``Indexer``
transaction and report what happened in an ``IndexReport``.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from searchkit import indexer as indexer_module
from searchkit.engine.writer import follow_parent
from searchkit.errors import IngestError
from searchkit.indexer import Indexer, unstorable_text
from searchkit.known_failures import KnownFailure, read_known_failures, write_known_failures
from searchkit.models import Article, IndexReport, IngestFailure, SkippedPath
from searchkit.safe_text import path_text

POOL_MIN_PAGES = 32
"""HTML pages a folder build needs before their extraction moves to a process pool."""

_HTML_SUFFIXES = (".html", ".htm", ".warc", ".arc")
"""Files whose extraction is dominated by HTML parsing (gzipped ones too)."""

ProgressCallback = Callable[[int, int], None]


@dataclass
class _Tally:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    failures: list[IngestFailure] = field(default_factory=list)
    """Every failure met this run, new or not (``_split_failures`` tells them apart)."""
    still_failing: list[IngestFailure] = field(default_factory=list)
    """Remembered failures of files not read again (same bytes)."""
    known: dict[str, KnownFailure] = field(default_factory=dict)
    """What failed in earlier runs (empty on a rebuild)."""
    remembered: dict[str, KnownFailure] = field(default_factory=dict)
    """What failed in this run, by file, to remember for the next one."""

    url_map: Any = None
    """The run's ``UrlMap`` (``searchkit.ingest.url_map``), or None."""

    def remember(self, key: str, file_hash: str, since: int, contested: Sequence[str] = ()) -> None:
        """Record the failures appended since position ``since`` as ``key``'s, if any."""
        failures = tuple(f for f in self.failures[since:] if f.path == key)
        if failures:
            self.remembered[key] = KnownFailure(file_hash, failures, tuple(contested))


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
    exclude: Sequence[str] = (),
    default_excludes: bool = True,
    url_map: str | os.PathLike[str] | None = None,
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
    out is in ``report.passed_over``. Files and folders matching one of
    ``exclude`` or (with ``default_excludes``) README*, LICENSE*,
    PROVENANCE* or ".*" are not read (``report.excluded``; see ``scan``).

    Failures are remembered in the index folder with the hash of the file's
    bytes: an unchanged file that failed is not parsed again and is reported
    in ``report.still_failing``, while ``report.failures`` holds only what
    failed for the first time (``rebuild`` forgets them all). When several
    files hold one id, the file whose path sorts first keeps it; each other
    copy is a failure of its file, still failing until the conflict is gone.

    ``url_map`` names a URL map (``searchkit.ingest.url_map``): the URL of
    files and articles that state none. Its unusable rows, and rows naming
    nothing this run indexed, are listed in ``report.notes``; they are not
    failures.
    """
    from searchkit.ingest import scan
    from searchkit.ingest.url_map import load_url_map

    started = time.monotonic()
    named = list(paths)
    corpus = scan(
        named,
        follow_links=follow_links,
        exclude=[index_dir],
        exclude_globs=exclude,
        default_excludes=default_excludes,
    )
    roots = [path_text(os.path.abspath(path)) for path in named]
    tally = _Tally(failures=[_safe_failure(failure) for failure in corpus.failures])
    tally.known = {} if rebuild else read_known_failures(index_dir)
    for failure in tally.failures:
        tally.remember(failure.path, "", 0)
    tally.url_map = load_url_map(url_map) if url_map is not None else None
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
    _save_failures(index_dir, tally, roots, unreadable_dirs)
    new, still = _split_failures(tally)
    return IndexReport(
        added=tally.added,
        updated=tally.updated,
        removed=tally.removed,
        unchanged=tally.unchanged,
        skipped=len(corpus.skipped),
        failed=len(new),
        seconds=time.monotonic() - started,
        failures=new,
        skipped_files=_safe_paths(corpus.skipped),
        passed_over=_safe_paths(corpus.passed_over),
        excluded=_safe_paths(corpus.excluded),
        still_failing=still,
        notes=_url_map_notes(tally.url_map),
    )


def _safe_paths(items: Iterable[SkippedPath]) -> tuple[SkippedPath, ...]:
    return tuple(SkippedPath(path_text(item.path), path_text(item.reason)) for item in items)


def _split_failures(tally: _Tally) -> tuple[tuple[IngestFailure, ...], tuple[IngestFailure, ...]]:
    """This run's failures as (met for the first time, met before on the same bytes).

    Remembered failures of files not read again are the second kind too.
    """
    new: list[IngestFailure] = []
    still = list(tally.still_failing)
    for failure in tally.failures:
        before = tally.known.get(failure.path)
        now = tally.remembered.get(failure.path)
        file_hash = now.file_hash if now is not None else ""
        if before is not None and before.recorded(failure, file_hash):
            still.append(failure)
        else:
            new.append(failure)
    return tuple(new), tuple(still)


def _save_failures(
    index_dir: str | os.PathLike[str],
    tally: _Tally,
    roots: Sequence[str],
    unreadable_dirs: Sequence[str],
) -> None:
    """Remember this run's failing files (after the commit), and those it did not look at.

    Files under ``roots`` that no longer fail (fixed, or deleted) are forgotten;
    records for files indexed from other folders, or inside a folder that could
    not be read this time, are kept as they were.
    """
    kept = {
        path: entry
        for path, entry in tally.known.items()
        if not _is_under(path, roots) or _is_under(path, unreadable_dirs)
    }
    remembered = {**kept, **tally.remembered}
    if remembered != tally.known:
        write_known_failures(index_dir, remembered)


def _url_map_notes(mapping: Any) -> tuple[str, ...]:
    """What to tell the user about their URL map: unusable rows, rows that matched nothing."""
    if mapping is None:
        return ()
    unused = mapping.unused_rows()
    notes = [f"url map {mapping.source}, {problem}" for problem in mapping.problems]
    notes += [
        f"url map {mapping.source}, {row}: no file or article of this run has that name or id"
        for row in unused
    ]
    return tuple(path_text(note) for note in notes)


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
    mapping = tally.url_map
    jobs = (
        _prepare_file(
            indexer,
            path,
            existing,
            by_path,
            tally.known,
            mapping.url_for_file(path) if mapping else None,
        )
        for path in files
    )
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
    fallback_url: str | None = None
    """The URL the user's URL map gives this file, if any."""
    extract: bool = True
    failure: IngestFailure | None = None
    remembered: KnownFailure | None = None
    """The failures these same bytes gave in an earlier run (then not extracted)."""


def _prepare_file(
    indexer: Indexer,
    path: Path,
    existing: dict[str, tuple[str, str, str]],
    by_path: dict[str, list[str]],
    known: dict[str, KnownFailure],
    fallback_url: str | None = None,
) -> _FileJob:
    """Read and hash a file, and decide whether it needs extracting (same bytes: no).

    A file that failed before on the same bytes is not extracted either:
    ``_apply_file`` reports its remembered failures instead.
    """
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
    remembered = known.get(key)
    if not unchanged and remembered is not None and file_hash == remembered.file_hash != "":
        return _FileJob(
            path, key, data, file_hash, old_ids, fallback_url, extract=False, remembered=remembered
        )
    return _FileJob(path, key, data, file_hash, old_ids, fallback_url, extract=not unchanged)


def _extract_file(
    path: Path, data: bytes | None, fallback_url: str | None = None
) -> list[Article | IngestFailure]:
    """Every Article and IngestFailure of one file (in a pool worker for big builds)."""
    from searchkit.ingest import read_articles

    return list(read_articles(path, data, fallback_url=fallback_url))


def _extraction_pool(files: Sequence[Path]) -> Any:
    """A process pool for extracting many HTML pages, or None to extract in-process.

    Parsing HTML costs far more than indexing the text it yields, so a big
    page build is bounded by extraction; plain-text and JSON corpora are not,
    and keep their cores for the indexing workers instead.
    """
    # Looked up on the indexer module, so one setting of it decides both kinds of workers.
    workers = indexer_module.worker_count()
    pages = sum(1 for path in files if _html_kind(path))
    if workers < 2 or pages < POOL_MIN_PAGES or pages * 2 < len(files):
        return None
    try:
        context = multiprocessing.get_context("fork")
    except ValueError:  # no fork on this platform: a spawned worker would re-import everything
        return None
    return context.Pool(workers, initializer=follow_parent, initargs=(os.getpid(),))


def _html_kind(path: Path) -> bool:
    name = path.name.lower().removesuffix(".gz")
    return name.endswith(_HTML_SUFFIXES)


def _extracted(jobs: Iterable[_FileJob], pool: Any) -> Iterator[tuple[_FileJob, list[Any]]]:
    """Pair each job with its extracted items, in file order.

    With a pool, up to a few files per worker are extracted ahead of the one
    being indexed, so the corpus is never held whole.
    """
    if pool is None:
        for job in jobs:
            yield job, _extract_file(job.path, job.data, job.fallback_url) if job.extract else []
        return
    window = 4 * max(1, getattr(pool, "_processes", 2))
    pending: deque[tuple[_FileJob, Any]] = deque()
    for job in jobs:
        result = (
            pool.apply_async(_extract_file, (job.path, job.data, job.fallback_url))
            if job.extract
            else None
        )
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
    the clash is reported on the run that causes it. Nor is a file that
    failed before on the same bytes, unless an id it lost to another file is
    free again (or, as above, another file took one of its ids).
    """
    since = len(tally.failures)
    if job.failure is not None:
        tally.failures.append(job.failure)
        tally.remember(job.key, "", since)
        _keep_old_documents(job, produced)
        return
    if not job.extract:
        taken = any(doc_id in produced for doc_id in job.old_ids)
        if job.remembered is not None and not taken and _still_lost(job.remembered, produced):
            tally.still_failing.extend(job.remembered.failures)
            tally.remembered[job.key] = job.remembered
            tally.unchanged += len(job.old_ids)
            _keep_old_documents(job, produced)
            return
        if job.remembered is None and not taken:
            tally.unchanged += len(job.old_ids)
            _keep_old_documents(job, produced)
            return
        items = _extract_file(job.path, job.data, job.fallback_url)
    articles, broken, contested = _claim_articles(job, items, produced, tally)
    any_failed = len(tally.failures) > since
    tally.remember(job.key, job.file_hash, since, contested)
    if broken:  # which records the broken parts held is unknown: a bad edit never loses data
        _keep_old_documents(job, produced)
    # Stored without the file's hash, a file with failures is never taken for
    # unchanged: whether it is read again is up to the remembered failures.
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


def _still_lost(remembered: KnownFailure, produced: dict[str, str]) -> bool:
    """Whether every id the file lost to another file is still held by another file."""
    return all(doc_id in produced for doc_id in remembered.contested)


def _keep_old_documents(job: _FileJob, produced: dict[str, str]) -> None:
    """Claim the documents the file had indexed, except ids another file took this run."""
    for doc_id in job.old_ids:
        produced.setdefault(doc_id, job.key)


def _claim_articles(
    job: _FileJob, items: list[Any], produced: dict[str, str], tally: _Tally
) -> tuple[list[Article], bool, list[str]]:
    """The file's articles that are its to write; whether part of it could not be read;
    and the ids it holds that another file keeps.

    An id already claimed this run stays where it is: files are taken in path
    order, so the first path in sorted order keeps an id (and within a file,
    the first record). Every other copy, and any article the index cannot
    store, becomes a failure naming this file.
    """
    articles: list[Article] = []
    broken = False
    contested: list[str] = []
    for item in items:
        if isinstance(item, IngestFailure):
            broken = True
            tally.failures.append(IngestFailure(job.key, path_text(item.reason), line=item.line))
            continue
        reason = unstorable_text(item)
        if reason is None and item.id in produced:
            holder = produced[item.id]
            where = "an earlier record of this file" if holder == job.key else holder
            if holder != job.key:
                contested.append(item.id)
            reason = (
                f"duplicate id {item.id!r} (also in {where}, which keeps it: "
                f"the first path in sorted order does)"
            )
        if reason is not None:
            tally.failures.append(IngestFailure(job.key, reason))
            continue
        if tally.url_map is not None and not item.url:
            from searchkit.ingest.urls import with_fallback_url

            item = with_fallback_url(item, tally.url_map.url_for_id(item.id))
        articles.append(replace(item, path=job.key))
        produced[item.id] = job.key
    return articles, broken, contested


def index_stream(
    stream: IO[bytes],
    index_dir: str | os.PathLike[str],
    *,
    synonyms: str | os.PathLike[str] | None = None,
    use_synonyms: bool = True,
    lock_timeout: float = 5.0,
) -> IndexReport:
    """Add the JSON Lines records of ``stream`` (``searchkit index -``) to the index.

    Records are read and added one at a time, so memory stays bounded for
    any stream length (pending documents spill to disk past a budget; see
    ``searchkit.pending``). Ids come from a record's ``id``, else its
    ``url``, else its title and text, so sending the same records again
    replaces them; a later record with an id already sent replaces the
    earlier one. Nothing is removed: a stream is not a corpus whose absence
    means deletion. Everything lands in one commit; bad lines are failures.
    """
    from searchkit.ingest.records import read_jsonl_stream

    started = time.monotonic()
    tally = _Tally()
    seen: set[str] = set()
    with Indexer(
        index_dir, synonyms=synonyms, use_synonyms=use_synonyms, lock_timeout=lock_timeout
    ) as indexer:
        indexer._parallel = True  # a bulk load, as add_many: analysis in worker processes
        existing = indexer.existing_documents()
        for item in read_jsonl_stream(stream):
            if isinstance(item, IngestFailure):
                tally.failures.append(item)
                continue
            reason = unstorable_text(item)
            if reason is not None:
                tally.failures.append(IngestFailure(item.id, reason))
                continue
            indexer.add(item)
            if item.id in seen:
                continue
            seen.add(item.id)
            previous = existing.get(item.id)
            if previous is None:
                tally.added += 1
            elif previous[2] == item.content_hash:
                tally.unchanged += 1
            else:
                tally.updated += 1
    return IndexReport(
        added=tally.added,
        updated=tally.updated,
        unchanged=tally.unchanged,
        failed=len(tally.failures),
        seconds=time.monotonic() - started,
        failures=tuple(tally.failures),
    )
