"""Building a sharded index on a Dask cluster, all or nothing across its shards.

A build writes generation G+1 beside the committed generation G: each shard
folder starts as a hard-linked copy of its generation-G folder (segment
files never change once written, so the copy costs no data), one Dask task
per shard writes it with an ordinary ``Indexer`` (one writer per shard, as
always), and only when every shard has committed is the manifest replaced
to name G+1. A failure, a killed worker that Dask cannot retry, or a kill of
the whole build leaves the manifest on G, whose folders were never written;
the next build removes the unfinished folders.

From files (``build_sharded_index``) the pages are parsed by Dask tasks in
chunks and every article goes to the shard of its id (``routing``); the
shards then hold exactly the files' documents: the ones no file holds any
more are removed, except those of files that failed to read. From articles
(``update_sharded_index``) the given ones are added or replaced and the
given ids deleted.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from searchkit.distributed.manifest import (
    Manifest,
    generation_name,
    is_sharded,
    read_manifest,
    shard_name,
    write_manifest,
)
from searchkit.distributed.routing import shard_of
from searchkit.errors import IndexDirectoryError, SearchkitError, ShardUnavailableError
from searchkit.models import Article, IngestFailure

log = logging.getLogger("searchkit")

DEFAULT_BUILD_TIMEOUT = 6 * 3600.0
"""Seconds a build waits for its tasks before giving up (and committing nothing)."""

CHUNKS_PER_WORKER = 4
"""Files are parsed in this many chunks per worker, so a slow chunk does not idle the rest."""


@dataclass(frozen=True)
class ShardWrite:
    """What one shard's task did."""

    shard: int
    added: int = 0
    updated: int = 0
    removed: int = 0
    documents: int = 0


@dataclass(frozen=True)
class ShardedBuildReport:
    """What a sharded build did: per shard, the generation committed, failures, time."""

    generation: int
    shards: tuple[ShardWrite, ...]
    failures: tuple[IngestFailure, ...] = ()
    seconds: float = 0.0
    workers: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def added(self) -> int:
        """Documents added over all shards."""
        return sum(shard.added for shard in self.shards)

    @property
    def updated(self) -> int:
        """Documents replaced over all shards."""
        return sum(shard.updated for shard in self.shards)

    @property
    def removed(self) -> int:
        """Documents removed over all shards."""
        return sum(shard.removed for shard in self.shards)

    @property
    def documents(self) -> int:
        """Live documents in the committed generation."""
        return sum(shard.documents for shard in self.shards)


# -- the cluster -------------------------------------------------------------


@contextlib.contextmanager
def dask_client(scheduler: Any = None, workers: int | None = None) -> Iterator[Any]:
    """A Dask client on ``scheduler`` (an address or a Client), or on a new LocalCluster
    of ``workers`` processes (one per core by default) that is shut down afterwards."""
    try:
        import distributed
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise SearchkitError(
            "sharded builds need Dask: pip install 'searchkit[distributed]'"
        ) from exc
    client_type: Any = distributed.Client
    if isinstance(scheduler, client_type):
        yield scheduler
        return
    if scheduler is not None:
        client = client_type(scheduler)
        try:
            yield client
        finally:
            client.close()
        return
    count = workers or os.cpu_count() or 1
    cluster_type: Any = distributed.LocalCluster
    cluster = cluster_type(
        n_workers=count,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # any free port: the default one may be another cluster's
        silence_logs=logging.ERROR,
    )
    client = client_type(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def _worker_count(client: Any) -> int:
    return max(1, len(client.scheduler_info().get("workers", {})))


# -- tasks (run on workers) --------------------------------------------------


def _parse_chunk(paths: list[str], shard_count: int) -> tuple[list[list[Article]], list[Any]]:
    """A Dask task: every article of some files, by shard, and the files' failures."""
    from searchkit.ingest import read_articles

    by_shard: list[list[Article]] = [[] for _ in range(shard_count)]
    failures: list[IngestFailure] = []
    for path in paths:
        try:
            items = list(read_articles(path))
        except (SearchkitError, OSError) as exc:
            failures.append(IngestFailure(path, str(exc)))
            continue
        for item in items:
            if isinstance(item, Article):
                if not item.path:
                    item = _with_path(item, path)
                by_shard[shard_of(item.id, shard_count)].append(item.with_content_hash())
            else:
                failures.append(item)
    return by_shard, failures


def _with_path(article: Article, path: str) -> Article:
    from dataclasses import replace

    return replace(article, path=path)


def _part(chunk: tuple[list[list[Article]], list[Any]], shard: int) -> list[Article]:
    """A Dask task: one shard's articles of a parsed chunk."""
    return chunk[0][shard]


def _chunk_failures(chunk: tuple[list[list[Article]], list[Any]]) -> list[IngestFailure]:
    """A Dask task: a parsed chunk's failures."""
    return list(chunk[1])


def write_shard(
    folder: str,
    shard: int,
    parts: Sequence[Sequence[Article]],
    deletions: Sequence[str],
    sync: bool,
    keep_paths: Sequence[str],
    synonyms: str | None,
    use_synonyms: bool,
) -> ShardWrite:
    """A Dask task: write one shard's documents with an ordinary Indexer, then commit.

    ``sync`` removes every document not among ``parts`` whose file is not
    in ``keep_paths`` (files that failed keep their documents). An id given
    twice keeps its first article, as a folder build keeps the first file's.
    Safe to retry: the shard folder holds its last commit until this one.
    """
    from searchkit.indexer import Indexer

    with Indexer(folder, synonyms=synonyms, use_synonyms=use_synonyms) as indexer:
        existing = indexer.existing_documents()
        seen: set[str] = set()
        added = updated = removed = 0
        for part in parts:
            for article in part:
                if article.id in seen:
                    continue
                seen.add(article.id)
                previous = existing.get(article.id)
                if previous is not None and previous[2] == article.content_hash != "":
                    continue
                indexer.add(article)
                if previous is None:
                    added += 1
                else:
                    updated += 1
        kept = set(keep_paths)
        doomed = set(deletions)
        if sync:
            doomed |= {
                i for i, (path, _h, _c) in existing.items() if i not in seen and path not in kept
            }
        for doc_id in sorted(doomed):
            if doc_id in existing and indexer.delete(doc_id):
                removed += 1
        documents = len(existing) + added - removed
    return ShardWrite(shard, added, updated, removed, documents)


# -- generations -------------------------------------------------------------


def _link_copy(source: Path, target: Path) -> None:
    """Copy a shard folder by hard links (a plain copy where links are not possible)."""

    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, target, copy_function=link)


def _remove_other_generations(root: Path, keep: int) -> None:
    """Remove generation folders other than ``keep`` (finished or abandoned builds)."""
    for entry in root.glob("gen-*"):
        if entry.is_dir() and entry.name != generation_name(keep):
            shutil.rmtree(entry, ignore_errors=True)


def _leftover(entry: Path) -> bool:
    """Whether a folder entry is what an unfinished build leaves (a generation, a temp file)."""
    return (entry.is_dir() and entry.name.startswith("gen-")) or entry.name.startswith(".shards-")


def _start_generation(
    root: Path, shards: int | None, rebuild: bool
) -> tuple[Manifest, Manifest | None]:
    """The manifest of the generation to write, and the committed one (None for a new index)."""
    if root.exists() and not root.is_dir():
        raise IndexDirectoryError(str(root), "it is not a folder")
    old = read_manifest(root) if is_sharded(root) else None
    if old is None and root.is_dir():
        # Generation folders without a manifest are what a first build that failed left.
        others = [entry for entry in root.iterdir() if not _leftover(entry)]
        if others:
            raise IndexDirectoryError(str(root), "it is not empty and holds no sharded index")
        _remove_other_generations(root, 0)
    count = shards if shards is not None else (old.shard_count if old else None)
    if count is None or count < 1:
        raise SearchkitError("say how many shards the new index has (--shards N)")
    if old is not None and count != old.shard_count and not rebuild:
        raise SearchkitError(
            f"the index has {old.shard_count} shards; building {count} needs --rebuild"
        )
    root.mkdir(parents=True, exist_ok=True)
    generation = (old.generation if old else 0) + 1
    if old is not None:
        _remove_other_generations(root, old.generation)
    new = Manifest(shard_count=count, generation=generation)
    folder = new.generation_dir(root)
    folder.mkdir()
    if old is not None and not rebuild:
        for source, number in zip(old.shard_dirs(root), range(count), strict=True):
            if source.is_dir():
                _link_copy(source, folder / shard_name(number))
    return new, old


def _commit(root: Path, new: Manifest, old: Manifest | None) -> None:
    """Name the new generation in the manifest, then drop the old one's folders."""
    write_manifest(root, new)
    if old is not None:
        shutil.rmtree(old.generation_dir(root), ignore_errors=True)


def _wait_shards(
    client: Any, futures: list[Any], timeout: float, folders: list[Path]
) -> list[ShardWrite]:
    """Every shard task's result, or ShardUnavailableError naming the shards that failed."""
    import distributed

    wait: Any = distributed.wait
    with contextlib.suppress(TimeoutError):
        wait(futures, timeout=timeout)
    results: list[ShardWrite] = []
    failed: list[str] = []
    reasons: list[str] = []
    for number, future in enumerate(futures):
        if future.status == "finished":
            results.append(future.result())
            continue
        failed.append(str(folders[number]))
        if future.status == "error":
            reasons.append(
                f"shard {number}: {type(future.exception()).__name__}: {future.exception()}"
            )
        else:
            future.cancel()
            reasons.append(f"shard {number}: not done within {timeout:g} s")
    if failed:
        raise ShardUnavailableError(failed, "the build committed nothing: " + "; ".join(reasons))
    return results


def _run_generation(
    root: Path,
    shards: int | None,
    rebuild: bool,
    submit_writes: Any,
    timeout: float,
) -> tuple[Manifest, list[ShardWrite]]:
    """Start a generation, run ``submit_writes(manifest, folders)`` -> futures, commit it all."""
    new, old = _start_generation(root, shards, rebuild)
    folders = new.shard_dirs(root)
    try:
        client, futures = submit_writes(new, folders)
        writes = _wait_shards(client, futures, timeout, folders)
    except BaseException:
        shutil.rmtree(new.generation_dir(root), ignore_errors=True)
        raise
    _commit(root, new, old)
    return new, writes


# -- entry points ------------------------------------------------------------


def build_sharded_index(
    paths: Iterable[str | os.PathLike[str]],
    root: str | os.PathLike[str],
    *,
    shards: int | None = None,
    scheduler: Any = None,
    workers: int | None = None,
    synonyms: str | os.PathLike[str] | None = None,
    use_synonyms: bool = True,
    rebuild: bool = False,
    timeout: float = DEFAULT_BUILD_TIMEOUT,
) -> ShardedBuildReport:
    """Bring the sharded index at ``root`` in line with the files under ``paths``.

    ``shards`` is needed for a new index (and with ``rebuild``, to change the
    count). Runs on the Dask cluster at ``scheduler``, or on a LocalCluster
    of ``workers`` processes. All or nothing: raises ShardUnavailableError
    when a shard's task fails, and the committed generation stays as it was.
    """
    from searchkit.ingest import scan

    started = time.monotonic()
    folder = Path(root)
    named = list(paths)
    corpus = scan(named, exclude=[folder])
    files = [str(path) for path in corpus.files]
    synonyms_text = str(synonyms) if synonyms is not None else None
    with dask_client(scheduler, workers) as client:
        count = _worker_count(client)
        lost: list[Any] = []

        def submit(manifest: Manifest, folders: list[Path]) -> tuple[Any, list[Any]]:
            size = max(1, -(-len(files) // (count * CHUNKS_PER_WORKER)))
            chunks = [
                client.submit(_parse_chunk, files[i : i + size], manifest.shard_count, pure=False)
                for i in range(0, len(files), size)
            ]
            lost.extend(client.submit(_chunk_failures, chunk, pure=False) for chunk in chunks)
            keep = client.submit(_failed_paths, lost, pure=False)
            writes = []
            for number, shard_folder in enumerate(folders):
                parts = [client.submit(_part, chunk, number, pure=False) for chunk in chunks]
                writes.append(
                    client.submit(
                        write_shard,
                        str(shard_folder),
                        number,
                        parts,
                        (),
                        True,
                        keep,
                        synonyms_text,
                        use_synonyms,
                        pure=False,
                        retries=2,
                    )
                )
            return client, writes

        manifest, writes = _run_generation(folder, shards, rebuild, submit, timeout)
        parsed_failures = [failure for part in client.gather(lost) for failure in part]
    failures = (*corpus.failures, *parsed_failures)
    return ShardedBuildReport(
        manifest.generation, tuple(writes), failures, time.monotonic() - started, count
    )


def _failed_paths(parts: list[list[IngestFailure]]) -> list[str]:
    """A Dask task: the paths of every chunk's failures (their documents are kept)."""
    return [failure.path for part in parts for failure in part]


def update_sharded_index(
    root: str | os.PathLike[str],
    articles: Iterable[Article] = (),
    *,
    delete: Iterable[str] = (),
    shards: int | None = None,
    scheduler: Any = None,
    workers: int | None = None,
    synonyms: str | os.PathLike[str] | None = None,
    use_synonyms: bool = True,
    rebuild: bool = False,
    timeout: float = DEFAULT_BUILD_TIMEOUT,
) -> ShardedBuildReport:
    """Add (or replace) ``articles`` and delete the ids in ``delete``, each on its shard.

    The articles are routed here and sent to one task per shard; like
    ``build_sharded_index``, the new generation is committed whole or not at all.
    """
    started = time.monotonic()
    folder = Path(root)
    items = [article.with_content_hash() for article in articles]
    doomed = list(delete)
    synonyms_text = str(synonyms) if synonyms is not None else None
    with dask_client(scheduler, workers) as client:
        count = _worker_count(client)

        def submit(manifest: Manifest, folders: list[Path]) -> tuple[Any, list[Any]]:
            by_shard: list[list[Article]] = [[] for _ in range(manifest.shard_count)]
            gone: list[list[str]] = [[] for _ in range(manifest.shard_count)]
            for article in items:
                by_shard[shard_of(article.id, manifest.shard_count)].append(article)
            for doc_id in doomed:
                gone[shard_of(doc_id, manifest.shard_count)].append(doc_id)
            writes = [
                client.submit(
                    write_shard,
                    str(shard_folder),
                    number,
                    [by_shard[number]],
                    gone[number],
                    False,
                    (),
                    synonyms_text,
                    use_synonyms,
                    pure=False,
                    retries=2,
                )
                for number, shard_folder in enumerate(folders)
            ]
            return client, writes

        manifest, writes = _run_generation(folder, shards, rebuild, submit, timeout)
    return ShardedBuildReport(
        manifest.generation, tuple(writes), (), time.monotonic() - started, count
    )
