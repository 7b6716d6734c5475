"""Read any one supported file into Articles, turning every problem into a failure value.

This is the ingester's boundary with the file system: it checks the size
before reading, decodes, dispatches on the suffix, and guarantees that bad
content (empty, binary, undecodable, truncated, malformed) comes back as an
``IngestFailure`` with a clear reason instead of an exception, so an indexing
run over thousands of files reports the bad ones and keeps going.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

from searchkit.errors import IngestError
from searchkit.ingest.compression import unpack_or_raise
from searchkit.ingest.decoding import NotTextError, decode_bytes
from searchkit.ingest.feeds import read_feed
from searchkit.ingest.formats import MAX_FILE_BYTES, SUPPORTED_SUFFIXES, is_gzipped, kind_of
from searchkit.ingest.html import extract_html
from searchkit.ingest.identity import file_article_id
from searchkit.ingest.normalize import finish_article
from searchkit.ingest.records import read_json, read_jsonl
from searchkit.ingest.special import read_regular_file
from searchkit.ingest.text import clean_capture
from searchkit.ingest.urls import with_fallback_url
from searchkit.ingest.warc import read_warc
from searchkit.models import Article, IngestFailure

logger = logging.getLogger("searchkit")


def read_articles(
    path: str | os.PathLike[str],
    data: bytes | None = None,
    *,
    fallback_url: str | None = None,
) -> Iterator[Article | IngestFailure]:
    """Yield every Article in one file, and an IngestFailure for each part that is unusable.

    ``data`` is the file's content when the caller already read it (the
    indexer hashes files first); otherwise the file is read here, after
    checking its size against ``MAX_FILE_BYTES``. A ``.gz`` file is unpacked
    first, to at most ``MAX_FILE_BYTES``. ``fallback_url`` (from the user's
    URL map) is the URL of articles that state none. Never raises for bad
    content or an unreadable file: those come back as failures.
    """
    resolved = _resolve(path)
    kind = kind_of(resolved)
    if kind is None:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        yield IngestFailure(
            resolved, f"unsupported file type (supported: {supported}, each also as .gz)"
        )
        return
    if data is None:
        loaded = _read_limited(resolved)
        if isinstance(loaded, IngestFailure):
            yield loaded
            return
        data = loaded
    if len(data) > MAX_FILE_BYTES:
        yield IngestFailure(resolved, _too_big(len(data)))
        return
    if not data.strip():
        yield IngestFailure(resolved, "the file is empty")
        return
    try:
        if is_gzipped(resolved) and kind != "warc":  # warcio reads gzipped archives itself
            data = unpack_or_raise(data, MAX_FILE_BYTES, resolved)
            if not data.strip():
                yield IngestFailure(resolved, "the file is empty once unpacked")
                return
        for item in _read_kind(kind, data, resolved, fallback_url):
            yield with_fallback_url(item, fallback_url) if isinstance(item, Article) else item
    except NotTextError as exc:
        yield IngestFailure(resolved, str(exc))
    except IngestError as exc:
        yield IngestFailure(resolved, exc.reason, line=exc.line)
    except RecursionError:
        yield IngestFailure(resolved, "nested too deeply to read")
    except Exception as exc:
        logger.warning("unexpected error reading %s", resolved, exc_info=True)
        yield IngestFailure(resolved, f"could not read ({type(exc).__name__}: {exc})")


def extract(path: str | os.PathLike[str]) -> Article:
    """The single Article in a one-article file; raise IngestError otherwise.

    For files that may hold several records (JSON lists, JSON Lines) this
    refuses rather than silently picking one: use ``read_articles`` there.
    """
    results = read_articles(path)
    first = next(results, None)
    if first is None:
        raise IngestError(str(path), "the file holds no article")
    if isinstance(first, IngestFailure):
        raise IngestError(first.path, first.reason, line=first.line)
    if next(results, None) is not None:
        raise IngestError(
            first.path or str(path),
            "the file holds several records; use read_articles() to get them all",
        )
    return first


def _read_kind(
    kind: str, data: bytes, resolved: str, fallback_url: str | None
) -> Iterator[Article | IngestFailure]:
    if kind == "html":
        yield extract_html(data, path=resolved, fallback_url=fallback_url)
        return
    if kind == "warc":
        yield from read_warc(data, resolved, fallback_url=fallback_url)
        return
    if kind == "feed":
        yield from read_feed(data, resolved)
        return
    text = decode_bytes(data)
    if kind == "json":
        yield from read_json(text, resolved)
    elif kind == "jsonl":
        yield from read_jsonl(text, resolved)
    else:
        yield _text_article(text, resolved)


def _text_article(text: str, resolved: str) -> Article | IngestFailure:
    capture = clean_capture(text)
    article = finish_article(
        Article(
            id=file_article_id(resolved),
            title=capture.title,
            body=capture.body,
            url=capture.url,
            source=capture.source,
            published=capture.published,
            author=capture.author,
            path=resolved,
        )
    )
    if not article.title:
        return IngestFailure(resolved, "the file holds no text")
    if not article.body:
        return IngestFailure(resolved, "no article text after the title line")
    return article


def _resolve(path: str | os.PathLike[str]) -> str:
    try:
        return str(Path(path).resolve())
    except (OSError, RuntimeError):
        return str(Path(path).absolute())


def _read_limited(resolved: str) -> bytes | IngestFailure:
    try:
        data, size = read_regular_file(resolved, MAX_FILE_BYTES)
    except IngestError as exc:
        return IngestFailure(resolved, exc.reason)
    except FileNotFoundError:
        return IngestFailure(resolved, "no such file")
    except IsADirectoryError:
        return IngestFailure(resolved, "is a directory, not a file")
    except PermissionError:
        return IngestFailure(resolved, "permission denied")
    except OSError as exc:
        return IngestFailure(resolved, f"cannot read ({exc.strerror or type(exc).__name__})")
    if size > MAX_FILE_BYTES or len(data) > MAX_FILE_BYTES:
        return IngestFailure(resolved, _too_big(max(size, len(data))))
    return data


def _too_big(size: int) -> str:
    limit_mb = MAX_FILE_BYTES // (1024 * 1024)
    return f"file is too large ({size / 1024 / 1024:.1f} MB; the limit is {limit_mb} MB)"
