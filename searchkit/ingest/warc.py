"""Pages from WARC and ARC web archives (plain or gzipped), read with warcio.

A crawl archive holds requests, metadata, redirects, images and pages; the
articles are the ``response`` records (and ``resource`` records, as ``wget``
and ``warcio`` write for stored files) with a successful HTTP status whose
payload is HTML. Each is decoded with the charset its HTTP header states,
else as any page is, and cleaned as an HTML file is; the record's target URL
is the page URL when the page declares none (``urls.py``). Records are read
one at a time and each payload is capped, so a large or damaged archive
costs bounded memory; a damaged record, or an archive cut mid-record, ends
the file with a failure naming the record, and the pages before it load.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import zlib
from collections.abc import Iterator
from typing import Any

from searchkit.errors import IngestError
from searchkit.ingest.compression import gzip_complete
from searchkit.ingest.decoding import NotTextError
from searchkit.ingest.formats import MAX_FILE_BYTES
from searchkit.ingest.html import extract_html
from searchkit.ingest.identity import capture_article_id, record_article_id
from searchkit.models import Article, IngestFailure

logger = logging.getLogger("searchkit")
logging.getLogger("warcio").addHandler(logging.NullHandler())  # no last-resort printing

PAGE_RECORD_TYPES = ("response", "resource")
"""Record types that carry a page: the others are requests, metadata, revisits and info."""

HTML_TYPES = ("text/html", "application/xhtml+xml")
"""Payload media types taken as pages; a payload without a type is taken if it looks like HTML."""

_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)
_LOOKS_LIKE_HTML = re.compile(
    rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)", re.I | re.S
)
_OK_STATUS = range(200, 300)


def read_warc(
    data: bytes, resolved_path: str, *, fallback_url: str | None = None
) -> Iterator[Article | IngestFailure]:
    """Every page of the archive in ``data`` as an Article, and failures saying why not.

    ``fallback_url`` (the user's URL map) is used for pages whose record has
    no URL either.
    """
    from warcio.archiveiterator import ArchiveIterator
    from warcio.bufferedreaders import ChunkedDataException
    from warcio.exceptions import ArchiveLoadFailed
    from warcio.statusandheaders import StatusAndHeadersParserException

    # What warcio raises for a record that is damaged or cut short: its own parser
    # errors, EOFError, and zlib's (an error kind of ValueError/OSError) from gzip.
    damage = (ChunkedDataException, StatusAndHeadersParserException, EOFError, ValueError, OSError)
    if not _looks_like_archive(data):
        yield IngestFailure(
            resolved_path, "not a WARC or ARC file (it starts with neither WARC/ nor an ARC header)"
        )
        return
    number = 0
    pages = 0
    held: tuple[_Page | None, str | None] = (None, None)  # the last record read, not yet given
    records = iter(ArchiveIterator(io.BytesIO(data), arc2warc=True))
    while True:
        try:
            with contextlib.redirect_stderr(io.StringIO()) as told:
                record = next(records, None)  # warcio writes some warnings to stderr itself
        except ArchiveLoadFailed as exc:
            yield IngestFailure(resolved_path, _load_failure(exc, number))
            return
        except damage as exc:
            yield IngestFailure(resolved_path, _damaged(number + 1, exc))
            return
        if told.getvalue().strip():
            logger.debug("%s: warcio: %s", resolved_path, " ".join(told.getvalue().split()))
        page, missing = held
        if record is None and missing:  # only the last record can be cut by a short file
            yield IngestFailure(
                resolved_path,
                f"record {number} is cut short: the file ends {missing} "
                f"(a copy or download cut off?); the records before it loaded",
            )
            return
        if page is not None:
            pages += 1
            yield _article(page, number, resolved_path, fallback_url)
        if record is None:
            break
        number += 1
        try:
            held = (_page_of(record), None)
            held = (held[0], _missing_bytes(record))
        except _TooBig as exc:
            yield IngestFailure(resolved_path, f"record {number}: {exc}")
            held = (None, None)
        except damage as exc:
            yield IngestFailure(resolved_path, _damaged(number, exc))
            return
    if data.startswith(b"\x1f\x8b") and not gzip_complete(data):
        yield IngestFailure(
            resolved_path,
            f"the gzip data is cut short (a copy or download cut off?); the {pages} page(s) "
            f"among the {number} records before the cut loaded",
        )
        return
    if number == 0:
        yield IngestFailure(resolved_path, "holds no WARC or ARC records")
    elif pages == 0:
        yield IngestFailure(
            resolved_path,
            f"holds no HTML pages ({number} records, none a successful HTML response)",
        )


class _Page:
    """The parts of one page record the article needs."""

    def __init__(self, url: str | None, captured: str, payload: bytes, charset: str | None):
        self.url = url
        self.captured = captured
        self.payload = payload
        self.charset = charset


def _page_of(record: Any) -> _Page | None:
    """The page in a record, or None when the record holds none (a request, an image...)."""
    if record.rec_type not in PAGE_RECORD_TYPES:
        return None
    headers = record.http_headers
    if headers is not None and record.rec_type == "response":
        status = headers.get_statuscode()
        if not (status and status.isdigit() and int(status) in _OK_STATUS):
            return None
        content_type = headers.get_header("Content-Type")
    else:
        content_type = record.rec_headers.get_header("Content-Type")
    stream = record.content_stream()
    payload = stream.read(MAX_FILE_BYTES + 1)
    if len(payload) > MAX_FILE_BYTES:
        raise _TooBig(record.rec_headers.get_header("WARC-Target-URI"))
    media = (content_type or "").split(";")[0].strip().lower()
    if media not in HTML_TYPES and not (not media and _LOOKS_LIKE_HTML.match(payload[:4096])):
        return None
    match = _CHARSET.search(content_type or "")
    url = record.rec_headers.get_header("WARC-Target-URI")
    captured = record.rec_headers.get_header("WARC-Date") or ""
    return _Page(url, captured, payload, match.group(1) if match else None)


_ARCHIVE_START = re.compile(rb"\s*(WARC/\d|[a-z][a-z0-9+.-]*://\S+ )", re.IGNORECASE)
"""A WARC record starts with its version line, an ARC one with a URL and a space."""


def _looks_like_archive(data: bytes) -> bool:
    """Whether ``data`` (gzipped or not) starts as a WARC or ARC file does."""
    head = data[:65536]
    if head.startswith(b"\x1f\x8b"):
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 256)
        except zlib.error:
            return False
    return _ARCHIVE_START.match(head) is not None


def _missing_bytes(record: Any) -> str | None:
    """How much of the record the file lacks ("312 bytes"), or None when it is whole.

    warcio reads a record cut short as if it ended there; a WARC record
    states its length (an ARC one too), so reading what is left of it and
    comparing tells a truncated archive from a whole one.
    """
    stream = record.raw_stream
    if record.format.startswith("warc") and record.rec_headers.get_header("Content-Length") is None:
        return "inside its headers"
    while stream.read(_DRAIN_CHUNK):
        pass
    left = getattr(stream, "limit", 0)
    return f"{left:,} bytes before its end" if isinstance(left, int) and left > 0 else None


_DRAIN_CHUNK = 1024 * 1024


class _TooBig(ValueError):
    """A record payload larger than any page (``MAX_FILE_BYTES``)."""

    def __init__(self, url: str | None) -> None:
        limit_mb = MAX_FILE_BYTES // (1024 * 1024)
        super().__init__(f"{url or 'a record'} holds more than {limit_mb} MB, more than any page")


def _article(
    page: _Page, number: int, resolved_path: str, fallback_url: str | None
) -> Article | IngestFailure:
    from dataclasses import replace

    record_url = page.url if page.url and page.url.startswith(("http:", "https:")) else None
    try:
        article = extract_html(
            page.payload, fallback_url=record_url or fallback_url, charset=page.charset
        )
    except IngestError as exc:
        where = f" ({page.url})" if page.url else ""
        return IngestFailure(resolved_path, f"record {number}{where}: {exc.reason}")
    except NotTextError as exc:  # pragma: no cover - extract_html maps it already
        return IngestFailure(resolved_path, f"record {number}: {exc}")
    if record_url:
        article_id = capture_article_id(record_url, page.captured)
    else:
        article_id = record_article_id(
            None, url=None, resolved_path=resolved_path, record_number=number
        )
    return replace(article, id=article_id, path=resolved_path)


def _load_failure(exc: Exception, records_read: int) -> str:
    message = " ".join(str(exc).split())
    if "non-chunked gzip" in message:
        return (
            "a gzipped WARC must be gzipped record by record, and this one is one gzip "
            "stream; unpack it (gunzip) and index the .warc, or run `warcio recompress`"
        )
    if records_read:
        return f"record {records_read + 1} is damaged or cut short ({message[:200]})"
    return f"not a WARC or ARC file ({message[:200]})"


def _damaged(number: int, exc: BaseException) -> str:
    if isinstance(exc, _TooBig):
        return f"record {number}: {exc}"
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, EOFError):
        detail = "the file ends inside it"
    return f"record {number} is damaged or cut short ({detail[:200]}); the records before it loaded"
