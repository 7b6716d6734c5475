"""The ingester: files (HTML pages, text captures, JSON/JSONL records, WARC/ARC archives,
RSS/Atom/RDF feeds, each also gzipped) -> cleaned Articles.

Public functions:

* ``scan(paths)`` lists the supported files under files/folders (``CorpusScan``);
* ``read_articles(path, data=None)`` yields Articles and IngestFailures of one file;
* ``extract(path)`` returns the Article of a one-article file or raises IngestError;
* ``extract_html(markup, path=None, url=None)`` cleans one in-memory HTML page.

Module map: ``scanning`` (find files), ``exclusion`` (which files are not
articles: exclusion globs and skip reasons), ``reader`` (file boundary), ``decoding``
(bytes -> text), ``html`` / ``markup`` / ``blocks`` / ``furniture`` /
``container`` / ``filtering`` (page cleaning), ``metadata``, ``dates``,
``page_date`` (htmldate), ``titles``, ``authors`` and ``outlets`` (page metadata; the
outlet table ships as ``searchkit/data/outlets.txt``), ``text`` (plain-text captures),
``records`` (JSON, and JSON Lines streams), ``warc`` (web archives), ``feeds`` and
``fragments`` (feeds), ``compression`` (bounded gunzip), ``urls`` and ``url_map`` (where an
article was published), ``identity`` (ids), ``rules`` (the cleaning rules as ordered data);
``searchkit.titles`` derives titles for untitled articles.
"""

from __future__ import annotations

from searchkit.ingest.formats import MAX_FILE_BYTES, SUPPORTED_SUFFIXES
from searchkit.ingest.html import extract_html
from searchkit.ingest.reader import extract, read_articles
from searchkit.ingest.scanning import CorpusScan, scan

__all__ = [
    "MAX_FILE_BYTES",
    "SUPPORTED_SUFFIXES",
    "CorpusScan",
    "extract",
    "extract_html",
    "read_articles",
    "scan",
]
