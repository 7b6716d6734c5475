"""Reading an open index for searches: every Whoosh searcher, query run and count in one place.

``IndexReader`` holds the index and one Whoosh searcher per thread (replaced
when a commit makes it stale). A search enters ``session()`` once; the
``ReadSession`` it yields answers in plain Python values (document numbers,
scores, stored-field dicts, counts), and errors from reading the index's
files become IndexCorruptError there (``damage.reported_as_damage``).

``ReadSession.rank`` is the ranking step alone, so its internals can be
replaced without touching the rest of the search.
"""

from __future__ import annotations

import math
import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher as WhooshSearcher

from searchkit.engine.arrays import ArraysMissing, SegmentArrays
from searchkit.engine.columns import live_column_values
from searchkit.engine.damage import reported_as_damage
from searchkit.engine.document_arrays import merged_vocabulary
from searchkit.engine.facets import author_counts, histogram
from searchkit.engine.parser import QueryParser, make_parser
from searchkit.engine.query_tree import SEARCH_FIELDS, QueryTree, keep_rarest_words
from searchkit.engine.ranking import RERANK_DEPTH, FirstPass, Ranker
from searchkit.engine.schema import TEXT_FIELDS, build_schema, stored_date
from searchkit.engine.scorer import Collection, CollectionStats, Scorer, best
from searchkit.engine.storage import READER_ATTEMPTS, open_index
from searchkit.errors import SearchkitError
from searchkit.models import RankingSettings
from searchkit.synonyms import AliasGroup

SIMILAR_TERMS = 25
"""Terms of an article searched for its similar articles (its strongest by TF-IDF), each
weighted by its count in the article (BM25F adds the term's rarity)."""


@dataclass(frozen=True)
class Filters:
    """The filter a search runs within, and its outlet part alone (to count what the
    date part left out: the documents without a date)."""

    query: wq.Query | None
    outlet: wq.Query | None
    by_date: bool

    @property
    def matches_nothing(self) -> bool:
        """True when the outlet asked for has no documents: no search can match."""
        return self.outlet is wq.NullQuery


NO_FILTERS = Filters(None, None, False)


@dataclass(frozen=True)
class GlobalStatistics:
    """Collection statistics given from outside: a shard scores with its whole index's.

    ``doc_frequency`` maps (field, text) to live document frequency and
    ``whoosh_frequency`` to Whoosh's (for ``keep_rarest_words``); asking for a
    term neither holds is a bug in the coordinator and raises KeyError.
    """

    stats: CollectionStats
    doc_frequencies: dict[tuple[str, str], int]
    whoosh_frequencies: dict[tuple[str, str], int]

    def doc_frequency(self, fieldname: str, text: str) -> int:
        """The global live document frequency of ``text`` in ``fieldname``."""
        return self.doc_frequencies[(fieldname, text)]

    def word_frequency(self, word: str) -> int:
        """The global Whoosh frequency of an analysed word in its most common search field."""
        return max(self.whoosh_frequencies[(name, word)] for name in SEARCH_FIELDS)


@dataclass(frozen=True)
class RankedDoc:
    """One ranked document: its number in the index, relevance score and stored fields."""

    docnum: int
    score: float | None
    stored: dict[str, Any]
    members: tuple[int, ...] = ()
    """With collapsing: the other matching documents of its group, best first (docnums)."""


@dataclass(frozen=True)
class Ranking:
    """One page of a ranking, and the query as it was scored (for ``explain``)."""

    docs: list[RankedDoc]
    scored_query: str
    groups: int | None = None
    """With collapsing: how many groups (results after collapsing) the matches form."""


def _column_date(field: Any, value: Any) -> datetime | None:
    """Decode a date column value; undated documents hold an out-of-range sentinel."""
    try:
        return stored_date(field.from_column_value(value))
    except (OverflowError, TypeError, ValueError):
        return None


def _scan_columns(
    reader: Any, sources: dict[str, int]
) -> tuple[int, datetime | None, datetime | None]:
    """Count outlets and find the date range from column storage (no stored-field loads)."""
    first: datetime | None = None
    last: datetime | None = None
    published_field = reader.schema["published"]
    for outlet, raw_date in live_column_values(reader, ("source", "published"), raw={"published"}):
        if outlet:
            sources[outlet] = sources.get(outlet, 0) + 1
        published = _column_date(published_field, raw_date)
        if published is not None and published.year > 1:
            first = published if first is None or published < first else first
            last = published if last is None or published > last else last
    return reader.doc_count(), first, last


def highlight_terms(query: wq.Query, reader: Any) -> dict[str, set[str]]:
    """The terms worth highlighting, by field: every term a document can match the query by.

    Negated clauses are left out, wildcards expand to the index's terms. A hit's
    snippet marks where these terms occur in its stored text, which is exactly
    where the document matched them (the text is analysed as it was indexed).
    This replaces Whoosh's per-hit matched terms, which it can only record by
    tracking every matching document during the search.
    """
    wanted: dict[str, set[str]] = {}
    pending = [query]
    while pending:
        node = pending.pop()
        if isinstance(node, wq.Not):
            continue
        if isinstance(node, wq.AndNot):
            pending.append(node.a)
            continue
        if not node.is_leaf():
            pending.extend(node.children())
            continue
        for field, term in node.existing_terms(reader, phrases=True, expand=True):
            if field in TEXT_FIELDS:
                text = term.decode("utf-8", "replace") if isinstance(term, bytes) else str(term)
                wanted.setdefault(field, set()).add(text)
    return wanted


_VOCABULARIES: weakref.WeakKeyDictionary[Collection, dict[str, int]] = weakref.WeakKeyDictionary()
"""Each open collection's typed vocabulary, built on first use."""


class ReadSession:
    """One search's reads, through this thread's Whoosh searcher and the segments' arrays
    (see ``IndexReader.session``).

    Scoring, counting and facets all come from one ``Scorer``, which evaluates
    each node of a query tree once: the matches the ranking found are the ones
    counted and grouped.
    """

    def __init__(
        self,
        searcher: WhooshSearcher,
        collection: Collection,
        ranker: Ranker,
        statistics: GlobalStatistics | None = None,
    ) -> None:
        self._searcher = searcher
        self._ranker = ranker
        self._statistics = statistics
        if statistics is None:
            self._scorer = Scorer(collection, ranker.settings)
        else:
            self._scorer = Scorer(
                collection, ranker.settings, statistics.stats, statistics.doc_frequency
            )
        self._matches: dict[int, tuple[QueryTree, list[Any]]] = {}
        self._every: dict[tuple[int, int], tuple[QueryTree, Filters, list[Any]]] = {}

    def _inside(self, node: QueryTree | None) -> list[Any] | None:
        """Each segment's documents matching a filter (None: no filter)."""
        return None if node is None else self._scorer.matching_ids(node)

    def _matches_of(self, query: QueryTree) -> list[Any]:
        """The matches of a parsed query: the ranked base query's, when it was ranked."""
        remembered = self._matches.get(id(query))
        if remembered is not None and remembered[0] is query:
            return remembered[1]
        return self._scorer.evaluate(query)

    def outlet_names(self) -> Iterator[str]:
        """Every outlet name stored in the index, as stored."""
        return (str(name) for name in self._searcher.reader().field_terms("source"))

    def filters(
        self, outlets: list[str] | None, start: datetime | None, end: datetime | None
    ) -> Filters:
        """The filter for documents from one of ``outlets`` (None: any outlet; empty: none
        exists), published between ``start`` and ``end`` (either may be None)."""
        clauses: list[wq.Query] = []
        outlet: wq.Query | None = None
        if outlets is not None:
            if not outlets:
                clauses.append(wq.NullQuery)
            elif len(outlets) == 1:
                clauses.append(wq.Term("source", outlets[0]))
            else:
                clauses.append(wq.Or([wq.Term("source", match) for match in outlets]))
            outlet = clauses[0]
        by_date = start is not None or end is not None
        if by_date:
            clauses.append(wq.DateRange("published", start, end))
        if not clauses:
            return NO_FILTERS
        combined = clauses[0] if len(clauses) == 1 else wq.And(clauses)
        return Filters(combined, outlet, by_date)

    def keep_rarest_words(self, query: QueryTree) -> tuple[QueryTree, str | None]:
        """``query_tree.keep_rarest_words`` with this index's document frequencies."""
        if self._statistics is not None:
            return keep_rarest_words(query, self._statistics.word_frequency)
        reader = self._searcher.reader()
        return keep_rarest_words(
            query,
            lambda word: max(reader.doc_frequency(name, word) for name in SEARCH_FIELDS),
        )

    # -- hooks for a coordinator of shards (searchkit.distributed) -------------

    def local_statistics(
        self, terms: list[tuple[str, str]]
    ) -> tuple[CollectionStats, dict[tuple[str, str], int], dict[tuple[str, str], int]]:
        """This index's part of the global statistics for ``terms`` ((field, text) pairs).

        The collection's live document count and field length sums, each
        term's live document frequency (what BM25F uses) and Whoosh's
        frequency (what ``keep_rarest_words`` compares): sums of these over
        shards are the statistics of the one index the shards make up.
        """
        reader = self._searcher.reader()
        collection = self._scorer.collection
        live = {key: collection.doc_frequency(*key) for key in terms}
        whoosh = {key: int(reader.doc_frequency(*key)) for key in terms}
        return collection.stats(), live, whoosh

    def first_pass(
        self, query: QueryTree, text: str, filters: Filters, depth: int = RERANK_DEPTH
    ) -> tuple[bool, list[tuple[int, float]]]:
        """Whether ``query`` gets feedback, and the best ``depth`` (docnum, score) of its
        first pass within ``filters``: this index's share of a global first pass."""
        inside = self._inside(filters.query)
        scored = self._ranker.prepare(query, text, self._scorer, inside, feedback=False)
        if not self._ranker.wants_feedback(scored.base):
            return False, []
        return True, self._scorer.top(scored.base, inside, depth)

    def doc_terms(self, docnum: int) -> dict[str, int]:
        """A document's title and body terms with their counts (feedback's input)."""
        return self._scorer.collection.doc_terms(docnum)

    def rank_parts(
        self,
        query: QueryTree,
        text: str,
        filters: Filters,
        wanted: int,
        sort: str,
        first_pass: FirstPass | None,
    ) -> tuple[list[tuple[int, float]], list[tuple[int, float]], int, str, list[int]]:
        """The pieces ``rank`` joins, for a coordinator to join over shards.

        The best ``wanted`` documents of the re-scored query (empty without
        feedback), of the first pass (or newest first with ``sort="date"``),
        how many documents feedback re-scored over all shards, the scored
        query, and the publication dates of the listed documents' (0 undated).
        """
        scorer = self._scorer
        inside = self._inside(filters.query)
        feedback = sort == "relevance"
        scored = self._ranker.prepare(query, text, scorer, inside, feedback, first_pass)
        base = scorer.evaluate(scored.base)
        self._matches[id(query)] = (query, base)
        ids, scores = scorer.flatten(base, inside)
        rescored: list[tuple[int, float]] = []
        if sort == "date":
            ranked = scorer.newest_first(ids, scores, wanted)
        else:
            ranked = best(ids, scores, wanted)
            if scored.query is not scored.base:
                rescored = scorer.top(scored.query, inside, wanted)
        dates = scorer.published_of([docnum for docnum, _ in ranked]) if sort == "date" else []
        return rescored, ranked, scored.reranked, str(scored.query), dates

    def rank(
        self,
        query: QueryTree,
        text: str,
        filters: Filters,
        limit: int,
        page: int,
        sort: str,
        collapse: str | None = None,
    ) -> Ranking:
        """Page ``page`` (of ``limit`` documents) of the documents matching ``query`` within
        ``filters``, best first (``sort="relevance"``) or newest first (``"date"``).

        ``text`` is the query as parsed (a word typed twice counts twice). Each
        document's score is its relevance, whatever the order. ``collapse``
        ("duplicate_groups" or "story_ids") ranks one document per group, the
        group's best-ranked, with the group's other matches as its ``members``.
        """
        scorer = self._scorer
        inside = self._inside(filters.query)
        scored = self._ranker.prepare(query, text, scorer, inside, feedback=sort == "relevance")
        base = scorer.evaluate(scored.base)
        # The rewritten query matches exactly what the parsed one does (ranking only
        # re-scores): counts and facets reuse these matches.
        self._matches[id(query)] = (query, base)
        wanted = page * limit
        ids, scores = scorer.flatten(base, inside)
        if collapse is not None and self._collapses(ids, collapse):
            return self._collapsed(scored, ids, scores, inside, sort, collapse, limit, page)
        if sort == "date":
            ranked = scorer.newest_first(ids, scores, wanted)
        elif scored.query is scored.base:
            ranked = best(ids, scores, wanted)
        else:
            ranked = scorer.top(scored.query, inside, wanted)
            if scored.reranked and wanted > scored.reranked:
                # Past the documents feedback re-scored, the first pass's order goes on.
                ranked.extend(best(ids, scores, wanted)[scored.reranked :])
        window = ranked[(page - 1) * limit : page * limit]
        stored = self._searcher.stored_fields
        docs = [RankedDoc(docnum, score, stored(docnum)) for docnum, score in window]
        groups = len(ids) if collapse is not None else None
        return Ranking(docs, str(scored.query), groups)

    def _collapses(self, ids: np.ndarray, collapse: str) -> bool:
        """Whether two of the matches share a group (else collapsing changes nothing)."""
        numbers = self._scorer.collection.per_doc(collapse)[ids]
        numbers = numbers[numbers > 0]
        return len(numbers) > 1 and len(np.unique(numbers)) < len(numbers)

    def _collapsed(
        self,
        scored: Any,
        ids: np.ndarray,
        scores: np.ndarray,
        inside: list[Any] | None,
        sort: str,
        collapse: str,
        limit: int,
        page: int,
    ) -> Ranking:
        """``rank`` with one document per group: every match is ordered, then each group
        is represented by its first (best-ranked) document."""
        scorer = self._scorer
        if sort == "date":
            ranked = scorer.newest_first(ids, scores, len(ids))
        elif scored.query is scored.base:
            ranked = best(ids, scores, len(ids))
        else:
            ranked = scorer.top(scored.query, inside, len(ids))
            rescored = {docnum for docnum, _ in ranked}
            ranked.extend(item for item in best(ids, scores, len(ids)) if item[0] not in rescored)
        order = np.fromiter((docnum for docnum, _ in ranked), np.int64, len(ranked))
        keys = scorer.collection.group_keys(collapse)[order]
        _unique, first = np.unique(keys, return_index=True)
        first.sort()
        window = first[(page - 1) * limit : page * limit]
        stored = self._searcher.stored_fields
        docs = []
        for at in window:
            docnum, score = ranked[int(at)]
            members = order[keys == keys[at]]
            others = tuple(int(m) for m in members if m != docnum)
            docs.append(RankedDoc(docnum, score, stored(docnum), others))
        return Ranking(docs, str(scored.query), len(first))

    def describe(self, docnums: Sequence[int]) -> list[tuple[str, str | None, datetime | None]]:
        """(id, outlet, publication date) of documents, from columns and arrays only: cheap
        enough for the thousands of copies a group may hold."""
        collection = self._scorer.collection
        published = collection.per_doc("published")
        field = self._searcher.schema["published"]
        found = []
        for docnum in docnums:
            raw = int(published[docnum])
            date = _column_date(field, raw) if raw else None
            found.append((collection.doc_id(docnum), collection.source_of(docnum), date))
        return found

    def matching_docnums(
        self, query: QueryTree, filters: Filters, candidates: Sequence[int]
    ) -> list[int]:
        """Which of ``candidates`` (global docnums) match ``query`` within ``filters``."""
        if not candidates:
            return []
        ids, _scores = self._scorer.flatten(self._matches_of(query), self._inside(filters.query))
        wanted = np.asarray(candidates, dtype=np.int64)
        return [int(d) for d in wanted[np.isin(wanted, ids)]]

    def docnum(self, doc_id: str) -> int | None:
        """The document number of the live document with this id, or None."""
        found = self._searcher.document_number(id=doc_id)
        return None if found is None else int(found)

    def group_members(self, name: str, number: int) -> list[int]:
        """The live documents whose ``name`` ("duplicate_groups", "story_ids") is ``number``."""
        collection = self._scorer.collection
        hits = np.flatnonzero((collection.per_doc(name) == number) & collection.live_mask())
        return [int(docnum) for docnum in hits]

    def group_number(self, name: str, docnum: int) -> int:
        """A document's duplicate group or story (0: none)."""
        return int(self._scorer.collection.per_doc(name)[docnum])

    def stored(self, docnum: int) -> dict[str, Any]:
        """A document's stored fields."""
        fields: dict[str, Any] = self._searcher.stored_fields(docnum)
        return fields

    def similar(self, docnum: int, limit: int) -> list[RankedDoc]:
        """The ``limit`` documents most like ``docnum`` (one per duplicate group), best first.

        The document's ``SIMILAR_TERMS`` strongest terms by TF-IDF (from the
        forward index) are searched as one BM25F query, each term weighted by
        its count in the document: BM25F already weighs a term by its rarity, so
        a TF-IDF weight would count rarity twice and let a name mentioned once
        outweigh the words the article is about (measured on Reuters topics by
        ``benchmarks/similar.py``, see benchmarks/README.md). The document itself and its own
        duplicate group are left out, since a copy is not "more" of the subject.
        """
        scorer = self._scorer
        collection = scorer.collection
        counts = collection.doc_terms(docnum)
        total = max(scorer.stats.doc_count, 1)
        weighted = []
        for term, count in counts.items():
            if term.startswith("=") or len(term) < 2 or term.isdigit():
                continue
            df = max(scorer.doc_frequency(name, term) for name in TEXT_FIELDS)
            if df < 2:  # in no other document
                continue
            weighted.append((count * math.log(1.0 + total / df), term, count))
        weighted.sort(key=lambda item: (-item[0], item[1]))
        top = weighted[:SIMILAR_TERMS]
        if not top:
            return []
        node = self._ranker.weighted_words([(term, float(count)) for _, term, count in top])
        ids, scores = scorer.flatten(scorer.evaluate(node), None)
        keys = collection.group_keys("duplicate_groups")
        own = keys[docnum]
        keep = keys[ids] != own
        ids, scores = ids[keep], scores[keep]
        ranked = best(ids, scores, len(ids))
        order = np.fromiter((d for d, _ in ranked), np.int64, len(ranked))
        ordered_keys = keys[order]
        _unique, first = np.unique(ordered_keys, return_index=True)
        first.sort()
        docs = []
        for at in first[:limit]:
            found, score = ranked[int(at)]
            members = order[ordered_keys == ordered_keys[at]]
            others = tuple(int(m) for m in members if m != found)
            docs.append(RankedDoc(found, score, self._searcher.stored_fields(found), others))
        return docs

    def count_matches(self, query: QueryTree, filters: Filters) -> int:
        """Exactly how many live documents match ``query`` within ``filters``."""
        ids, _scores = self._scorer.flatten(self._matches_of(query), self._inside(filters.query))
        return len(ids)

    def undated_matches(self, query: QueryTree, filters: Filters) -> int:
        """How many documents a date filter left out for having no date (0 without one).

        A date filter cannot keep these, since they have no date to compare; a
        user who asks for "since 2000" should hear how many were left out.
        """
        if not filters.by_date:
            return 0
        scorer = self._scorer
        ids, _scores = scorer.flatten(self._matches_of(query), self._inside(filters.outlet))
        return scorer.undated_count(scorer.split(ids))

    def highlight_terms(self, query: QueryTree) -> dict[str, set[str]]:
        """The terms worth highlighting in a hit, by field (see ``highlight_terms``)."""
        return highlight_terms(query, self._searcher.reader())

    def outlet_counts(self, query: QueryTree, filters: Filters) -> dict[str, int]:
        """How many of every match (not just the ranked ones) each outlet has."""
        return self._scorer.outlet_counts(self._every_match(query, filters))

    def _every_match(self, query: QueryTree, filters: Filters) -> list[Any]:
        """Each segment's local ids of every match within ``filters``, for the facets.

        Kept for the session, so several facets and a histogram filter the
        matches once.
        """
        key = (id(query), id(filters))
        remembered = self._every.get(key)
        if remembered is not None and remembered[0] is query and remembered[1] is filters:
            return remembered[2]
        scorer = self._scorer
        ids, _scores = scorer.flatten(self._matches_of(query), self._inside(filters.query))
        split = scorer.split(ids)
        self._every[key] = (query, filters, split)
        return split

    def author_counts(self, query: QueryTree, filters: Filters) -> dict[str, int]:
        """How many of every match each author has (``facets.author_counts``)."""
        segments = self._scorer.collection.segments
        return author_counts(segments, self._every_match(query, filters))

    def histogram(
        self, query: QueryTree, filters: Filters, interval: str
    ) -> tuple[list[tuple[date, int]], int]:
        """Every match per date bucket, and the undated matches (``facets.histogram``)."""
        segments = self._scorer.collection.segments
        return histogram(segments, self._every_match(query, filters), interval)

    def typed_vocabulary(self) -> dict[str, int]:
        """Every typed word of the index with its document frequency (see ``document_arrays``).

        Summed over the segments once per collection (a commit makes a new
        one), so only the first search that needs a spelling pays for it.
        """
        collection = self._scorer.collection
        found = _VOCABULARIES.get(collection)
        if found is None:
            found = _VOCABULARIES[collection] = merged_vocabulary(
                segment.arrays for segment in collection.segments
            )
        return found

    def has_typed_word(self, word: str) -> bool:
        """Whether some document holds ``word`` as typed (folded, unstemmed).

        True when no segment's arrays record typed words (an older index), so
        such an index never reports a word missing.
        """
        answers = [s.arrays.has_typed_word(word) for s in self._scorer.collection.segments]
        return any(answers) or all(answer is None for answer in answers)

    def term_frequency(self, term: str) -> int:
        """How many live documents hold an index term (a stem) in the title or the body."""
        collection = self._scorer.collection
        return max(collection.doc_frequency(name, term) for name in TEXT_FIELDS)

    def document(self, doc_id: str) -> dict[str, Any] | None:
        """The stored fields of the document with this id, or None."""
        stored: dict[str, Any] | None = self._searcher.document(id=doc_id)
        return stored

    def scan_columns(self, sources: dict[str, int]) -> tuple[int, datetime | None, datetime | None]:
        """Live documents, and the first and last publication dates, counting outlets into
        ``sources``; read from column storage only."""
        return _scan_columns(self._searcher.reader(), sources)


class IndexReader:
    """An index opened for searching, safe to share between threads."""

    def __init__(
        self,
        index_dir: str,
        groups: tuple[AliasGroup, ...] | Any,
        settings: RankingSettings | None = None,
    ) -> None:
        self.index_dir = index_dir
        self._ix = open_index(index_dir, groups)
        self._parsers = {
            True: make_parser(self._ix.schema),
            False: make_parser(build_schema(groups, query_aliases=False)),
        }
        self._ranker = Ranker(settings)
        self._local = threading.local()
        self._arrays: dict[str, SegmentArrays] = {}
        self._open_searchers: list[WhooshSearcher] = []
        self._lock = threading.Lock()
        self._closed = False

    def parser(self, aliases: bool) -> QueryParser:
        """The query parser for this index, recognising its alias groups or not."""
        return self._parsers[aliases]

    @contextmanager
    def session(self, statistics: GlobalStatistics | None = None) -> Iterator[ReadSession]:
        """This thread's reads for one search; damage met inside becomes IndexCorruptError.

        The whole block counts, so work done with what was read (snippets)
        is covered too; an error from our own code there passes unchanged.
        ``statistics`` replaces this index's own (a shard scores with global ones).
        """
        with reported_as_damage(self.index_dir):
            searcher, collection = self._searcher()
            yield ReadSession(searcher, collection, self._ranker, statistics)

    def _replace_searcher(self, current: WhooshSearcher | None) -> WhooshSearcher:
        """A new Whoosh searcher on the latest commit, closing ``current``.

        Not Whoosh's refresh(): its reader reuse misses new deletions in
        segments it already had open.
        """
        fresh = self._ix.searcher(weighting=self._ranker.weighting())
        with self._lock:
            if current is not None:
                self._open_searchers.remove(current)
            self._open_searchers.append(fresh)
        if current is not None:
            current.close()
        return fresh

    def _searcher(self) -> tuple[WhooshSearcher, Collection]:
        """This thread's searcher on the latest commit, and its segments' arrays."""
        if self._closed:
            raise SearchkitError("this Searcher is closed")
        current: WhooshSearcher | None = getattr(self._local, "searcher", None)
        if current is None or not current.up_to_date():
            current = self._replace_searcher(current)
        collection: Collection | None = getattr(self._local, "collection", None)
        attempt = 0
        while collection is None or collection.searcher is not current:
            try:
                collection = Collection(current, self.index_dir, self._arrays)
            except ArraysMissing:
                # A commit replaced a segment between opening the searcher and its
                # arrays (and deleted both): the next commit's searcher has them.
                attempt += 1
                if current.up_to_date() or attempt == READER_ATTEMPTS:
                    raise
                current = self._replace_searcher(current)
        self._local.searcher = current
        self._local.collection = collection
        return current, collection

    def close(self) -> None:
        """Close every per-thread Whoosh searcher and the index."""
        self._closed = True
        with self._lock:
            for searcher in self._open_searchers:
                searcher.close()
            self._open_searchers.clear()
        self._ix.close()
