"""Speed benchmark: searchkit beside plain Whoosh, bm25s, tantivy-py and SQLite FTS5.

Run from the repository root::

    python benchmarks/speed.py [--data DIR] [--quick] [--json OUT]

It measures, on Reuters-21578 and BBC News from ``../shared/data``:

* build: docs/s, wall and CPU time, peak RSS and index size for every engine
  (plain Whoosh both with its default single-process writer and with
  ``procs=2``);
* query: p50/p95 in-process latency over fixed, seeded 2-3-word queries:
  searchkit with its defaults and with ``snippets=False`` (the ranking alone),
  plain Whoosh ids-only with OR and with AND grouping, bm25s, tantivy, FTS5;
* snippets: what the ten snippets of a page cost, timed per query beside the
  ranking alone in the same process;
* CLI: whole-process ``searchkit query QUERY --index DIR`` on BBC beside the
  bare minimum (``python -c``: import whoosh, open the same index, one search,
  print ids), ``python -c "import numpy"``, and ``-X importtime``'s top costs;
* end to end: pages/s for extract + index of the extraction-benchmark pages,
  beside extraction alone (searchkit's and trafilatura's);
* scale: build time and query p50 at 25%, 50%, 100% of Reuters and at
  ~200,000 documents (Reuters and BBC repeated with new ids and shuffled words).

Every build and every query round runs in a fresh child process of this
script, so peak RSS is that child's own and builds share no memory. Engines are
interleaved and each figure is the median of three repeats; the machine is
shared and noisy, so the ratios measured in one run are what count, not the
absolute numbers. The run ends with the issue's targets: each measured value,
its limit and whether it was met. ``--quick`` does one repeat on a quarter of
Reuters (and BBC for the CLI), without the 200k corpus.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gzip
import html
import importlib.metadata
import json
import os
import platform
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from speed_startup import BARE_MINIMUM, importtime_summary, parse_importtime

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data"
DEFAULT_JSON = REPO_ROOT / "benchmarks" / "results" / "speed.json"

# Engines that build an index ("whoosh" also builds "whoosh-p2", its procs=2 writer).
ENGINES = ("searchkit", "whoosh", "bm25s", "tantivy", "fts5")
PEERS = ("whoosh", "bm25s", "tantivy", "fts5")
SCALED_TARGET = 200_000
QUERY_SEED = 20_260_301
E2E_TARGET_PAGES = 1_000

# Query modes: name -> the engine whose index they read.
QUERY_MODES: dict[str, str] = {
    "searchkit": "searchkit",
    "searchkit-ranking": "searchkit",
    "whoosh-or": "whoosh",
    "whoosh-and": "whoosh",
    "bm25s": "bm25s",
    "tantivy": "tantivy",
    "fts5": "fts5",
}
# The reference every query ratio is taken to: plain Whoosh, ids only, OR grouping
# (searchkit joins words with OR too).
QUERY_BASELINE = "whoosh-or"

# Targets of the engine issue, checked at the end of a run.
TARGET_QUERY_P50_VS_WHOOSH = 0.5
TARGET_QUERY_P95_VS_WHOOSH = 0.5
TARGET_RANKING_VS_BM25S = 3.0
TARGET_SNIPPETS_VS_RANKING = 1.0
TARGET_QUERY_GROWTH_200K = 2.5
TARGET_BUILD_RATIO = 1.5
TARGET_INDEX_SIZE_RATIO = 1.6
TARGET_CLI_VS_BARE = 1.5
# Earlier targets, still reported.
TARGET_GROWTH_200K = 11.0
TARGET_RSS_200K_MB = 400.0

# Common English words that make poor query terms; only used to draw queries.
_STOPWORD_TEXT = """
a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from
further had has have having he her here hers him his how i if in into is it its itself just
last may me more most mln my no nor not now of off on once one only or other our out over
own pct per said same says she should so some such than that the their them then there these
they this those through to too two under until up very was we were what when where which
while who whom why will with would year years you your reuter reuters billion million three
four five new
"""
QUERY_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


# ---------------------------------------------------------------------------
# Corpora: streamed, one source file at a time, never held whole.


class Doc(NamedTuple):
    """One news story as every engine receives it."""

    id: str
    title: str
    body: str
    published: dt.datetime | None
    source: str


_STORY = re.compile(r"<REUTERS\b([^>]*)>(.*?)</REUTERS>", re.S)
_NEWID = re.compile(r'NEWID="(\d+)"')
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SIGN_OFF = re.compile(r"\s*\bReuter\s*$")


def _tag(block: str, name: str) -> str | None:
    match = re.search(rf"<{name}>(.*?)</{name}>", block, re.S)
    return match.group(1) if match else None


def _clean(text: str) -> str:
    return _CONTROL.sub("", html.unescape(text))


def _reuters_paragraphs(raw_body: str) -> str:
    """Join Reuters' wrapped lines into paragraphs (an indented line starts a new one)."""
    body = _SIGN_OFF.sub("", _clean(raw_body))
    paragraphs: list[list[str]] = []
    for line in body.splitlines():
        if not line.strip():
            continue
        if not paragraphs or line[:1].isspace():
            paragraphs.append([])
        paragraphs[-1].append(line.strip())
    return "\n\n".join(" ".join(words) for words in paragraphs)


def _reuters_date(raw: str | None) -> dt.datetime | None:
    if raw is None:
        return None
    text = " ".join(raw.split())
    for pattern in ("%d-%b-%Y %H:%M:%S.%f", "%d-%b-%Y %H:%M:%S", "%d-%b-%Y"):
        with contextlib.suppress(ValueError):
            return dt.datetime.strptime(text, pattern).replace(tzinfo=dt.timezone.utc)
    with contextlib.suppress(ValueError, IndexError):
        return dt.datetime.strptime(text.split()[0], "%d-%b-%Y").replace(tzinfo=dt.timezone.utc)
    return None


def reuters_docs(data_dir: Path) -> Iterator[Doc]:
    """Yield the Reuters-21578 stories that have a BODY, in file order.

    The SGML files are read one at a time as Latin-1 (all are ASCII except one
    stray byte in reut2-017.sgm), so memory stays at one 1.3 MB file.
    """
    for path in sorted((data_dir / "reuters21578").glob("reut2-*.sgm")):
        text = path.read_text(encoding="latin-1")
        for match in _STORY.finditer(text):
            attributes, block = match.groups()
            raw_body = _tag(block, "BODY")
            newid = _NEWID.search(attributes)
            if raw_body is None or newid is None:
                continue
            title = " ".join(_clean(_tag(block, "TITLE") or "").split())
            yield Doc(
                id=f"reuters-{newid.group(1)}",
                title=title,
                body=_reuters_paragraphs(raw_body),
                published=_reuters_date(_tag(block, "DATE")),
                source="Reuters",
            )


def bbc_docs(data_dir: Path) -> Iterator[Doc]:
    """Yield the BBC News stories: first line is the title, the rest the body."""
    for path in sorted((data_dir / "bbc").glob("*/*.txt")):
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
        title, _, body = text.strip().partition("\n")
        yield Doc(
            id=f"bbc-{path.parent.name}-{path.stem}",
            title=title.strip(),
            body=body.strip(),
            published=None,
            source="BBC",
        )


_PERMUTATIONS: dict[tuple[int, int], list[int]] = {}


def _permutation(copy: int, length: int) -> list[int]:
    """A fixed, seeded shuffle of ``range(length)`` for copy number ``copy`` (cached).

    Reusing one permutation per (copy, length) keeps the 200k stream cheap, so
    the loader adds about as much per document there as it does on Reuters.
    """
    key = (copy, length)
    order = _PERMUTATIONS.get(key)
    if order is None:
        order = list(range(length))
        random.Random(f"{copy}/{length}").shuffle(order)
        _PERMUTATIONS[key] = order
    return order


def _shuffled(doc: Doc, copy: int) -> Doc:
    """A distinct copy of ``doc``: new id, words shuffled within each paragraph (seeded)."""

    def shuffle(text: str) -> str:
        words = text.split()
        return " ".join([words[i] for i in _permutation(copy, len(words))])

    paragraphs = [shuffle(paragraph) for paragraph in doc.body.split("\n\n")]
    return doc._replace(
        id=f"{doc.id}~{copy}", title=shuffle(doc.title), body="\n\n".join(paragraphs)
    )


def scaled_docs(data_dir: Path, target: int = SCALED_TARGET) -> Iterator[Doc]:
    """Yield ``target`` documents: Reuters + BBC, then shuffled copies of both until full."""
    produced = 0
    copy = 0
    while True:
        for doc in _chain(reuters_docs(data_dir), bbc_docs(data_dir)):
            if produced >= target:
                return
            yield doc if copy == 0 else _shuffled(doc, copy)
            produced += 1
        copy += 1


def _chain(*iterables: Iterable[Doc]) -> Iterator[Doc]:
    for iterable in iterables:
        yield from iterable


@dataclass(frozen=True)
class Corpus:
    """A named document stream; ``limit`` keeps the first N documents (Reuters fractions)."""

    name: str
    kind: str  # "reuters", "bbc" or "scaled"
    limit: int | None = None

    def docs(self, data_dir: Path) -> Iterator[Doc]:
        """Stream this corpus's documents in a fixed order."""
        stream: Iterator[Doc]
        if self.kind == "reuters":
            stream = reuters_docs(data_dir)
        elif self.kind == "bbc":
            stream = bbc_docs(data_dir)
        elif self.kind == "scaled":
            stream = scaled_docs(data_dir, self.limit or SCALED_TARGET)
        else:
            raise ValueError(f"unknown corpus kind {self.kind!r}")
        if self.limit is None:
            yield from stream
            return
        for count, doc in enumerate(stream):
            if count >= self.limit:
                return
            yield doc


def draw_queries(docs: Iterable[Doc], count: int, seed: int) -> list[str]:
    """Draw ``count`` distinct 2-3-word queries from consecutive content words of random stories.

    Words that follow each other in one story guarantee at least one match for
    an AND query, so every engine does real work on every query.
    """
    texts = [doc.body for doc in docs]
    rng = random.Random(seed)
    queries: list[str] = []
    seen: set[str] = set()
    while len(queries) < count:
        words = [
            word.lower()
            for word in re.findall(r"[A-Za-z]{3,}", rng.choice(texts))
            if word.lower() not in QUERY_STOPWORDS
        ]
        length = rng.choice((2, 3))
        if len(words) < length:
            continue
        start = rng.randrange(len(words) - length + 1)
        query = " ".join(words[start : start + length])
        if query not in seen and len(set(query.split())) == length:
            seen.add(query)
            queries.append(query)
    return queries


# ---------------------------------------------------------------------------
# Engines: build and query, run inside child processes.


def _searchkit_article(doc: Doc) -> Any:
    import searchkit

    return searchkit.Article(
        id=doc.id,
        title=doc.title,
        body=doc.body,
        source=doc.source,
        published=doc.published,
    ).with_content_hash()


def build_searchkit(docs: Iterator[Doc], index_dir: Path) -> dict[str, Any]:
    """Build through ``searchkit.Indexer`` (bulk ``add_many`` when the Indexer has one)."""
    import searchkit

    articles = (_searchkit_article(doc) for doc in docs)
    with searchkit.Indexer(str(index_dir)) as indexer:
        if hasattr(indexer, "add_many"):
            indexer.add_many(articles)
            method = "add_many"
        else:
            for article in articles:
                indexer.add(article)
            method = "add"
    return {"method": method}


def _whoosh_schema() -> Any:
    from whoosh.analysis import StemmingAnalyzer
    from whoosh.fields import DATETIME, ID, TEXT, Schema

    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=StemmingAnalyzer(), stored=True),
        body=TEXT(analyzer=StemmingAnalyzer()),
        source=ID(stored=True),
        published=DATETIME(stored=True),
    )


def build_whoosh(docs: Iterator[Doc], index_dir: Path, procs: int = 1) -> dict[str, Any]:
    """Plain Whoosh as a newcomer would write it: one writer, StemmingAnalyzer, defaults.

    ``procs=2`` is Whoosh's own multiprocessing writer (its default batch size
    and memory, one merged segment at commit): plain Whoosh using both cores.
    """
    from whoosh import index

    ix = index.create_in(str(index_dir), _whoosh_schema())
    writer = ix.writer() if procs == 1 else ix.writer(procs=procs)
    for doc in docs:
        fields: dict[str, Any] = {
            "id": doc.id,
            "title": doc.title,
            "body": doc.body,
            "source": doc.source,
        }
        if doc.published is not None:
            fields["published"] = doc.published.replace(tzinfo=None)
        writer.add_document(**fields)
    writer.commit()
    return {}


def build_whoosh_p2(docs: Iterator[Doc], index_dir: Path) -> dict[str, Any]:
    """Plain Whoosh with ``ix.writer(procs=2)``: the same schema, both cores."""
    return build_whoosh(docs, index_dir, procs=2)


BM25S_IDS = "searchkit-bench-ids.json"


def _bm25s_stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def build_bm25s(docs: Iterator[Doc], index_dir: Path) -> dict[str, Any]:
    """bm25s as its README shows it: PyStemmer English, English stopwords, title + body, saved.

    bm25s indexes a list held in memory, so the texts are gathered first (inside
    the clock); the ids are saved beside the index to map results back.
    """
    import bm25s

    ids: list[str] = []
    texts: list[str] = []
    for doc in docs:
        ids.append(doc.id)
        texts.append(f"{doc.title}\n{doc.body}")
    retriever = bm25s.BM25()
    retriever.index(
        bm25s.tokenize(texts, stopwords="en", stemmer=_bm25s_stemmer(), show_progress=False),
        show_progress=False,
    )
    retriever.save(str(index_dir))
    (index_dir / BM25S_IDS).write_text(json.dumps(ids), encoding="utf-8")
    return {}


def _tantivy_schema() -> Any:
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("title", stored=True, tokenizer_name="en_stem")
    builder.add_text_field("body", stored=False, tokenizer_name="en_stem")
    builder.add_text_field("source", stored=True, tokenizer_name="raw")
    return builder.build()


def build_tantivy(docs: Iterator[Doc], index_dir: Path) -> dict[str, Any]:
    """tantivy-py with its default writer (128 MB heap, threads chosen by tantivy)."""
    import tantivy

    index = tantivy.Index(_tantivy_schema(), path=str(index_dir))
    writer = index.writer()
    for doc in docs:
        writer.add_document(
            tantivy.Document(id=doc.id, title=doc.title, body=doc.body, source=doc.source)
        )
    writer.commit()
    writer.wait_merging_threads()
    return {}


def build_fts5(docs: Iterator[Doc], index_dir: Path) -> dict[str, Any]:
    """SQLite FTS5 with the porter tokenizer, all rows in one transaction, default pragmas."""
    import sqlite3

    connection = sqlite3.connect(index_dir / "fts.db")
    try:
        connection.execute(
            "CREATE VIRTUAL TABLE docs USING fts5("
            "id UNINDEXED, title, body, source UNINDEXED, tokenize='porter unicode61')"
        )
        with connection:
            connection.executemany(
                "INSERT INTO docs (id, title, body, source) VALUES (?, ?, ?, ?)",
                ((doc.id, doc.title, doc.body, doc.source) for doc in docs),
            )
    finally:
        connection.close()
    return {}


def build_nothing(docs: Iterator[Doc], index_dir: Path) -> dict[str, Any]:
    """Only stream the corpus: the loader's own cost, common to every engine."""
    for _ in docs:
        pass
    return {}


BUILDERS: dict[str, Callable[[Iterator[Doc], Path], dict[str, Any]]] = {
    "searchkit": build_searchkit,
    "whoosh": build_whoosh,
    "whoosh-p2": build_whoosh_p2,
    "bm25s": build_bm25s,
    "tantivy": build_tantivy,
    "fts5": build_fts5,
    "load-only": build_nothing,
}


class QueryRunner(NamedTuple):
    """An open index: ``run(query)`` returns the ids of the top 10 hits."""

    run: Callable[[str], list[str]]
    close: Callable[[], None]
    extra: dict[str, Any]


def open_searchkit(index_dir: Path, snippets: bool = True) -> QueryRunner:
    """searchkit's Searcher: ``search(q, limit=10)``, its defaults (snippets, aliases, feedback).

    ``snippets=False`` is the ranking alone: the same hits with empty snippets.
    """
    import searchkit

    searcher = searchkit.Searcher(str(index_dir))
    searcher.__enter__()
    with_snippet = [0]

    def run(query: str) -> list[str]:
        if snippets:
            results = searcher.search(query, limit=10)
        else:
            results = searcher.search(query, limit=10, snippets=False)
        with_snippet[0] += sum(1 for hit in results.hits if hit.snippet)
        return [hit.id for hit in results.hits]

    def close() -> None:
        searcher.__exit__(None, None, None)

    return QueryRunner(run, close, {"hits_with_snippet": with_snippet})


def open_searchkit_ranking(index_dir: Path) -> QueryRunner:
    """searchkit's ranking alone: ``search(q, limit=10, snippets=False)``."""
    return open_searchkit(index_dir, snippets=False)


def open_whoosh(index_dir: Path, group: str = "or") -> QueryRunner:
    """Plain Whoosh: parse over title+body, ``search(q, limit=10)``, ids of the top 10 only.

    ``group="or"`` ranks every story holding any word (BM25F, Whoosh's default
    scorer), as searchkit does; ``"and"`` is the parser's default grouping.
    """
    from whoosh import index
    from whoosh.qparser import AndGroup, MultifieldParser, OrGroup

    ix = index.open_dir(str(index_dir))
    searcher = ix.searcher()
    parser = MultifieldParser(
        ["title", "body"], ix.schema, group=OrGroup if group == "or" else AndGroup
    )

    def run(query: str) -> list[str]:
        results = searcher.search(parser.parse(query), limit=10)
        return [hit["id"] for hit in results]

    def close() -> None:
        searcher.close()
        ix.close()

    return QueryRunner(run, close, {})


def open_whoosh_and(index_dir: Path) -> QueryRunner:
    """Plain Whoosh with the parser's default AND grouping (every word required)."""
    return open_whoosh(index_dir, group="and")


def open_bm25s(index_dir: Path) -> QueryRunner:
    """bm25s: tokenise the query as the corpus was (stemmed, stopwords out), top 10 ids.

    Words bm25s has never seen are dropped first (its ``retrieve`` rejects
    them); a query left empty matches nothing.
    """
    import bm25s

    retriever = bm25s.BM25.load(str(index_dir), show_progress=False)
    ids = json.loads((index_dir / BM25S_IDS).read_text(encoding="utf-8"))
    stemmer = _bm25s_stemmer()
    vocabulary = set(retriever.vocab_dict)
    k = min(10, len(ids))

    def run(query: str) -> list[str]:
        tokens = bm25s.tokenize(
            [query], stopwords="en", stemmer=stemmer, return_ids=False, show_progress=False
        )[0]
        known = [token for token in tokens if token in vocabulary]
        if not known:
            return []
        found, scores = retriever.retrieve([known], k=k, show_progress=False)
        return [ids[int(i)] for i, score in zip(found[0], scores[0], strict=True) if score > 0]

    return QueryRunner(run, lambda: None, {})


def open_tantivy(index_dir: Path) -> QueryRunner:
    """tantivy-py: conjunctive query over title+body, ids of the top 10."""
    import tantivy

    index = tantivy.Index.open(str(index_dir))
    searcher = index.searcher()

    def run(query: str) -> list[str]:
        parsed = index.parse_query(query, ["title", "body"], conjunction_by_default=True)
        hits = searcher.search(parsed, 10).hits
        return [str(searcher.doc(address).get_first("id")) for _, address in hits]

    return QueryRunner(run, lambda: None, {})


def open_fts5(index_dir: Path) -> QueryRunner:
    """SQLite FTS5: implicit AND of quoted words, bm25 rank, ids of the top 10."""
    import sqlite3

    connection = sqlite3.connect(index_dir / "fts.db")

    def run(query: str) -> list[str]:
        match = " ".join(f'"{word}"' for word in query.split())
        rows = connection.execute(
            "SELECT id FROM docs WHERE docs MATCH ? ORDER BY rank LIMIT 10", (match,)
        ).fetchall()
        return [str(row[0]) for row in rows]

    return QueryRunner(run, connection.close, {})


OPENERS: dict[str, Callable[[Path], QueryRunner]] = {
    "searchkit": open_searchkit,
    "searchkit-ranking": open_searchkit_ranking,
    "whoosh-or": open_whoosh,
    "whoosh-and": open_whoosh_and,
    "bm25s": open_bm25s,
    "tantivy": open_tantivy,
    "fts5": open_fts5,
}


# ---------------------------------------------------------------------------
# Child-process tasks. The parent passes a JSON spec; the child writes a JSON result.


def _directory_bytes(path: Path) -> int:
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())


def child_build(spec: dict[str, Any]) -> dict[str, Any]:
    """Build one engine's index over one corpus and time it from first document to commit."""
    engine = spec["engine"]
    corpus = Corpus(**spec["corpus"])
    index_dir = Path(spec["index_dir"])
    index_dir.mkdir(parents=True, exist_ok=True)
    builder = BUILDERS[engine]
    counter = [0]

    def counted(docs: Iterator[Doc]) -> Iterator[Doc]:
        for doc in docs:
            counter[0] += 1
            yield doc

    if engine == "searchkit":
        import searchkit

        searchkit.Indexer  # noqa: B018 - import the indexer before the clock starts
    start = time.perf_counter()
    cpu_start = time.process_time()
    extra = builder(counted(corpus.docs(Path(spec["data"]))), index_dir)
    seconds = time.perf_counter() - start
    return {
        "docs": counter[0],
        "seconds": seconds,
        "self_cpu_seconds": time.process_time() - cpu_start,
        "index_bytes": _directory_bytes(index_dir),
        **extra,
    }


def child_query(spec: dict[str, Any]) -> dict[str, Any]:
    """Run the warm-up queries, then time each measured query once."""
    runner = OPENERS[spec["mode"]](Path(spec["index_dir"]))
    try:
        for query in spec["warmup"]:
            runner.run(query)
        times: list[float] = []
        returned = 0
        matched = 0
        for query in spec["queries"]:
            start = time.perf_counter()
            ids = runner.run(query)
            times.append(time.perf_counter() - start)
            returned += len(ids)
            matched += bool(ids)
    finally:
        runner.close()
    extra = {key: value[0] for key, value in runner.extra.items()}
    return {"times": times, "returned": returned, "matched": matched, **extra}


def child_snippet_pair(spec: dict[str, Any]) -> dict[str, Any]:
    """Time each query with searchkit's defaults and with ``snippets=False``, back to back.

    One Searcher serves both, and the order alternates from query to query, so
    the difference per query is what the ten snippets cost and nothing else
    (no other process, no cache warmed by only one side).
    """
    import searchkit

    searcher = searchkit.Searcher(spec["index_dir"])
    with searcher:
        for query in spec["warmup"]:
            searcher.search(query, limit=10)
            searcher.search(query, limit=10, snippets=False)
        full: list[float] = []
        ranking: list[float] = []
        for number, query in enumerate(spec["queries"]):
            order = (True, False) if number % 2 == 0 else (False, True)
            for snippets in order:
                start = time.perf_counter()
                searcher.search(query, limit=10, snippets=snippets)
                (full if snippets else ranking).append(time.perf_counter() - start)
    return {"full": full, "ranking": ranking}


def _e2e_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.html"))


def child_e2e(spec: dict[str, Any]) -> dict[str, Any]:
    """Extract (and for searchkit-index, index) every page of the prepared folder."""
    tool = spec["tool"]
    folder = Path(spec["folder"])
    files = _e2e_files(folder)
    extra: dict[str, Any] = {}
    if tool == "searchkit-index":
        import searchkit

        searchkit.build_index  # noqa: B018 - import before the clock starts
        index_dir = Path(spec["index_dir"])
        start = time.perf_counter()
        report = searchkit.build_index([str(folder)], str(index_dir))
        seconds = time.perf_counter() - start
        extra = {"report": report.summary(), "failed": report.failed}
        extra["index_bytes"] = _directory_bytes(index_dir)
    elif tool == "searchkit-extract":
        import searchkit

        searchkit.extract  # noqa: B018
        failed = 0
        start = time.perf_counter()
        for path in files:
            try:
                searchkit.extract(str(path))
            except searchkit.SearchkitError:
                failed += 1
        seconds = time.perf_counter() - start
        extra = {"failed": failed}
    elif tool == "trafilatura":
        import trafilatura

        failed = 0
        start = time.perf_counter()
        for path in files:
            result = trafilatura.bare_extraction(
                path.read_text(encoding="utf-8", errors="replace"), with_metadata=True
            )
            failed += result is None
        seconds = time.perf_counter() - start
        extra = {"failed": failed}
    else:
        raise ValueError(f"unknown end-to-end tool {tool!r}")
    return {"pages": len(files), "seconds": seconds, **extra}


CHILD_TASKS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "build": child_build,
    "query": child_query,
    "snippet-pair": child_snippet_pair,
    "e2e": child_e2e,
}


def run_child_main(spec_path: str, result_path: str) -> int:
    """Entry point of a child process: run one task and write its result as JSON."""
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    result = CHILD_TASKS[spec["task"]](spec)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["child_maxrss_kb"] = usage.ru_maxrss
    Path(result_path).write_text(json.dumps(result), encoding="utf-8")
    return 0


# ---------------------------------------------------------------------------
# The parent: runs children, measures them from outside, prints and saves.


class ChildFailed(RuntimeError):
    """A child process exited with an error; its stderr tail is in the message."""


def _tree_rss_kb(root: int) -> int:
    """Sum VmRSS over ``root`` and all its descendants (for engines that fork workers)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields_after_name = stat.rsplit(")", 1)[-1].split()
        parents[int(entry)] = int(fields_after_name[1])
    members = {root}
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in members and pid not in members:
                members.add(pid)
                grew = True
    total = 0
    for pid in members:
        try:
            with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
    return total


@dataclass
class ChildRun:
    """What the parent saw of one child: its own result plus wall, CPU and memory."""

    result: dict[str, Any]
    wall_seconds: float
    cpu_seconds: float
    maxrss_kb: int
    tree_peak_kb: int


def run_child(spec: dict[str, Any], work: Path) -> ChildRun:
    """Run this script as a child on ``spec``; wait4 gives its CPU time and ru_maxrss."""
    work.mkdir(parents=True, exist_ok=True)
    handle, spec_name = tempfile.mkstemp(suffix=".json", dir=work)
    os.close(handle)
    spec_path = Path(spec_name)
    result_path = spec_path.with_suffix(".out.json")
    stderr_path = spec_path.with_suffix(".err.txt")
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        str(spec_path),
        str(result_path),
    ]
    peak = [0]
    done = threading.Event()
    with open(stderr_path, "wb") as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr, cwd=REPO_ROOT)

        def sample() -> None:
            while not done.wait(0.2):
                peak[0] = max(peak[0], _tree_rss_kb(process.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0 or not result_path.exists():
        tail = stderr_path.read_text(encoding="utf-8", errors="replace")[-2000:]
        raise ChildFailed(
            f"child {spec.get('task')} "
            f"{spec.get('mode') or spec.get('engine') or spec.get('tool')} "
            f"exited {process.returncode}:\n{tail}"
        )
    result = json.loads(result_path.read_text(encoding="utf-8"))
    for path in (spec_path, result_path, stderr_path):
        path.unlink(missing_ok=True)
    return ChildRun(
        result=result,
        wall_seconds=wall,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        maxrss_kb=usage.ru_maxrss,
        tree_peak_kb=max(peak[0], usage.ru_maxrss),
    )


def percentile(values: Sequence[float], fraction: float) -> float:
    """Linear-interpolated percentile (fraction in 0..1) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _median(values: Iterable[float]) -> float:
    items = [value for value in values if value == value]  # drop NaN
    return statistics.median(items) if items else float("nan")


def _rotated(items: Sequence[str], turn: int) -> list[str]:
    """The engine order for repeat ``turn``: rotate so no engine always runs first."""
    if not items:
        return []
    shift = turn % len(items)
    return list(items[shift:]) + list(items[:shift])


def _load_average() -> str:
    """The 1, 5 and 15-minute load averages (the machine is shared: say how busy it was)."""
    try:
        return " / ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "-"


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _package_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def searchkit_source() -> dict[str, str | bool | None]:
    """Which searchkit the children import, and its git commit (dirty if searchkit/ has edits)."""
    probe = subprocess.run(
        [sys.executable, "-c", "import searchkit; print(searchkit.__file__)"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=False,
    )
    if probe.returncode != 0:
        return {"path": None, "commit": None, "dirty": None}
    package = Path(probe.stdout.strip()).parent

    def git(*args: str) -> str | None:
        done = subprocess.run(
            ["git", "-C", str(package.parent), *args], capture_output=True, text=True, check=False
        )
        return done.stdout.strip() if done.returncode == 0 else None

    status = git("status", "--porcelain", "--", "searchkit")
    return {
        "path": str(package),
        "commit": git("rev-parse", "--short", "HEAD"),
        "dirty": None if status is None else bool(status),
    }


def available_engines(requested: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """Engines that can run here, and why each of the others cannot."""
    missing: dict[str, str] = {}
    usable: list[str] = []
    for engine in requested:
        reason = None
        if engine == "searchkit":
            probe = subprocess.run(
                [sys.executable, "-c", "import searchkit; searchkit.Indexer; searchkit.Searcher"],
                capture_output=True,
                text=True,
                cwd=REPO_ROOT,
                check=False,
            )
            if probe.returncode != 0:
                reason = "searchkit.Indexer/Searcher not importable: " + probe.stderr.strip()[-200:]
        elif engine == "bm25s" and (
            _package_version("bm25s") is None or _package_version("PyStemmer") is None
        ):
            reason = "bm25s or PyStemmer not installed (pip install .[bench])"
        elif engine == "tantivy" and _package_version("tantivy") is None:
            reason = "tantivy-py not installed (pip install .[bench])"
        elif engine == "fts5":
            import sqlite3

            try:
                sqlite3.connect(":memory:").execute("CREATE VIRTUAL TABLE t USING fts5(x)")
            except sqlite3.OperationalError:
                reason = "this Python's SQLite has no FTS5"
        if reason is None:
            usable.append(engine)
        else:
            missing[engine] = reason
    return usable, missing


@dataclass
class Plan:
    """What one run measures; --quick shrinks it to a few minutes."""

    repeats: int
    build_corpora: list[Corpus]
    scaled_corpora: list[Corpus]
    queries: int
    warmup: int
    cli_corpus: Corpus
    cli_queries: int
    cli_repeats: int
    e2e_pages: int
    engines: list[str]
    sections: set[str]
    scale_repeats: int = 1
    whoosh_at_scale: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def main_corpus(self) -> Corpus:
        """The corpus the targets are read on (all of Reuters; a quarter with --quick)."""
        return self.build_corpora[0]

    @property
    def modes(self) -> list[str]:
        """The query modes whose engine is in this run."""
        return [mode for mode, engine in QUERY_MODES.items() if engine in self.engines]


def make_plan(args: argparse.Namespace, reuters_count: int) -> Plan:
    """Turn the command line into the list of measurements."""
    engines, missing = available_engines([e for e in ENGINES if e in args.engines.split(",")])
    notes = [f"{engine} skipped: {reason}" for engine, reason in missing.items()]
    sections = set(args.sections.split(","))
    quarter = Corpus("reuters-25%", "reuters", round(reuters_count * 0.25))
    bbc = Corpus("bbc", "bbc")
    if args.quick:
        return Plan(
            repeats=1,
            build_corpora=[quarter, bbc],
            scaled_corpora=[],
            queries=50,
            warmup=10,
            cli_corpus=bbc,
            cli_queries=5,
            cli_repeats=1,
            e2e_pages=181,
            engines=engines,
            sections=sections,
            notes=notes,
        )
    build_corpora = [
        corpus
        for corpus in (
            Corpus("reuters", "reuters"),
            bbc,
            quarter,
            Corpus("reuters-50%", "reuters", round(reuters_count * 0.5)),
        )
        if corpus.name in args.corpora.split(",")
    ]
    if not any(corpus.name == "bbc" for corpus in build_corpora):
        build_corpora.append(bbc)  # the CLI is measured on BBC
    if len(build_corpora) < 4:
        notes.append(f"corpora: {', '.join(corpus.name for corpus in build_corpora)} (--corpora)")
    return Plan(
        repeats=args.repeats,
        build_corpora=build_corpora,
        scaled_corpora=[Corpus("scaled-200k", "scaled", SCALED_TARGET)],
        queries=200,
        warmup=20,
        cli_corpus=bbc,
        cli_queries=20,
        cli_repeats=args.repeats,
        e2e_pages=E2E_TARGET_PAGES,
        engines=engines,
        sections=sections,
        scale_repeats=args.scale_repeats,
        whoosh_at_scale=args.whoosh_200k,
        notes=notes,
    )


class Runner:
    """Runs the plan's measurements and collects their results."""

    def __init__(self, plan: Plan, data: Path, work: Path) -> None:
        self.plan = plan
        self.data = data
        self.work = work
        self.index_dirs: dict[tuple[str, str], Path] = {}
        self.failures: list[str] = []

    # -- build ---------------------------------------------------------------

    def builds(
        self,
        corpora: list[Corpus],
        engines: list[str],
        repeats: int,
        main_only: Sequence[str] = (),
    ) -> list[dict[str, Any]]:
        """Build each engine on each corpus, interleaved, ``repeats`` times; keep the last index.

        Engines in ``main_only`` are built on the first corpus only.
        """
        runs: dict[tuple[str, str], list[ChildRun]] = {}
        for turn in range(repeats):
            for position, corpus in enumerate(corpora):
                here = [*engines, *(main_only if position == 0 else ())]
                for engine in _rotated(here, turn):
                    index_dir = self.work / "index" / corpus.name / engine
                    shutil.rmtree(index_dir, ignore_errors=True)
                    spec = {
                        "task": "build",
                        "engine": engine,
                        "corpus": corpus.__dict__,
                        "index_dir": str(index_dir),
                        "data": str(self.data),
                    }
                    try:
                        run = run_child(spec, self.work / "spool")
                    except ChildFailed as error:
                        self.failures.append(str(error))
                        _log(f"  build {corpus.name} {engine}: FAILED\n{error}")
                        continue
                    runs.setdefault((corpus.name, engine), []).append(run)
                    self.index_dirs[(corpus.name, engine)] = index_dir
                    docs = run.result["docs"]
                    seconds = run.result["seconds"]
                    _log(
                        f"  build {corpus.name:12} {engine:10} {docs:7d} docs {seconds:7.2f} s "
                        f"{docs / seconds:8.0f} docs/s  "
                        f"cpu {run.cpu_seconds / run.wall_seconds:4.0%}  "
                        f"rss {run.tree_peak_kb / 1024:6.0f} MB"
                    )
        rows = []
        for corpus in corpora:
            for engine in [*engines, *main_only]:
                done = runs.get((corpus.name, engine))
                if done:
                    rows.append(_build_row(corpus.name, engine, done))
        return rows

    # -- query ---------------------------------------------------------------

    def queries(
        self,
        corpora: list[Corpus],
        modes: list[str],
        queries: dict[str, list[str]],
        warmup: dict[str, list[str]],
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """Time each query mode in its own child, interleaved, ``repeats`` rounds.

        On the main corpus the rotation also holds the snippet pair (defaults
        and ``snippets=False`` timed back to back in one child). Returns the
        query rows and the snippet-cost row.
        """
        runs: dict[tuple[str, str], list[ChildRun]] = {}
        pairs: list[ChildRun] = []
        pair = "snippet-pair"
        main = self.plan.main_corpus.name
        for turn in range(self.plan.repeats):
            for corpus in corpora:
                here = [*modes, pair] if corpus.name == main and "searchkit" in modes else modes
                for mode in _rotated(here, turn):
                    engine = "searchkit" if mode == pair else QUERY_MODES[mode]
                    index_dir = self.index_dirs.get((corpus.name, engine))
                    if index_dir is None:
                        continue
                    spec = {
                        "task": pair if mode == pair else "query",
                        "mode": mode,
                        "index_dir": str(index_dir),
                        "queries": queries[corpus.kind],
                        "warmup": warmup[corpus.kind],
                    }
                    try:
                        run = run_child(spec, self.work / "spool")
                    except ChildFailed as error:
                        self.failures.append(str(error))
                        _log(f"  query {corpus.name} {mode}: FAILED\n{error}")
                        continue
                    if mode == pair:
                        pairs.append(run)
                        cost = _snippet_costs(run.result)
                        _log(
                            f"  query {corpus.name:12} {'snippets':17} "
                            f"p50 {percentile(cost, 0.5) * 1e3:7.2f} ms  (defaults - ranking alone)"
                        )
                        continue
                    runs.setdefault((corpus.name, mode), []).append(run)
                    times = run.result["times"]
                    _log(
                        f"  query {corpus.name:12} {mode:17} "
                        f"p50 {percentile(times, 0.5) * 1e3:7.2f} ms  "
                        f"p95 {percentile(times, 0.95) * 1e3:7.2f} ms"
                    )
        rows = []
        for corpus in corpora:
            for mode in modes:
                done = runs.get((corpus.name, mode))
                if done:
                    rows.append(_query_row(corpus.name, mode, done))
        return rows, (_snippet_row(main, pairs) if pairs else None)

    # -- CLI -----------------------------------------------------------------

    def cli(self, corpus: Corpus, queries: list[str]) -> dict[str, Any] | None:
        """Whole-process ``searchkit query QUERY --index DIR`` beside the bare minimum.

        Per query, interleaved (the order rotates): the CLI; ``python -c
        BARE_MINIMUM`` (import whoosh, open the same index, one search, print
        ids); ``python -c "import numpy"``; ``python -c pass``. Each figure is
        the median over rounds of the round's p50. Then ``-X importtime`` of the
        CLI, three times, for its costliest imports.
        """
        index_dir = self.index_dirs.get((corpus.name, "searchkit"))
        if index_dir is None:
            return None
        executable = Path(sys.executable).parent / "searchkit"
        base = [str(executable)] if executable.exists() else [sys.executable, "-m", "searchkit.cli"]
        # An installed package has its bytecode compiled; a checkout run with
        # PYTHONDONTWRITEBYTECODE=1 would recompile searchkit on every call
        # (~30 ms here). Cache bytecode in the scratch folder and warm it once
        # per command (the prefix folder is the only place Python then looks).
        env = dict(os.environ)
        env.pop("SEARCHKIT_INDEX", None)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(self.work / "pycache")
        commands: dict[str, Callable[[str], list[str]]] = {
            "cli": lambda q: [*base, "query", q, "--index", str(index_dir)],
            "bare": lambda q: [sys.executable, "-c", BARE_MINIMUM, str(index_dir), q],
            "numpy": lambda q: [sys.executable, "-c", "import numpy"],
            "python": lambda q: [sys.executable, "-c", "pass"],
        }
        kinds = list(commands)
        for kind in kinds:
            subprocess.run(
                commands[kind](queries[0]), env=env, cwd=self.work, capture_output=True, check=False
            )
        rounds: list[dict[str, float]] = []
        failed = dict.fromkeys(kinds, 0)
        printed = {"cli": 0, "bare": 0}
        for turn in range(self.plan.cli_repeats):
            printed = {"cli": 0, "bare": 0}
            times: dict[str, list[float]] = {kind: [] for kind in kinds}
            for number, query in enumerate(queries):
                for kind in _rotated(kinds, turn * len(queries) + number):
                    start = time.perf_counter()
                    done = subprocess.run(
                        commands[kind](query),
                        env=env,
                        cwd=self.work,
                        capture_output=True,
                        check=False,
                    )
                    times[kind].append(time.perf_counter() - start)
                    if kind in printed:
                        printed[kind] += len(done.stdout.splitlines())
                    if done.returncode != 0:
                        failed[kind] += 1
                        if failed[kind] == 1:
                            message = done.stderr.decode(errors="replace")[-500:]
                            _log(f"  cli: {kind} exit {done.returncode}: {message}")
            rounds.append(
                {f"{kind}_p50": percentile(times[kind], 0.5) for kind in kinds}
                | {"cli_p95": percentile(times["cli"], 0.95)}
            )
            _log(
                f"  cli   {corpus.name:12} "
                + "  ".join(f"{kind} p50 {rounds[-1][f'{kind}_p50']:.3f} s" for kind in kinds)
            )
        launch = base[1:] if base[0] == sys.executable else base
        profiled = [sys.executable, "-X", "importtime", *launch, "query", queries[0]]
        importtime_runs = []
        for _ in range(3):
            done = subprocess.run(
                [*profiled, "--index", str(index_dir)],
                env=env,
                cwd=self.work,
                capture_output=True,
                text=True,
                check=False,
            )
            importtime_runs.append(parse_importtime(done.stderr))
        imports = importtime_summary(importtime_runs)
        bare_runs = []
        bare_profiled = [sys.executable, "-X", "importtime", "-c", BARE_MINIMUM]
        for _ in range(3):
            done = subprocess.run(
                [*bare_profiled, str(index_dir), queries[0]],
                env=env,
                cwd=self.work,
                capture_output=True,
                text=True,
                check=False,
            )
            bare_runs.append(parse_importtime(done.stderr))
        bare_imports = importtime_summary(bare_runs)
        bare_imports["searchkit_modules"] = sorted(
            {m["module"] for m in bare_runs[0] if m["module"].split(".")[0] == "searchkit"}
        )
        result = {
            "corpus": corpus.name,
            "queries": len(queries),
            "repeats": len(rounds),
            "failures": sum(failed.values()),
            "failed_by_command": failed,
            "hit_lines_printed": printed["cli"] / max(len(queries), 1),
            "bare_ids_printed": printed["bare"] / max(len(queries), 1),
            "command": f"searchkit query QUERY --index {corpus.name}-index (bytecode cached)",
            "bare_minimum": BARE_MINIMUM,
            # A command that failed even once has no figure: its time is not a search's.
            "p50_s": None if failed["cli"] else _median(r["cli_p50"] for r in rounds),
            "p95_s": _median(r["cli_p95"] for r in rounds),
            "bare_p50_s": None if failed["bare"] else _median(r["bare_p50"] for r in rounds),
            "numpy_import_p50_s": _median(r["numpy_p50"] for r in rounds),
            "python_startup_p50_s": _median(r["python_p50"] for r in rounds),
            "rounds": rounds,
            "importtime": imports,
            "bare_importtime": bare_imports,
        }
        top = ", ".join(f"{m['module']} {m['ms']:.0f}" for m in imports.get("packages", [])[:6])
        _log(f"  cli   importtime, self ms by package: {top}")
        return result

    # -- end to end ------------------------------------------------------------

    def end_to_end(self, tools: list[str]) -> list[dict[str, Any]]:
        """Pages/s for extract+index and for extraction alone, over the same decompressed pages."""
        folder = self.work / "e2e-pages"
        count = prepare_pages(self.data, folder, self.plan.e2e_pages)
        runs: dict[str, list[ChildRun]] = {}
        for turn in range(self.plan.repeats):
            for tool in _rotated(tools, turn):
                index_dir = self.work / "index" / "e2e" / tool
                shutil.rmtree(index_dir, ignore_errors=True)
                spec = {
                    "task": "e2e",
                    "tool": tool,
                    "folder": str(folder),
                    "index_dir": str(index_dir),
                }
                try:
                    run = run_child(spec, self.work / "spool")
                except ChildFailed as error:
                    self.failures.append(str(error))
                    _log(f"  e2e {tool}: FAILED\n{error}")
                    continue
                runs.setdefault(tool, []).append(run)
                result = run.result
                _log(
                    f"  e2e   {tool:18} {result['pages']} pages {result['seconds']:7.2f} s "
                    f"{result['pages'] / result['seconds']:7.1f} pages/s  "
                    f"{result.get('report', '')}"
                )
        rows = []
        for tool in tools:
            done = runs.get(tool)
            if not done:
                continue
            seconds = _median(run.result["seconds"] for run in done)
            rows.append(
                {
                    "tool": tool,
                    "pages": count,
                    "repeats": len(done),
                    "seconds": seconds,
                    "pages_per_s": count / seconds,
                    "cpu_share": _median(run.cpu_seconds / run.wall_seconds for run in done),
                    "peak_rss_mb": _median(run.tree_peak_kb / 1024 for run in done),
                    "failed": done[-1].result.get("failed"),
                    "report": done[-1].result.get("report"),
                }
            )
        return rows


def _build_row(corpus: str, engine: str, runs: list[ChildRun]) -> dict[str, Any]:
    seconds = _median(run.result["seconds"] for run in runs)
    docs = runs[-1].result["docs"]
    return {
        "corpus": corpus,
        "engine": engine,
        "docs": docs,
        "repeats": len(runs),
        "seconds": seconds,
        "docs_per_s": docs / seconds,
        "process_wall_s": _median(run.wall_seconds for run in runs),
        "cpu_s": _median(run.cpu_seconds for run in runs),
        "cpu_share": _median(run.cpu_seconds / run.wall_seconds for run in runs),
        "maxrss_mb": _median(run.maxrss_kb / 1024 for run in runs),
        "peak_rss_mb": _median(run.tree_peak_kb / 1024 for run in runs),
        "index_mb": _median(run.result["index_bytes"] for run in runs) / 2**20,
        "index_bytes": _median(run.result["index_bytes"] for run in runs),
        "all_seconds": [run.result["seconds"] for run in runs],
        "method": runs[-1].result.get("method"),
    }


def _query_row(corpus: str, mode: str, runs: list[ChildRun]) -> dict[str, Any]:
    last = runs[-1].result
    count = len(last["times"])
    return {
        "corpus": corpus,
        "engine": mode,
        "queries": count,
        "repeats": len(runs),
        "p50_ms": _median(percentile(run.result["times"], 0.5) * 1e3 for run in runs),
        "p95_ms": _median(percentile(run.result["times"], 0.95) * 1e3 for run in runs),
        "mean_ms": _median(statistics.fmean(run.result["times"]) * 1e3 for run in runs),
        "queries_matched": last["matched"],
        "mean_returned": last["returned"] / max(count, 1),
        "hits_with_snippet": last.get("hits_with_snippet"),
        "all_p50_ms": [percentile(run.result["times"], 0.5) * 1e3 for run in runs],
        "all_p95_ms": [percentile(run.result["times"], 0.95) * 1e3 for run in runs],
    }


def _snippet_costs(result: dict[str, Any]) -> list[float]:
    return [full - ranking for full, ranking in zip(result["full"], result["ranking"], strict=True)]


def _snippet_row(corpus: str, runs: list[ChildRun]) -> dict[str, Any]:
    """What the snippets cost: per query, defaults minus ``snippets=False`` (same process)."""
    cost = [percentile(_snippet_costs(run.result), 0.5) * 1e3 for run in runs]
    ranking = [percentile(run.result["ranking"], 0.5) * 1e3 for run in runs]
    full = [percentile(run.result["full"], 0.5) * 1e3 for run in runs]
    return {
        "corpus": corpus,
        "queries": len(runs[-1].result["full"]),
        "repeats": len(runs),
        "snippet_cost_p50_ms": _median(cost),
        "snippet_cost_p95_ms": _median(
            percentile(_snippet_costs(run.result), 0.95) * 1e3 for run in runs
        ),
        "ranking_p50_ms": _median(ranking),
        "defaults_p50_ms": _median(full),
        "cost_vs_ranking": _median(c / r for c, r in zip(cost, ranking, strict=True) if r),
        "all_snippet_cost_p50_ms": cost,
    }


def prepare_pages(data: Path, folder: Path, target: int) -> int:
    """Decompress the extraction-benchmark pages into ``folder``, repeated to about ``target``."""
    sources = sorted((data / "article-extraction-benchmark" / "html").glob("*.html.gz"))
    if not sources:
        raise FileNotFoundError(f"no pages under {data / 'article-extraction-benchmark' / 'html'}")
    copies = max(1, round(target / len(sources)))
    shutil.rmtree(folder, ignore_errors=True)
    for copy in range(copies):
        destination = folder / f"copy{copy}"
        destination.mkdir(parents=True)
        for source in sources:
            name = source.name.removesuffix(".gz")
            (destination / name).write_bytes(gzip.decompress(source.read_bytes()))
    return copies * len(sources)


# ---------------------------------------------------------------------------
# Report: tables and target checks.


def _ratio(value: float | None, reference: float | None) -> str:
    if value is None or reference is None or reference == 0 or value != value:
        return "-"
    return f"{value / reference:.2f}x"


def _value(row: dict[str, Any] | None, key: str) -> float | None:
    return None if row is None else float(row[key])


def _find(rows: list[dict[str, Any]], **keys: str) -> dict[str, Any] | None:
    for row in rows:
        if all(row.get(key) == value for key, value in keys.items()):
            return row
    return None


def build_table(rows: list[dict[str, Any]]) -> list[str]:
    """Markdown table of builds; ratios (in brackets) are to plain Whoosh on the same corpus."""
    lines = [
        "| corpus | engine | docs | build s | docs/s | vs Whoosh | CPU/wall "
        "| peak RSS MB (vs Whoosh) | index MB (vs Whoosh) |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for row in rows:
        whoosh = _find(rows, corpus=row["corpus"], engine="whoosh")
        rss_ratio = _ratio(row["peak_rss_mb"], _value(whoosh, "peak_rss_mb"))
        lines.append(
            f"| {row['corpus']} | {row['engine']} | {row['docs']:,} | {row['seconds']:.2f} | "
            f"{row['docs_per_s']:,.0f} | "
            f"{_ratio(row['docs_per_s'], _value(whoosh, 'docs_per_s'))} | "
            f"{row['cpu_share']:.0%} | "
            f"{row['peak_rss_mb']:.0f} ({rss_ratio}) | "
            f"{row['index_mb']:.1f} ({_ratio(row['index_mb'], _value(whoosh, 'index_mb'))}) |"
        )
    return lines


def query_table(rows: list[dict[str, Any]]) -> list[str]:
    """Markdown table of query latency with ratios to plain Whoosh's ids-only OR search."""
    lines = [
        "| corpus | engine | queries | p50 ms | p95 ms | p50 vs Whoosh OR | p95 vs Whoosh OR "
        "| matched | mean hits |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for row in rows:
        whoosh = _find(rows, corpus=row["corpus"], engine=QUERY_BASELINE)
        lines.append(
            f"| {row['corpus']} | {row['engine']} | {row['queries']} | {row['p50_ms']:.2f} | "
            f"{row['p95_ms']:.2f} | {_ratio(row['p50_ms'], _value(whoosh, 'p50_ms'))} | "
            f"{_ratio(row['p95_ms'], _value(whoosh, 'p95_ms'))} | {row['queries_matched']} | "
            f"{row['mean_returned']:.1f} |"
        )
    return lines


def e2e_table(rows: list[dict[str, Any]]) -> list[str]:
    """Markdown table of the end-to-end pages/s."""
    lines = [
        "| tool | pages | seconds | pages/s | CPU/wall | peak RSS MB |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['tool']} | {row['pages']:,} | {row['seconds']:.2f} | "
            f"{row['pages_per_s']:.1f} | "
            f"{row['cpu_share']:.0%} | {row['peak_rss_mb']:.0f} |"
        )
    return lines


SCALE_ORDER = ("reuters-25%", "reuters-50%", "reuters", "scaled-200k")


def scale_table(builds: list[dict[str, Any]], queries: list[dict[str, Any]]) -> list[str]:
    """Build time and query p50 per corpus size for each engine, relative to full Reuters."""
    lines = [
        "| engine | corpus | docs | build s | build vs Reuters | query p50 ms | p50 vs Reuters "
        "| peak RSS MB |",
        "|---|---|--:|--:|--:|--:|--:|--:|",
    ]
    for mode, engine in QUERY_MODES.items():
        if mode == "whoosh-and":
            continue
        base_build = _find(builds, corpus="reuters", engine=engine)
        base_query = _find(queries, corpus="reuters", engine=mode)
        for corpus in SCALE_ORDER:
            build = _find(builds, corpus=corpus, engine=engine)
            if build is None:
                continue
            query = _find(queries, corpus=corpus, engine=mode)
            p50 = query["p50_ms"] if query else None
            lines.append(
                f"| {mode} | {corpus} | {build['docs']:,} | {build['seconds']:.2f} | "
                f"{_ratio(build['seconds'], _value(base_build, 'seconds'))} | "
                f"{'-' if p50 is None else f'{p50:.2f}'} | "
                f"{_ratio(p50, _value(base_query, 'p50_ms'))} | {build['peak_rss_mb']:.0f} |"
            )
    return lines


def _seconds_ms(value: float | None) -> str:
    return "failed" if value is None else f"{value * 1e3:.0f} ms"


def _quotient(top: float | None, bottom: float | None) -> float | None:
    if top is None or bottom is None or bottom == 0 or top != top or bottom != bottom:
        return None
    return top / bottom


def check_targets(results: dict[str, Any], main_corpus: str) -> list[dict[str, Any]]:
    """Compare searchkit's figures with the issue's targets; missing figures are 'not measured'.

    Each row carries the measured value, the limit, whether it was met, and the
    figures it was computed from (``detail``). Rows marked ``earlier`` are the
    previous issue's targets, still reported.
    """
    builds = results["builds"]
    queries = results["queries"]
    checks: list[dict[str, Any]] = []

    def check(
        name: str,
        value: float | None,
        limit: float,
        higher_is_better: bool,
        detail: str,
        unit: str = "x",
        earlier: bool = False,
    ) -> None:
        sign = ">=" if higher_is_better else "<="
        row: dict[str, Any] = {
            "target": name,
            "limit": limit,
            "limit_text": f"{sign} {limit:g}{unit}",
            "unit": unit,
            "higher_is_better": higher_is_better,
            "detail": detail,
            "earlier": earlier,
        }
        if value is None or value != value:
            row |= {"value": None, "status": "not measured"}
        else:
            ok = value >= limit if higher_is_better else value <= limit
            row |= {"value": round(value, 4), "status": "met" if ok else "missed"}
        checks.append(row)

    def pick(rows: list[dict[str, Any]], corpus: str, engine: str, key: str) -> float | None:
        row = _find(rows, corpus=corpus, engine=engine)
        return None if row is None else float(row[key])

    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f} ms"

    for stat in ("p50", "p95"):
        sk = pick(queries, main_corpus, "searchkit", f"{stat}_ms")
        wh = pick(queries, main_corpus, QUERY_BASELINE, f"{stat}_ms")
        wh_and = pick(queries, main_corpus, "whoosh-and", f"{stat}_ms")
        check(
            f"{main_corpus} query {stat}, searchkit defaults / plain Whoosh ids-only OR",
            _quotient(sk, wh),
            TARGET_QUERY_P50_VS_WHOOSH if stat == "p50" else TARGET_QUERY_P95_VS_WHOOSH,
            False,
            f"{ms(sk)} / {ms(wh)} (Whoosh AND: {ms(wh_and)})",
        )
    ranking = pick(queries, main_corpus, "searchkit-ranking", "p50_ms")
    bm25s = pick(queries, main_corpus, "bm25s", "p50_ms")
    check(
        f"{main_corpus} ranking alone (snippets=False) p50 / bm25s p50",
        _quotient(ranking, bm25s),
        TARGET_RANKING_VS_BM25S,
        False,
        f"{ms(ranking)} / {ms(bm25s)}",
    )
    snippets = results.get("snippets")
    check(
        f"{main_corpus} ten snippets' cost p50 (defaults - snippets=False, per query) "
        "/ ranking alone p50",
        None if snippets is None else snippets["cost_vs_ranking"],
        TARGET_SNIPPETS_VS_RANKING,
        False,
        "-"
        if snippets is None
        else f"{ms(snippets['snippet_cost_p50_ms'])} / {ms(snippets['ranking_p50_ms'])} "
        "(same process, back to back)",
    )
    big_q = pick(queries, "scaled-200k", "searchkit", "p50_ms")
    small_q = pick(queries, "reuters", "searchkit", "p50_ms")
    big_r = pick(queries, "scaled-200k", "searchkit-ranking", "p50_ms")
    small_r = pick(queries, "reuters", "searchkit-ranking", "p50_ms")
    big_docs = pick(builds, "scaled-200k", "searchkit", "docs")
    check(
        "query p50 at 200k documents / at 19k (searchkit defaults)",
        _quotient(big_q, small_q),
        TARGET_QUERY_GROWTH_200K,
        False,
        f"{ms(big_q)} / {ms(small_q)}"
        + ("" if big_docs is None else f" ({big_docs:,.0f} docs)")
        + f"; ranking alone {_ratio(big_r, small_r)}",
    )
    sk_rate = pick(builds, main_corpus, "searchkit", "docs_per_s")
    wh_rate = pick(builds, main_corpus, "whoosh", "docs_per_s")
    wh2_rate = pick(builds, main_corpus, "whoosh-p2", "docs_per_s")
    sk_cpu = pick(builds, main_corpus, "searchkit", "cpu_share")
    check(
        f"{main_corpus} build docs/s, searchkit (both cores) / plain Whoosh single-process writer",
        _quotient(sk_rate, wh_rate),
        TARGET_BUILD_RATIO,
        True,
        ("-" if sk_rate is None else f"{sk_rate:,.0f}")
        + " / "
        + ("-" if wh_rate is None else f"{wh_rate:,.0f} docs/s")
        + ("" if sk_cpu is None else f"; searchkit CPU/wall {sk_cpu:.0%}")
        + f"; vs Whoosh procs=2 ({'-' if wh2_rate is None else f'{wh2_rate:,.0f}'} docs/s): "
        f"{_ratio(sk_rate, wh2_rate)}",
    )
    sk_size = pick(builds, main_corpus, "searchkit", "index_bytes")
    wh_size = pick(builds, main_corpus, "whoosh", "index_bytes")
    wh2_size = pick(builds, main_corpus, "whoosh-p2", "index_bytes")

    def mb(value: float | None) -> str:
        return "-" if value is None else f"{value / 2**20:.1f} MB"

    check(
        f"{main_corpus} index size on disk / plain Whoosh's",
        _quotient(sk_size, wh_size),
        TARGET_INDEX_SIZE_RATIO,
        False,
        f"{mb(sk_size)} / {mb(wh_size)} (Whoosh procs=2: {mb(wh2_size)})",
    )
    cli = results.get("cli")
    check(
        f"{'-' if not cli else cli['corpus']} whole-process `searchkit query` p50 / bare minimum "
        "(python -c: import whoosh, open, one search, print ids)",
        None if not cli else _quotient(cli["p50_s"], cli["bare_p50_s"]),
        TARGET_CLI_VS_BARE,
        False,
        "-"
        if not cli
        else f"{_seconds_ms(cli['p50_s'])} / {_seconds_ms(cli['bare_p50_s'])}; "
        f"`import numpy` alone {cli['numpy_import_p50_s'] * 1e3:.0f} ms, "
        f"`python -c pass` {cli['python_startup_p50_s'] * 1e3:.0f} ms",
    )
    big = pick(builds, "scaled-200k", "searchkit", "seconds")
    small = pick(builds, "reuters", "searchkit", "seconds")
    big_runs = _find(builds, corpus="scaled-200k", engine="searchkit")
    check(
        "build time 200k / Reuters",
        _quotient(big, small),
        TARGET_GROWTH_200K,
        False,
        f"{'-' if big is None else f'{big:.0f} s'} / {'-' if small is None else f'{small:.0f} s'}"
        + ("" if big_runs is None else f" ({big_runs['repeats']} build(s) at 200k)"),
        earlier=True,
    )
    check(
        "peak build RSS at 200k",
        pick(builds, "scaled-200k", "searchkit", "peak_rss_mb"),
        TARGET_RSS_200K_MB,
        False,
        "searchkit, whole process tree",
        unit=" MB",
        earlier=True,
    )
    e2e = results["e2e"]
    sk_pages = _find(e2e, tool="searchkit-index")
    traf = _find(e2e, tool="trafilatura")
    check(
        "extract+index pages/s / trafilatura extraction alone",
        None if sk_pages is None or traf is None else sk_pages["pages_per_s"] / traf["pages_per_s"],
        1.0,
        True,
        "-"
        if sk_pages is None or traf is None
        else f"{sk_pages['pages_per_s']:.1f} / {traf['pages_per_s']:.1f} pages/s",
        earlier=True,
    )
    return checks


def targets_table(targets: list[dict[str, Any]]) -> list[str]:
    """Markdown table of the targets: measured value, limit, met or missed, and its figures."""
    lines = ["| measure | target | measured | met? | from |", "|---|--:|--:|---|---|"]
    for item in targets:
        unit = item.get("unit", "x")
        value = "-" if item["value"] is None else f"{item['value']:.3g}{unit}"
        name = item["target"] + (" (earlier target)" if item.get("earlier") else "")
        lines.append(
            f"| {name} | {item['limit_text']} | {value} | {item['status']} | {item['detail']} |"
        )
    return lines


def snippet_lines(row: dict[str, Any] | None) -> list[str]:
    """One paragraph: what the ten snippets cost beside the ranking alone."""
    if not row:
        return []
    return [
        f"**Snippets** ({row['corpus']}, {row['queries']} queries, each timed with the defaults "
        f"and with `snippets=False` back to back in one process, order alternating; medians of "
        f"{row['repeats']} rounds): snippets cost p50 {row['snippet_cost_p50_ms']:.2f} ms, p95 "
        f"{row['snippet_cost_p95_ms']:.2f} ms per query; ranking alone p50 "
        f"{row['ranking_p50_ms']:.2f} ms, defaults p50 {row['defaults_p50_ms']:.2f} ms; "
        f"cost / ranking {row['cost_vs_ranking']:.2f}x.",
        "",
    ]


def cli_lines(cli: dict[str, Any] | None) -> list[str]:
    """The CLI paragraph: process p50s beside the bare minimum, and the costliest imports."""
    if not cli:
        return []
    out = [
        f"**CLI**: `{cli['command']}`, {cli['queries']} queries x {cli['repeats']} rounds, "
        f"interleaved: p50 {_seconds_ms(cli['p50_s'])}, p95 {cli['p95_s'] * 1e3:.0f} ms; "
        f"bare minimum (`python -c`: import whoosh, open the same index, one OR search, print "
        f'ids) {_seconds_ms(cli["bare_p50_s"])}; `python -c "import numpy"` '
        f"{cli['numpy_import_p50_s'] * 1e3:.0f} ms; `python -c pass` "
        f"{cli['python_startup_p50_s'] * 1e3:.0f} ms "
        f"({cli['hit_lines_printed']:.1f} lines printed per query; {cli['failures']} failed).",
        "",
    ]
    imports = cli.get("importtime") or {}
    if imports:
        numpy = (
            f"numpy imported, {imports['numpy_cumulative_ms']:.0f} ms cumulative"
            if imports["numpy_imported"]
            else "numpy not imported"
        )
        out += [
            f"`python -X importtime` of `searchkit query` (median of {imports['runs']} runs; "
            f"{imports['total_self_ms']:.0f} ms of imports in all; {numpy}):",
            "",
            "| top modules, cumulative | ms | top packages, own time summed | ms |",
            "|---|--:|---|--:|",
        ]
        cumulative = imports["top_cumulative"]
        packages = imports["packages"]
        for number in range(max(len(cumulative), len(packages))):
            left = cumulative[number] if number < len(cumulative) else None
            right = packages[number] if number < len(packages) else None
            out.append(
                f"| {left['module'] if left else ''} | {left['ms'] if left else ''} | "
                f"{right['module'] if right else ''} | {right['ms'] if right else ''} |"
            )
        out.append("")
    bare = cli.get("bare_importtime") or {}
    if bare:
        packages = ", ".join(f"{m['module']} {m['ms']:.0f}" for m in bare["packages"][:6])
        modules = ", ".join(bare.get("searchkit_modules") or []) or "none"
        out += [
            f"The bare minimum's imports: {bare['total_self_ms']:.0f} ms in all; by package "
            f"(ms): {packages}; searchkit modules its schema's unpickling needs: {modules}.",
            "",
        ]
    return out


def render(results: dict[str, Any]) -> str:
    """The whole report as Markdown (what the README's Speed section shows)."""
    out = [
        f"Command: `{results['command']}`  ",
        f"Date: {results['date']}; {results['machine']['cpus']} CPUs, "
        f"Python {results['machine']['python']}; "
        f"load average {results['machine'].get('load_start', '-')} at start, "
        f"{results['machine'].get('load_end', '-')} at end; "
        f"searchkit at commit {results['searchkit_source']['commit']}"
        f"{' (with uncommitted edits)' if results['searchkit_source']['dirty'] else ''}; "
        + ", ".join(
            f"{name} {version}" for name, version in results["versions"].items() if version
        ),
        "",
    ]
    for note in results["notes"]:
        out.append(f"- {note}")
    if results["notes"]:
        out.append("")
    sections: list[tuple[str, list[str]]] = [
        ("Build", build_table(results["builds"]) if results["builds"] else []),
        (
            "Query (in process, top 10)",
            query_table(results["queries"]) if results["queries"] else [],
        ),
        (
            "End to end (extraction-benchmark pages)",
            e2e_table(results["e2e"]) if results["e2e"] else [],
        ),
        ("Scale", scale_table(results["builds"], results["queries"]) if results["builds"] else []),
    ]
    for title, lines in sections:
        if lines:
            out += [f"**{title}**", "", *lines, ""]
    out += snippet_lines(results.get("snippets"))
    out += cli_lines(results.get("cli"))
    out += ["**Targets**", "", *targets_table(results["targets"])]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line; ``--child`` is internal (one measurement in a fresh process)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help="folder holding reuters21578/, bbc/, article-extraction-benchmark/",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="one repeat, 25%% of Reuters and BBC, no 200k, fewer queries (1-2 minutes)",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=DEFAULT_JSON,
        dest="json_out",
        help="where to write the results (default: benchmarks/results/speed.json)",
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="repeats per figure (median; default 3)"
    )
    parser.add_argument(
        "--engines",
        default=",".join(ENGINES),
        help="comma-separated subset of: " + ",".join(ENGINES),
    )
    parser.add_argument(
        "--sections",
        default="build,query,cli,e2e,scale",
        help="comma-separated subset of: build,query,cli,e2e,scale",
    )
    parser.add_argument(
        "--corpora",
        default="reuters,bbc,reuters-25%,reuters-50%",
        help="comma-separated subset of the corpora built besides 200k (targets are read on the "
        "first present, in this order; BBC is always built, for the CLI); default: "
        "reuters,bbc,reuters-25%%,reuters-50%%",
    )
    parser.add_argument(
        "--scale-repeats",
        type=int,
        default=1,
        help="builds at 200k documents (default 1: each takes minutes; its queries still "
        "run --repeats rounds)",
    )
    parser.add_argument(
        "--whoosh-200k",
        action="store_true",
        help="also build plain Whoosh at 200k documents (about 5 minutes per repeat)",
    )
    parser.add_argument(
        "--work",
        type=Path,
        default=None,
        help="scratch folder for indexes (default: a temporary folder, removed after)",
    )
    parser.add_argument("--child", nargs=2, metavar=("SPEC", "RESULT"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print the Markdown report and write the JSON results."""
    args = parse_args(argv)
    if args.child:
        return run_child_main(*args.child)
    data: Path = args.data.resolve()
    for needed in ("reuters21578", "bbc", "article-extraction-benchmark"):
        if not (data / needed).is_dir():
            print(f"speed.py: {data / needed} not found (use --data DIR)", file=sys.stderr)
            return 2
    started = time.perf_counter()
    reuters_count = sum(1 for _ in reuters_docs(data))
    plan = make_plan(args, reuters_count)
    command = "python benchmarks/speed.py" + "".join(
        f" {arg}" for arg in (argv if argv is not None else sys.argv[1:])
    )
    _log(
        f"{command}: engines {', '.join(plan.engines)}; {reuters_count} Reuters stories with a body"
    )
    for note in plan.notes:
        _log(f"  note: {note}")

    reuters_sample = list(reuters_docs(data))
    bbc_sample = list(bbc_docs(data))
    queries = {
        "reuters": draw_queries(reuters_sample, plan.queries, QUERY_SEED),
        "bbc": draw_queries(bbc_sample, plan.queries, QUERY_SEED),
    }
    warmup = {
        "reuters": draw_queries(reuters_sample, plan.warmup, QUERY_SEED + 1),
        "bbc": draw_queries(bbc_sample, plan.warmup, QUERY_SEED + 1),
    }
    queries["scaled"] = queries["reuters"]
    warmup["scaled"] = warmup["reuters"]
    cli_queries = queries[plan.cli_corpus.kind][: plan.cli_queries]
    del reuters_sample, bbc_sample

    work_context: contextlib.AbstractContextManager[str]
    if args.work is not None:
        args.work.mkdir(parents=True, exist_ok=True)
        work_context = contextlib.nullcontext(str(args.work))
    else:
        work_context = tempfile.TemporaryDirectory(prefix="searchkit-speed-")
    results: dict[str, Any] = {
        "command": command,
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "quick": args.quick,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_start": _load_average(),
        },
        "versions": {
            name: _package_version(name)
            for name in ("searchkit", "whoosh3", "bm25s", "PyStemmer", "tantivy", "trafilatura")
        },
        "searchkit_source": searchkit_source(),
        "notes": list(plan.notes),
        "queries_used": {"reuters": queries["reuters"], "bbc": queries["bbc"]},
        "builds": [],
        "queries": [],
        "cli": None,
        "snippets": None,
        "e2e": [],
    }
    import sqlite3

    results["versions"]["sqlite"] = sqlite3.sqlite_version
    main_corpus = plan.build_corpora[0].name
    with work_context as work_name:
        runner = Runner(plan, data, Path(work_name))
        corpora = list(plan.build_corpora)
        if "scale" in plan.sections:
            corpora += plan.scaled_corpora
        if "build" in plan.sections or "query" in plan.sections or "cli" in plan.sections:
            _log(f"build: (load average {_load_average()})")
            results["builds"] = runner.builds(
                plan.build_corpora,
                [*plan.engines, "load-only"],
                plan.repeats,
                main_only=["whoosh-p2"] if "whoosh" in plan.engines else [],
            )
            if plan.scaled_corpora and "scale" in plan.sections:
                scaled_engines = [
                    e
                    for e in plan.engines
                    if (e != "whoosh" or plan.whoosh_at_scale) and e != "bm25s"
                ]
                scaled_engines.append("load-only")
                results["builds"] += runner.builds(
                    plan.scaled_corpora, scaled_engines, plan.scale_repeats
                )
                results["notes"].append(
                    f"200k documents: built {plan.scale_repeats} time(s) per engine "
                    f"(--scale-repeats); its queries run {plan.repeats} rounds"
                )
                if "whoosh" in plan.engines and not plan.whoosh_at_scale:
                    results["notes"].append(
                        "plain Whoosh not built at 200k (about 5 minutes a repeat; --whoosh-200k)"
                    )
                if "bm25s" in plan.engines:
                    results["notes"].append(
                        "bm25s not built at 200k (it holds the whole corpus in memory)"
                    )
        if "query" in plan.sections:
            _log(f"query: (load average {_load_average()})")
            results["queries"], results["snippets"] = runner.queries(
                corpora, plan.modes, queries, warmup
            )
        if "cli" in plan.sections and "searchkit" in plan.engines:
            _log(f"cli: (load average {_load_average()})")
            results["cli"] = runner.cli(plan.cli_corpus, cli_queries)
        if "e2e" in plan.sections:
            _log(f"end to end: (load average {_load_average()})")
            tools = [
                t for t in ("searchkit-index", "searchkit-extract") if "searchkit" in plan.engines
            ]
            if _package_version("trafilatura") is not None:
                tools.append("trafilatura")
            else:
                results["notes"].append("trafilatura not installed (pip install .[bench])")
            results["e2e"] = runner.end_to_end(tools)
        results["failures"] = runner.failures
    results["machine"]["load_end"] = _load_average()
    results["targets"] = check_targets(results, main_corpus)
    results["elapsed_s"] = time.perf_counter() - started
    if args.quick:
        results["notes"].append(
            "--quick: one repeat on 25% of Reuters; targets are indicative only"
        )
    report = render(results)
    print(report)
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    args.json_out.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    _log(f"wrote {args.json_out} after {results['elapsed_s']:.0f} s")
    return 1 if runner.failures else 0


if __name__ == "__main__":
    sys.exit(main())
