"""One shard's side of a sharded search: the phases, each answering in plain picklable values.

A ``ShardSearcher`` is an ordinary ``Searcher`` on one shard folder that can
also answer the coordinator's phases (``coordinator.ShardedSearcher``): its
part of the collection statistics, its part of the first pass, its ranking
pieces scored with the global statistics, and finally the hits of the
documents the coordinator chose. Every answer is a frozen dataclass or a
builtin, so it crosses a process boundary (Dask) as easily as a call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from searchkit.engine.arrays import TEXT_FIELDS
from searchkit.engine.query_tree import SEARCH_FIELDS, is_nothing
from searchkit.engine.ranking import RERANK_DEPTH, FirstPass
from searchkit.engine.reading import Filters, GlobalStatistics, RankedDoc, ReadSession
from searchkit.errors import DocumentNotFoundError
from searchkit.models import Article, Hit, IndexStats
from searchkit.query import ParsedQuery, expansion_warnings
from searchkit.searcher import Searcher

Term = tuple[str, str]


@dataclass(frozen=True)
class QuerySpec:
    """A search's options, as every shard receives them (validated by the coordinator)."""

    query: str
    limit: int = 10
    page: int = 1
    source: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    sort: str = "relevance"
    use_synonyms: bool = True
    facets: bool = False
    snippets: bool = True
    facet_fields: tuple[str, ...] = ()
    interval: str | None = None

    @property
    def wanted(self) -> int:
        """How many documents of the ranking the page needs, from the top."""
        return self.page * self.limit


@dataclass(frozen=True)
class ShardStatistics:
    """Phase 1: a shard's part of the statistics of the query's terms."""

    doc_count: int
    field_lengths: dict[str, float]
    doc_frequencies: dict[Term, int]
    whoosh_frequencies: dict[Term, int]


@dataclass(frozen=True)
class ShardFirstPass:
    """A shard's best first-pass documents (score, docnum), and the term counts of its best
    ``feedback_docs`` (the most the global best can hold from one shard)."""

    feedback: bool
    best: list[tuple[float, int]]
    terms: list[dict[str, int]]


@dataclass(frozen=True)
class ShardRanking:
    """Phase 2: a shard's ranking pieces (see ``ReadSession.rank_parts``) and its counts."""

    rescored: list[tuple[float, int]]
    ranked: list[tuple[float, int]]
    dates: list[int]
    reranked: int
    total: int
    undated: int
    facets: dict[str, int]
    warnings: list[str]
    parsed_query: str
    expanded_query: str
    nothing: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    facet_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    """Every match here counted per value of each of ``QuerySpec.facet_fields``."""
    histogram: list[tuple[date, int]] | None = None
    """Every match here per calendar bucket of ``QuerySpec.interval`` (None: not asked)."""
    histogram_undated: int = 0


class ShardSearcher(Searcher):
    """A Searcher on one shard that also answers the coordinator's phases."""

    def _prepared(
        self, session: ReadSession, spec: QuerySpec
    ) -> tuple[ParsedQuery, ParsedQuery, Filters, list[str], str | None]:
        """The query parsed and cut to its rarest words, its filters, and its warnings."""
        parsed, plain = self._parse(spec.query, spec.use_synonyms)
        warnings = list(parsed.warnings)
        filters, filter_warnings = self._filters(session, spec.source, spec.since, spec.until)
        warnings.extend(filter_warnings)
        cut: str | None = None
        if not is_nothing(parsed.query) and not filters.matches_nothing:
            kept, cut = session.keep_rarest_words(parsed.query)
            if cut:
                from dataclasses import replace

                parsed = replace(parsed, query=kept)
                warnings.append(cut)
        return parsed, plain, filters, warnings, cut

    def statistics(self, spec: QuerySpec) -> ShardStatistics:
        """Phase 1: live documents, field length sums and the query terms' frequencies here.

        Every text term of the parsed query is asked in both search fields,
        which covers what ``keep_rarest_words`` and BM25F will look up.
        """
        parsed, _plain = self._parse(spec.query, spec.use_synonyms)
        words = {
            text
            for fieldname, text in parsed.query.iter_all_terms(phrases=True)
            if fieldname in TEXT_FIELDS and isinstance(text, str)
        }
        terms = sorted((name, word) for word in words for name in SEARCH_FIELDS)
        with self._engine.session() as session:
            stats, live, whoosh = session.local_statistics(terms)
        return ShardStatistics(stats.doc_count, dict(stats.field_lengths), live, whoosh)

    def doc_frequencies(self, terms: list[Term]) -> dict[Term, int]:
        """Live document frequencies of ``terms`` here (feedback words' global df)."""
        with self._engine.session() as session:
            _stats, live, _whoosh = session.local_statistics(terms)
        return live

    def first_pass(
        self, spec: QuerySpec, statistics: GlobalStatistics, depth: int = RERANK_DEPTH
    ) -> ShardFirstPass:
        """This shard's best ``depth`` first-pass documents under the global statistics."""
        feedback_docs = self._engine._ranker.settings.feedback_docs
        with self._engine.session(statistics) as session:
            parsed, _plain, filters, _warnings, _cut = self._prepared(session, spec)
            if spec.sort != "relevance" or is_nothing(parsed.query) or filters.matches_nothing:
                return ShardFirstPass(False, [], [])
            wants, best = session.first_pass(parsed.query, parsed.text, filters, depth)
            terms = [session.doc_terms(docnum) for docnum, _score in best[:feedback_docs]]
        return ShardFirstPass(wants, [(score, docnum) for docnum, score in best], terms)

    def rank(
        self, spec: QuerySpec, statistics: GlobalStatistics, first_pass: FirstPass | None
    ) -> ShardRanking:
        """Phase 2: this shard's ranking pieces and counts under the global statistics."""
        with self._engine.session(statistics) as session:
            parsed, plain, filters, warnings, _cut = self._prepared(session, spec)
            if is_nothing(parsed.query) or filters.matches_nothing:
                explain = (str(plain.query), self._describe(parsed.query))
                return ShardRanking([], [], [], 0, 0, 0, {}, warnings, *explain, nothing=True)
            rescored, ranked, reranked, scored_query, dates = session.rank_parts(
                parsed.query, parsed.text, filters, spec.wanted, spec.sort, first_pass
            )
            warnings.extend(expansion_warnings(parsed))
            total = session.count_matches(parsed.query, filters)
            undated = session.undated_matches(parsed.query, filters)
            facets = session.outlet_counts(parsed.query, filters) if spec.facets else {}
            facet_counts = self._facet_counts(session, parsed.query, filters, spec.facet_fields)
            buckets: list[tuple[date, int]] | None = None
            undated_matches = 0
            if spec.interval is not None:
                buckets, undated_matches = session.histogram(parsed.query, filters, spec.interval)
        return ShardRanking(
            [(score, docnum) for docnum, score in rescored],
            [(score, docnum) for docnum, score in ranked],
            dates,
            reranked,
            total,
            undated,
            facets,
            warnings,
            str(plain.query),
            self._describe_text(scored_query),
            facet_counts=facet_counts,
            histogram=buckets,
            histogram_undated=undated_matches,
        )

    def hits(
        self, spec: QuerySpec, statistics: GlobalStatistics, chosen: list[tuple[float, int]]
    ) -> list[Hit]:
        """The hits (rank 0, set by the coordinator) of the chosen (score, docnum) pairs."""
        with self._engine.session(statistics) as session:
            parsed, _plain, _filters, _warnings, _cut = self._prepared(session, spec)
            wanted = session.highlight_terms(parsed.query) if spec.snippets else None
            return [
                self._hit(RankedDoc(docnum, score, session.stored(docnum)), 0, wanted)
                for score, docnum in chosen
            ]

    def ranking(self, spec: QuerySpec) -> tuple[list[tuple[str, float]], int]:
        """One index's (id, unrounded score) page and total, ranked exactly as ``search``
        ranks (the reference the sharded search is compared with)."""
        with self._engine.session() as session:
            parsed, _plain, filters, _warnings, _cut = self._prepared(session, spec)
            if is_nothing(parsed.query) or filters.matches_nothing:
                return [], 0
            ranking = session.rank(
                parsed.query, parsed.text, filters, spec.limit, spec.page, spec.sort
            )
            total = session.count_matches(parsed.query, filters)
            return [(doc.stored["id"], float(doc.score or 0.0)) for doc in ranking.docs], total

    def document(self, doc_id: str) -> Article | None:
        """The stored article with this id here, or None."""
        try:
            return self.get(doc_id)
        except DocumentNotFoundError:
            return None

    def summary(self) -> IndexStats:
        """This shard's ``stats()``."""
        return self.stats()
