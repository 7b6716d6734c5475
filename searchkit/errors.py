"""One exception tree for everything searchkit can refuse to do.

Callers catch ``SearchkitError``; the CLI turns it into a one-line message and
exit status 1. Each message says what went wrong and what to do next.
"""

from __future__ import annotations


class SearchkitError(Exception):
    """Base class of every error searchkit raises on purpose."""


class IngestError(SearchkitError):
    """A file or record could not be turned into an Article."""

    def __init__(self, path: str, reason: str, line: int | None = None) -> None:
        self.path = path
        self.reason = reason
        self.line = line
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {reason}")


class SynonymError(SearchkitError):
    """A synonyms file is unreadable or has a malformed line."""

    def __init__(self, path: str, reason: str, line: int | None = None) -> None:
        self.path = path
        self.reason = reason
        self.line = line
        where = f"{path}, line {line}" if line is not None else path
        super().__init__(f"{where}: {reason}")


class OutletsError(SearchkitError):
    """An outlets file is unreadable or has a malformed line."""

    def __init__(self, path: str, reason: str, line: int | None = None) -> None:
        self.path = path
        self.reason = reason
        self.line = line
        where = f"{path}, line {line}" if line is not None else path
        super().__init__(f"{where}: {reason}")


class IndexDirectoryError(SearchkitError):
    """Base for problems with an index directory (named so it does not shadow IndexError)."""

    def __init__(self, index_dir: str, message: str) -> None:
        self.index_dir = index_dir
        super().__init__(message)


class IndexNotFoundError(IndexDirectoryError):
    """There is no index where one was expected."""

    def __init__(self, index_dir: str) -> None:
        super().__init__(index_dir, f"no index at {index_dir} — run `searchkit index CORPUS` first")


class IndexIncompatibleError(IndexDirectoryError):
    """The index was written by an incompatible searchkit (schema version or analyzer)."""

    def __init__(self, index_dir: str, detail: str) -> None:
        super().__init__(
            index_dir,
            f"the index at {index_dir} {detail}; "
            f"run `searchkit index --rebuild CORPUS` to rebuild it",
        )


class IndexCorruptError(IndexDirectoryError):
    """The index exists but its files cannot be read."""

    def __init__(self, index_dir: str, detail: str) -> None:
        super().__init__(
            index_dir,
            f"the index at {index_dir} is damaged ({detail}); "
            f"run `searchkit index --rebuild CORPUS` to rebuild it",
        )


class IndexLockedError(IndexDirectoryError):
    """Another writer holds the index lock and did not release it in time."""

    def __init__(self, index_dir: str, pid: int | None = None) -> None:
        self.pid = pid
        who = f" (pid {pid})" if pid is not None else ""
        super().__init__(
            index_dir,
            f"another indexer is writing to {index_dir}{who}; "
            f"wait for it to finish, or raise --lock-timeout",
        )


class IndexWriteError(IndexDirectoryError):
    """The index could not be written (disk full, permissions); the last commit is intact."""


class DocumentNotFoundError(SearchkitError):
    """No document with the requested id is in the index."""

    def __init__(self, doc_id: str) -> None:
        self.doc_id = doc_id
        super().__init__(
            f"no document with id {doc_id!r} in the index — `searchkit query` lists ids with --json"
        )


class StoryNotFoundError(SearchkitError):
    """No article of the index belongs to the requested story."""

    def __init__(self, story_id: object) -> None:
        self.story_id = story_id
        super().__init__(
            f"no story with id {story_id!r} in the index — "
            f"`searchkit query --json` shows each hit's story_id"
        )


class QueryError(SearchkitError):
    """A query could not be run at all (bad filter value, bad sort order)."""


class ShardUnavailableError(SearchkitError):
    """Shards of a sharded index could not be searched or built (and partial results were
    not wanted: ``require_all``, or no shard answered at all)."""

    def __init__(self, shards: list[str], detail: str) -> None:
        self.shards = shards
        super().__init__(detail)


class ServeError(SearchkitError):
    """`searchkit serve` cannot start as asked (a public address without a token, no extra)."""
