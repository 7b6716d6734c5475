"""Relevance benchmark: searchkit against common BM25 engines on two judged test collections.

Run ``python benchmarks/relevance.py [--data DIR] [--engines NAMES] [--json OUT]``.

Each collection (TIME, CACM) is indexed by every engine from the same records
(``id``, ``title``, ``body``); every judged query goes in the way a user would
type it (lowercased free text) and the top 100 ids are scored with nDCG@10
(binary gains, log2 discount), MAP and Recall@100, averaged over the queries
that have at least one judgment pointing at an existing document.

The peers (bm25s, tantivy, Whoosh, SQLite FTS5) belong to the ``bench`` extra,
never to searchkit's runtime dependencies; a peer whose package is missing is
reported as "not installed" and skipped. The functions here are importable so
that tests can run a single engine on a single collection.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import math
import re
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

DEPTH = 100
"""How many ranked ids every runner returns per query (the Recall and MAP cut-off)."""

NDCG_CUTOFF = 10
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data"
METRICS = ("ndcg@10", "map", "recall@100")


@dataclass(frozen=True)
class Document:
    """One record as every engine receives it: the shape of a searchkit Article's text fields."""

    id: str
    title: str
    body: str


@dataclass(frozen=True)
class Query:
    """One query, already in the form a user would type it (lowercased, single-spaced)."""

    id: str
    text: str


@dataclass(frozen=True)
class Collection:
    """A judged test collection: documents, queries and the relevant document ids per query.

    ``qrels`` holds only judgments that point at documents present in
    ``documents``; the ones that had to be dropped are kept in
    ``dropped_judgments`` as (query id, document id) pairs so the report can
    say so instead of silently shrinking the ground truth.
    """

    name: str
    documents: tuple[Document, ...]
    queries: tuple[Query, ...]
    qrels: Mapping[str, frozenset[str]]
    dropped_judgments: tuple[tuple[str, str], ...] = ()

    @property
    def judged_queries(self) -> tuple[Query, ...]:
        """The queries that count in the means: those with an existing relevant document."""
        return tuple(query for query in self.queries if self.qrels.get(query.id))


Ranking = dict[str, list[str]]
"""Query id -> ranked document ids, best first, at most DEPTH of them."""

Runner = Callable[[Sequence[Document], Sequence[Query]], Ranking]


def as_typed(text: str) -> str:
    """Turn a collection's query text into what a user would type: lowercase, single spaces.

    No operators, quotes or field names are added; engines that need their
    own query syntax escape the text themselves.
    """
    return " ".join(text.lower().split())


# --------------------------------------------------------------------------- loaders


def _time_sections(lines: Iterable[str], marker: str) -> Iterator[tuple[str, list[str]]]:
    """Split TIME-format lines into (header line, body lines) blocks that start with ``marker``.

    Markers are only recognised at the start of a line: query 43's text
    contains the word FIND in the middle of a sentence.
    """
    header: str | None = None
    body: list[str] = []
    for line in lines:
        if line.startswith("*STOP"):
            break
        if line.startswith(marker):
            if header is not None:
                yield header, body
            header, body = line, []
        elif header is not None and line.strip():
            body.append(line.strip())
    if header is not None:
        yield header, body


def load_time(directory: Path) -> Collection:
    """Load the TIME collection (Time magazine, 1963) from TIME.ALL, TIME.QUE and TIME.REL.

    Document ids are 1-based positions in TIME.ALL, because TIME.REL refers to
    documents by position, not by the number in their ``*TEXT`` header. The
    articles have no headline, so ``title`` is empty and the whole text is the
    body. Judgments pointing past the last document are dropped.
    """
    all_lines = (directory / "TIME.ALL").read_text(encoding="latin-1").splitlines()
    documents = tuple(
        Document(id=str(position), title="", body=" ".join(lines))
        for position, (_, lines) in enumerate(_time_sections(all_lines, "*TEXT"), start=1)
    )
    query_lines = (directory / "TIME.QUE").read_text(encoding="latin-1").splitlines()
    queries = tuple(
        Query(id=str(int(header.split()[1])), text=as_typed(" ".join(lines)))
        for header, lines in _time_sections(query_lines, "*FIND")
    )
    judgments: list[tuple[str, str]] = []
    for line in (directory / "TIME.REL").read_text(encoding="latin-1").splitlines():
        numbers = line.split()
        if numbers:
            judgments.extend((str(int(numbers[0])), str(int(doc))) for doc in numbers[1:])
    return _collection("TIME", documents, queries, judgments)


def _cacm_fields(text: str) -> Iterator[dict[str, list[str]]]:
    """Yield one {field letter: lines} dict per ``.I`` record of a SMART-format file."""
    record: dict[str, list[str]] | None = None
    current = ""
    for line in text.splitlines():
        if line.startswith(".I "):
            if record is not None:
                yield record
            record = {"I": [line[3:].strip()]}
            current = "I"
        elif record is None:
            continue
        elif len(line) == 2 and line.startswith(".") and line[1].isalpha():
            current = line[1]
            record.setdefault(current, [])
        elif current != "I":
            record[current].append(line.strip())
    if record is not None:
        yield record


def _joined(lines: Sequence[str]) -> str:
    return " ".join(" ".join(lines).split())


def load_cacm(directory: Path) -> Collection:
    """Load CACM from cacm.all, query.text and qrels.text.

    Title is ``.T``; body is the ``.W`` abstract and the ``.K`` keywords as two
    paragraphs (many records have neither, so they are title-only). Author,
    bibliographic and citation fields are left out: they are not article text.
    Queries are the ``.W`` text only, as a user would write them.
    """
    documents = []
    for record in _cacm_fields((directory / "cacm.all").read_text(encoding="latin-1")):
        paragraphs = [_joined(record.get(name, [])) for name in ("W", "K")]
        documents.append(
            Document(
                id=str(int(record["I"][0])),
                title=_joined(record.get("T", [])),
                body="\n\n".join(part for part in paragraphs if part),
            )
        )
    queries = tuple(
        Query(id=str(int(record["I"][0])), text=as_typed(" ".join(record.get("W", []))))
        for record in _cacm_fields((directory / "query.text").read_text(encoding="latin-1"))
    )
    judgments = []
    for line in (directory / "qrels.text").read_text(encoding="latin-1").splitlines():
        numbers = line.split()
        if numbers:
            judgments.append((str(int(numbers[0])), str(int(numbers[1]))))
    return _collection("CACM", tuple(documents), queries, judgments)


def _collection(
    name: str,
    documents: tuple[Document, ...],
    queries: tuple[Query, ...],
    judgments: Iterable[tuple[str, str]],
) -> Collection:
    existing = {document.id for document in documents}
    relevant: dict[str, set[str]] = {}
    dropped = []
    for query_id, doc_id in judgments:
        if doc_id in existing:
            relevant.setdefault(query_id, set()).add(doc_id)
        else:
            dropped.append((query_id, doc_id))
    qrels = {query_id: frozenset(ids) for query_id, ids in relevant.items()}
    return Collection(name, documents, queries, qrels, tuple(dropped))


COLLECTIONS: dict[str, tuple[str, Callable[[Path], Collection]]] = {
    "TIME": ("ir/time", load_time),
    "CACM": ("ir/cacm", load_cacm),
}


# --------------------------------------------------------------------------- metrics


def ndcg_at(ranked: Sequence[str], relevant: frozenset[str], cutoff: int = NDCG_CUTOFF) -> float:
    """nDCG with binary gains and a log2(rank + 1) discount, ideal = all relevant at the top."""
    gains = sum(
        1.0 / math.log2(rank + 1)
        for rank, doc_id in enumerate(ranked[:cutoff], start=1)
        if doc_id in relevant
    )
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(relevant), cutoff) + 1))
    return gains / ideal if ideal else 0.0


def average_precision(ranked: Sequence[str], relevant: frozenset[str]) -> float:
    """Average precision over every relevant document, retrieved or not (unretrieved ones add 0)."""
    found = 0
    total = 0.0
    for rank, doc_id in enumerate(ranked, start=1):
        if doc_id in relevant:
            found += 1
            total += found / rank
    return total / len(relevant) if relevant else 0.0


def recall_at(ranked: Sequence[str], relevant: frozenset[str], cutoff: int = DEPTH) -> float:
    """Share of the relevant documents found in the first ``cutoff`` ids."""
    return len(relevant.intersection(ranked[:cutoff])) / len(relevant) if relevant else 0.0


def metrics(collection: Collection, ranking: Mapping[str, Sequence[str]]) -> dict[str, float]:
    """Mean nDCG@10, MAP and Recall@100 over the collection's judged queries.

    A judged query missing from ``ranking`` counts as an empty result list, so
    an engine cannot improve its mean by failing on hard queries.
    """
    judged = collection.judged_queries
    sums = dict.fromkeys(METRICS, 0.0)
    for query in judged:
        ranked = list(ranking.get(query.id, ()))
        relevant = collection.qrels[query.id]
        sums["ndcg@10"] += ndcg_at(ranked, relevant)
        sums["map"] += average_precision(ranked, relevant)
        sums["recall@100"] += recall_at(ranked, relevant)
    return {name: value / len(judged) for name, value in sums.items()}


# --------------------------------------------------------------------------- runners


def run_searchkit(documents: Sequence[Document], queries: Sequence[Query]) -> Ranking:
    """Index through searchkit's public API in a fresh directory and search with the raw text."""
    import searchkit

    ranking: Ranking = {}
    with tempfile.TemporaryDirectory(prefix="relevance-searchkit-") as index_dir:
        with searchkit.Indexer(index_dir) as indexer:
            for document in documents:
                article = searchkit.Article(
                    id=document.id, title=document.title, body=document.body
                )
                indexer.add(article.with_content_hash())
        with searchkit.Searcher(index_dir) as searcher:
            for query in queries:
                results = searcher.search(query.text, limit=DEPTH)
                ranking[query.id] = [hit.id for hit in results]
    return ranking


def _english_stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def run_bm25s(documents: Sequence[Document], queries: Sequence[Query]) -> Ranking:
    """bm25s (Lucene BM25, k1=1.5, b=0.75) with PyStemmer English stemming and English stopwords.

    Documents with a zero score are cut from the list: they did not match.
    """
    import bm25s

    stemmer = _english_stemmer()
    corpus = [f"{document.title}\n{document.body}" for document in documents]
    retriever = bm25s.BM25()
    retriever.index(
        bm25s.tokenize(corpus, stopwords="en", stemmer=stemmer, show_progress=False),
        show_progress=False,
    )
    vocabulary = set(retriever.vocab_dict)
    ranking: Ranking = {}
    for query in queries:
        tokens = bm25s.tokenize(
            [query.text], stopwords="en", stemmer=stemmer, return_ids=False, show_progress=False
        )[0]
        known = [token for token in tokens if token in vocabulary]
        if not known:
            ranking[query.id] = []
            continue
        doc_indices, scores = retriever.retrieve(
            [known], k=min(DEPTH, len(documents)), show_progress=False
        )
        ranking[query.id] = [
            documents[int(index)].id
            for index, score in zip(doc_indices[0], scores[0], strict=True)
            if score > 0
        ]
    return ranking


def run_tantivy(documents: Sequence[Document], queries: Sequence[Query]) -> Ranking:
    """tantivy with the ``en_stem`` tokenizer on title and body, default (OR) query parser."""
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("title", tokenizer_name="en_stem")
    builder.add_text_field("body", tokenizer_name="en_stem")
    index = tantivy.Index(builder.build())
    writer = index.writer(num_threads=1)
    for document in documents:
        writer.add_document(
            tantivy.Document(id=document.id, title=document.title, body=document.body)
        )
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    searcher = index.searcher()
    ranking: Ranking = {}
    for query in queries:
        parsed, _errors = index.parse_query_lenient(query.text, ["title", "body"])
        hits = searcher.search(parsed, DEPTH).hits
        ranking[query.id] = [searcher.doc(address)["id"][0] for _score, address in hits]
    return ranking


def fts5_match_expression(text: str) -> str:
    """Quote each distinct word of the query and OR them, so FTS5 never sees its own syntax.

    Words are runs of letters and digits; a repeated word is sent once,
    because FTS5 scores each OR branch separately and would count it twice.
    """
    words = dict.fromkeys(re.findall(r"\w+", text))
    return " OR ".join(f'"{word}"' for word in words)


def run_fts5(documents: Sequence[Document], queries: Sequence[Query]) -> Ranking:
    """SQLite FTS5 with the ``porter unicode61`` tokenizer, ranked by ``bm25()``."""
    connection = sqlite3.connect(":memory:")
    try:
        connection.execute(
            "CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body,"
            " tokenize = 'porter unicode61')"
        )
        connection.executemany(
            "INSERT INTO docs (id, title, body) VALUES (?, ?, ?)",
            [(document.id, document.title, document.body) for document in documents],
        )
        ranking: Ranking = {}
        for query in queries:
            expression = fts5_match_expression(query.text)
            if not expression:
                ranking[query.id] = []
                continue
            rows = connection.execute(
                "SELECT id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?",
                (expression, DEPTH),
            )
            ranking[query.id] = [row[0] for row in rows]
    finally:
        connection.close()
    return ranking


def run_whoosh(documents: Sequence[Document], queries: Sequence[Query]) -> Ranking:
    """Plain Whoosh: StemmingAnalyzer on title and body, default BM25F, OR-grouped query parser.

    The default parser ANDs the words; for multi-sentence queries like CACM's
    that matches almost nothing, so the peer gets the OR grouping any
    free-text search box would use.
    """
    from whoosh import fields, index, qparser
    from whoosh.analysis import StemmingAnalyzer

    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=fields.TEXT(analyzer=StemmingAnalyzer()),
        body=fields.TEXT(analyzer=StemmingAnalyzer()),
    )
    ranking: Ranking = {}
    with tempfile.TemporaryDirectory(prefix="relevance-whoosh-") as index_dir:
        whoosh_index = index.create_in(index_dir, schema)
        writer = whoosh_index.writer(limitmb=256)
        for document in documents:
            writer.add_document(id=document.id, title=document.title, body=document.body)
        writer.commit()
        parser = qparser.MultifieldParser(
            ["title", "body"], schema=whoosh_index.schema, group=qparser.OrGroup
        )
        with whoosh_index.searcher() as searcher:
            for query in queries:
                results = searcher.search(parser.parse(query.text), limit=DEPTH)
                ranking[query.id] = [hit["id"] for hit in results]
    return ranking


@dataclass(frozen=True)
class Engine:
    """A runner plus the distribution that has to be installed for it (None: always available)."""

    name: str
    runner: Runner
    distributions: tuple[str, ...] = field(default_factory=tuple)


ENGINES: dict[str, Engine] = {
    engine.name: engine
    for engine in (
        Engine("searchkit", run_searchkit, ("searchkit",)),
        Engine("bm25s", run_bm25s, ("bm25s", "PyStemmer")),
        Engine("tantivy", run_tantivy, ("tantivy",)),
        Engine("fts5", run_fts5),
        Engine("whoosh", run_whoosh, ("whoosh3",)),
    )
}
PEERS = tuple(name for name in ENGINES if name != "searchkit")


def engine_versions(engine: Engine) -> str | None:
    """The installed versions an engine depends on, or None when one of them is missing."""
    if not engine.distributions:
        return f"sqlite {sqlite3.sqlite_version}"
    versions = []
    for distribution in engine.distributions:
        try:
            versions.append(f"{distribution} {importlib.metadata.version(distribution)}")
        except importlib.metadata.PackageNotFoundError:
            return None
    return ", ".join(versions)


def evaluate(collection: Collection, engine: Engine) -> dict[str, float]:
    """Run one engine on one collection: metrics plus seconds spent indexing and querying."""
    started = time.perf_counter()
    ranking = engine.runner(collection.documents, collection.judged_queries)
    seconds = time.perf_counter() - started
    return {**metrics(collection, ranking), "seconds": seconds}


# --------------------------------------------------------------------------- report


def format_table(results: Mapping[str, Mapping[str, Mapping[str, float] | str]]) -> str:
    """Lay out collection x engine x metric, plus searchkit's ratio to the best peer per column."""
    header = f"{'collection':<10} {'engine':<10} " + " ".join(f"{m:>10}" for m in METRICS)
    lines = [header + f" {'seconds':>8}", "-" * (len(header) + 9)]
    for collection_name, by_engine in results.items():
        for engine_name, scores in by_engine.items():
            if isinstance(scores, str):
                lines.append(f"{collection_name:<10} {engine_name:<10} {scores}")
                continue
            cells = " ".join(f"{scores[m]:>10.3f}" for m in METRICS)
            lines.append(
                f"{collection_name:<10} {engine_name:<10} {cells} {scores['seconds']:>8.1f}"
            )
        own = by_engine.get("searchkit")
        peers = [
            s for name, s in by_engine.items() if name != "searchkit" and not isinstance(s, str)
        ]
        if isinstance(own, Mapping) and peers:
            ratios = []
            for metric in METRICS:
                best = max(scores[metric] for scores in peers)
                ratios.append(f"{own[metric] / best:>10.3f}" if best else f"{'-':>10}")
            label = "sk/best"
            lines.append(f"{collection_name:<10} {label:<10} " + " ".join(ratios))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: load the collections, run the chosen engines, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help="folder holding ir/time and ir/cacm (default: ../shared/data next to the repo)",
    )
    parser.add_argument(
        "--engines",
        default=",".join(ENGINES),
        help=f"comma-separated subset of {','.join(ENGINES)} (default: all)",
    )
    parser.add_argument(
        "--collections",
        default=",".join(COLLECTIONS),
        help=f"comma-separated subset of {','.join(COLLECTIONS)} (default: all)",
    )
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write the figures as JSON")
    args = parser.parse_args(argv)

    engine_names = [name.strip() for name in args.engines.split(",") if name.strip()]
    collection_names = [
        name.strip().upper() for name in args.collections.split(",") if name.strip()
    ]
    unknown = [n for n in engine_names if n not in ENGINES] + [
        n for n in collection_names if n not in COLLECTIONS
    ]
    if unknown:
        parser.error(f"unknown engine or collection: {', '.join(unknown)}")

    versions = {name: engine_versions(ENGINES[name]) for name in engine_names}
    for name, version in versions.items():
        print(f"{name:<10} {version or 'not installed: skipped'}", file=sys.stderr)

    results: dict[str, dict[str, dict[str, float] | str]] = {}
    notes: dict[str, dict[str, Any]] = {}
    for collection_name in collection_names:
        subdir, loader = COLLECTIONS[collection_name]
        directory = args.data / subdir
        if not directory.is_dir():
            print(f"{collection_name}: {directory} not found: skipped", file=sys.stderr)
            continue
        collection = loader(directory)
        notes[collection_name] = {
            "documents": len(collection.documents),
            "queries": len(collection.queries),
            "judged_queries": len(collection.judged_queries),
            "judgments": sum(len(ids) for ids in collection.qrels.values()),
            "dropped_judgments": [list(pair) for pair in collection.dropped_judgments],
        }
        print(
            f"{collection_name}: {len(collection.documents)} documents, "
            f"{len(collection.judged_queries)} of {len(collection.queries)} queries judged, "
            f"{len(collection.dropped_judgments)} judgments dropped "
            f"(no such document: {collection.dropped_judgments})",
            file=sys.stderr,
        )
        by_engine: dict[str, dict[str, float] | str] = {}
        for name in engine_names:
            by_engine[name] = (
                evaluate(collection, ENGINES[name]) if versions[name] else "not installed"
            )
        results[collection_name] = by_engine

    print(format_table(results))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "date": date.today().isoformat(),
            "python": sys.version.split()[0],
            "versions": versions,
            "collections": notes,
            "results": results,
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
