"""Where shard phases run: in this process, or as tasks on a Dask cluster.

Both run one method of ``ShardSearcher`` on many shards and answer, per
shard, its result or the exception that stopped it; the coordinator turns
failures into warnings (or an error with ``require_all``). Only
``DaskShards`` imports Dask, when it is created.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from searchkit.errors import SearchkitError
from searchkit.models import RankingSettings

log = logging.getLogger("searchkit")

DEFAULT_TIMEOUT = 60.0
"""Seconds a phase waits for its shards before reporting the missing ones."""


class ShardTimeoutError(SearchkitError):
    """A shard did not answer a phase within the timeout."""


class ShardCalls(Protocol):
    """Runs one ShardSearcher method on several shards."""

    def call(
        self, method: str, args: Mapping[int, tuple[Any, ...]]
    ) -> dict[int, Any | BaseException]:
        """Run ``method(*args[shard])`` on each shard named in ``args``."""
        ...

    def close(self) -> None:
        """Release what the calls hold (open shards, the cluster connection)."""
        ...


def _open_shard(folder: str, synonyms: str | None, settings: RankingSettings | None) -> Any:
    from searchkit.distributed.shard import ShardSearcher

    return ShardSearcher(folder, synonyms=synonyms, settings=settings)


class InProcessShards:
    """Every shard opened in this process and searched one after another."""

    def __init__(
        self,
        shard_dirs: list[Path],
        synonyms: str | None = None,
        settings: RankingSettings | None = None,
    ) -> None:
        self._dirs = [str(folder) for folder in shard_dirs]
        self._synonyms = synonyms
        self._settings = settings
        self._open: dict[int, Any] = {}
        self._lock = threading.Lock()

    def _shard(self, number: int) -> Any:
        with self._lock:
            shard = self._open.get(number)
            if shard is None:
                shard = self._open[number] = _open_shard(
                    self._dirs[number], self._synonyms, self._settings
                )
            return shard

    def call(
        self, method: str, args: Mapping[int, tuple[Any, ...]]
    ) -> dict[int, Any | BaseException]:
        """Run the method shard by shard; a shard that cannot be opened or read fails alone."""
        answers: dict[int, Any | BaseException] = {}
        for number, shard_args in args.items():
            try:
                answers[number] = getattr(self._shard(number), method)(*shard_args)
            except (SearchkitError, OSError) as exc:
                self._forget(number)
                answers[number] = exc
        return answers

    def _forget(self, number: int) -> None:
        """Close a shard that failed, so the next search opens it afresh."""
        with self._lock:
            shard = self._open.pop(number, None)
        if shard is not None:
            try:
                shard.close()
            except (SearchkitError, OSError):
                log.debug("closing failed shard %s", self._dirs[number], exc_info=True)

    def close(self) -> None:
        """Close every open shard."""
        for number in list(self._open):
            self._forget(number)


_WORKER_SHARDS: dict[tuple[str, str | None, str], Any] = {}
_WORKER_LOCK = threading.Lock()


def run_on_worker(
    folder: str,
    synonyms: str | None,
    settings: RankingSettings | None,
    method: str,
    args: tuple[Any, ...],
) -> Any:
    """A Dask task: ``method(*args)`` on the shard at ``folder``, opened once per worker.

    Shard folders never change once their generation is committed, so an
    open shard is kept for the worker's life; one that fails is dropped.
    """
    key = (folder, synonyms, repr(settings))  # settings hold dicts: not hashable
    with _WORKER_LOCK:
        shard = _WORKER_SHARDS.get(key)
        if shard is None:
            shard = _WORKER_SHARDS[key] = _open_shard(folder, synonyms, settings)
    try:
        return getattr(shard, method)(*args)
    except BaseException:
        with _WORKER_LOCK:
            _WORKER_SHARDS.pop(key, None)
        raise


class DaskShards:
    """Shard phases as tasks on a Dask cluster (``scheduler`` address or a Client).

    A task that fails, whose worker dies (after Dask's own retry) or that
    does not finish within ``timeout`` seconds is that shard's failure.
    """

    def __init__(
        self,
        shard_dirs: list[Path],
        scheduler: Any,
        synonyms: str | None = None,
        settings: RankingSettings | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        import distributed

        client_type: Any = distributed.Client
        self._dirs = [str(folder.resolve()) for folder in shard_dirs]
        self._synonyms = synonyms
        self._settings = settings
        self._timeout = timeout
        self._client: Any
        if isinstance(scheduler, client_type):
            self._client = scheduler
            self._own = False
        else:
            self._client = client_type(scheduler, timeout=timeout)
            self._own = True

    def call(
        self, method: str, args: Mapping[int, tuple[Any, ...]]
    ) -> dict[int, Any | BaseException]:
        """Submit one task per shard and wait for all of them, up to the timeout."""
        import distributed

        wait: Any = distributed.wait
        futures = {
            number: self._client.submit(
                run_on_worker,
                self._dirs[number],
                self._synonyms,
                self._settings,
                method,
                shard_args,
                pure=False,
                retries=1,
                key=f"searchkit-{method}-{number}-{uuid.uuid4().hex}",
            )
            for number, shard_args in args.items()
        }
        with contextlib.suppress(TimeoutError):
            wait(list(futures.values()), timeout=self._timeout)
        answers: dict[int, Any | BaseException] = {}
        for number, future in futures.items():
            if future.status == "finished":
                answers[number] = future.result()
            elif future.status == "error":
                error = future.exception()
                answers[number] = (
                    error if isinstance(error, BaseException) else SearchkitError(str(error))
                )
            else:
                future.cancel()
                answers[number] = ShardTimeoutError(
                    f"no answer to {method} within {self._timeout:g} s"
                )
        return answers

    def close(self) -> None:
        """Close the cluster connection if this object opened it."""
        if self._own:
            self._client.close()
