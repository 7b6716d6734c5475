"""Exact search over the shards of a sharded index: statistics first, then scoring.

``ShardedSearcher`` answers ``Searcher``'s calls over every shard:

1. *Statistics*: each shard reports its live document count, field length
   sums and the query terms' document frequencies; their sums are exactly
   the statistics of the one index the shards make up.
2. *First pass* (free-text queries under relevance order, which get
   feedback): each shard's best RERANK_DEPTH documents under the global
   statistics, merged into the global best; the relevance model is built
   from the best ``feedback_docs`` of them (term counts from their shards),
   and the feedback words' document frequencies are summed over shards.
3. *Ranking*: each shard scores with the global statistics (and the global
   first pass) and answers its best documents, total, undated count and
   facets; the coordinator merges them and the page's hits are fetched from
   the shards that hold them.

So scores, order, totals, facets and histograms equal one index's, except for ties:
documents of exactly equal score are ordered by shard number, then by their
order in their shard (one index orders them by indexing order). Phrases,
wildcards and other subtrees Whoosh scores itself use their shard's own
statistics (their matches and counts stay exact).

Duplicate groups and stories are assigned per shard at commit (routing is by
id, so copies of one text land on different shards, numbered apart), so a
sharded search does not collapse: every copy is a result, as one index's
``collapse=False``, and feedback counts each of the best documents rather
than each group once (``RankingSettings.feedback_per_group`` is off on the
shards). Asked to collapse (the default), it says so in a warning;
``by_story``, ``story`` and ``similar`` raise QueryError; hits carry no
``copies`` or ``story_id``; there is no spelling suggestion. The one index
these results are exact against is therefore searched with
``collapse=False`` and ``feedback_per_group=False`` (docs/scaling.md).

A shard that cannot be opened or does not answer is left out with a warning
naming it and ``SearchResults.partial``; with ``require_all`` it is an error.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from searchkit.date_bounds import DateLike
from searchkit.distributed.executors import DEFAULT_TIMEOUT, DaskShards, InProcessShards, ShardCalls
from searchkit.distributed.manifest import read_manifest
from searchkit.distributed.routing import shard_of
from searchkit.distributed.shard import QuerySpec, ShardFirstPass, ShardRanking, ShardStatistics
from searchkit.engine.arrays import TEXT_FIELDS
from searchkit.engine.ranking import RERANK_DEPTH, FirstPass, feedback_words, relevance_model
from searchkit.engine.reading import GlobalStatistics
from searchkit.engine.scorer import CollectionStats
from searchkit.engine.storage import index_bytes
from searchkit.errors import DocumentNotFoundError, QueryError, ShardUnavailableError
from searchkit.models import (
    Article,
    Histogram,
    HistogramBucket,
    Hit,
    IndexStats,
    RankingSettings,
    SearchResults,
    Story,
)
from searchkit.searcher import Searcher, check_facets, check_histogram, check_options

log = logging.getLogger("searchkit")

Pair = tuple[float, int]
Keyed = tuple[tuple[Any, ...], int, Pair]
"""A document in a merge: its sort key, its shard and its (score, docnum)."""

_RERANK_TEXT = re.compile(r"rerank\(first \d+\)")

COPIES_UNCOLLAPSED = (
    "copies are not collapsed on a sharded index (each shard numbers its own duplicate "
    "groups): every copy is a result"
)
"""The warning a sharded search gives when asked to collapse (the default)."""
STORIES_UNSHARDED = "stories are not available on a sharded index: each shard numbers its own"


def merge_statistics(answers: list[ShardStatistics]) -> GlobalStatistics:
    """The sums of the shards' statistics: the whole index's."""
    lengths = dict.fromkeys(TEXT_FIELDS, 0.0)
    live: dict[tuple[str, str], int] = {}
    whoosh: dict[tuple[str, str], int] = {}
    count = 0
    for answer in answers:
        count += answer.doc_count
        for name, length in answer.field_lengths.items():
            lengths[name] = lengths.get(name, 0.0) + length
        for key, df in answer.doc_frequencies.items():
            live[key] = live.get(key, 0) + df
        for key, df in answer.whoosh_frequencies.items():
            whoosh[key] = whoosh.get(key, 0) + df
    return GlobalStatistics(CollectionStats(count, lengths), live, whoosh)


def merge_facet_counts(
    names: tuple[str, ...], answers: list[ShardRanking]
) -> dict[str, dict[str, int]]:
    """Each facet's counts summed over the shards, most common first (as one index orders
    them): a match is on one shard only, so the sums are the whole index's counts."""
    merged: dict[str, dict[str, int]] = {}
    for name in names:
        counts: dict[str, int] = {}
        for answer in answers:
            for value, count in answer.facet_counts.get(name, {}).items():
                counts[value] = counts.get(value, 0) + count
        merged[name] = dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
    return merged


def merge_histograms(interval: str | None, answers: list[ShardRanking]) -> Histogram | None:
    """The shards' histograms added bucket by bucket: buckets are calendar days, ISO weeks,
    months or years, the same on every shard, so the sums are the whole index's."""
    if interval is None:
        return None
    per_bucket: dict[date, int] = {}
    undated = 0
    for answer in answers:
        for start, count in answer.histogram or []:
            per_bucket[start] = per_bucket.get(start, 0) + count
        undated += answer.histogram_undated
    buckets = tuple(HistogramBucket(start, per_bucket[start]) for start in sorted(per_bucket))
    return Histogram(interval, buckets, undated)


def _by_score(answers: Mapping[int, list[Pair]], limit: int) -> list[Keyed]:
    """The best ``limit`` of the shards' (score, docnum) lists: score, then shard, then docnum."""
    keyed = [
        ((-score, shard, docnum), shard, (score, docnum))
        for shard, pairs in answers.items()
        for score, docnum in pairs
    ]
    keyed.sort(key=lambda item: item[0])
    return keyed[:limit]


def _by_date(answers: Mapping[int, ShardRanking], limit: int) -> list[Keyed]:
    """Newest first (undated last), then shard, then last-indexed first within a shard."""
    keyed = [
        ((-date, shard, -docnum), shard, (score, docnum))
        for shard, answer in answers.items()
        for date, (score, docnum) in zip(answer.dates, answer.ranked, strict=True)
    ]
    keyed.sort(key=lambda item: item[0])
    return keyed[:limit]


class ShardedSearcher(Searcher):
    """A Searcher over a sharded index (see the module docstring).

    ``scheduler`` (a Dask scheduler address or ``distributed.Client``) runs
    the shard phases on a cluster; without one the shards are searched in
    this process. ``timeout`` bounds each phase on a cluster, in seconds.
    """

    def __init__(
        self,
        index_dir: str | os.PathLike[str],
        *,
        synonyms: str | os.PathLike[str] | None = None,
        settings: RankingSettings | None = None,
        scheduler: Any = None,
        require_all: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        global_statistics: bool = True,
    ) -> None:
        """Open the sharded index at ``index_dir``; ``global_statistics=False`` scores each
        shard with its own statistics (what other engines do by default; for comparison)."""
        self.index_dir = str(index_dir)
        self.manifest = read_manifest(self.index_dir)
        self.shard_dirs = self.manifest.shard_dirs(self.index_dir)
        self.require_all = require_all
        self.global_statistics = global_statistics
        # Groups are numbered per shard, so feedback cannot count a group once (module doc).
        self._settings = replace(
            settings if settings is not None else RankingSettings(), feedback_per_group=False
        )
        synonyms_text = str(synonyms) if synonyms is not None else None
        self._calls: ShardCalls
        if scheduler is None:
            self._calls = InProcessShards(self.shard_dirs, synonyms_text, self._settings)
        else:
            self._calls = DaskShards(
                self.shard_dirs, scheduler, synonyms_text, self._settings, timeout
            )

    # -- running phases -------------------------------------------------------

    def _phase(
        self,
        method: str,
        args: Mapping[int, tuple[Any, ...]],
        failed: dict[int, str],
    ) -> dict[int, Any]:
        """Run a phase on the shards named in ``args``; failures go into ``failed``."""
        answers = self._calls.call(method, args)
        good: dict[int, Any] = {}
        for number, answer in answers.items():
            if isinstance(answer, BaseException):
                failed[number] = f"{type(answer).__name__}: {answer}"
                log.warning("shard %s failed in %s: %s", self.shard_dirs[number], method, answer)
            else:
                good[number] = answer
        if failed and self.require_all:
            names = [str(self.shard_dirs[number]) for number in sorted(failed)]
            raise ShardUnavailableError(
                names, "shards did not answer: " + "; ".join(self._failure_text(failed))
            )
        if not good and args:
            names = [str(self.shard_dirs[number]) for number in sorted(failed)]
            raise ShardUnavailableError(
                names, "no shard answered: " + "; ".join(self._failure_text(failed))
            )
        return good

    def _failure_text(self, failed: dict[int, str]) -> list[str]:
        return [f"shard {n} ({self.shard_dirs[n]}): {failed[n]}" for n in sorted(failed)]

    # -- public API -----------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        page: int = 1,
        source: str | None = None,
        since: DateLike = None,
        until: DateLike = None,
        sort: str = "relevance",
        use_synonyms: bool = True,
        facets: bool = False,
        snippets: bool = True,
        collapse: bool = True,
        by_story: bool = False,
        facet: str | Sequence[str] | None = None,
        histogram: str | None = None,
        spelling: bool = True,
        exact: bool = False,
    ) -> SearchResults:
        """``Searcher.search`` over every shard, with global statistics (exact scores).

        What a sharded index answers differently (see the module docstring):
        every copy of a text is a result (``collapse`` only adds a warning
        saying so, ``groups`` is None), ``by_story`` raises QueryError, hits
        carry no ``copies`` or ``story_id``, and there is no spelling
        suggestion (``spelling`` and ``exact`` change nothing). Facets and the
        histogram are exact: sums of the shards' counts.

        Shards that fail are left out: their names are in ``warnings`` and
        ``partial`` is True; with ``require_all`` ShardUnavailableError is
        raised instead (also when no shard answers at all).
        """
        start, end = check_options(limit, page, sort, since, until)
        facet_fields = check_facets(facet, facets)
        check_histogram(histogram)
        if by_story:
            raise QueryError(STORIES_UNSHARDED)
        spec = QuerySpec(
            query,
            limit,
            page,
            source,
            start,
            end,
            sort,
            use_synonyms,
            facets,
            snippets,
            facet_fields,
            histogram,
        )
        results = self._search(spec)[0]
        if collapse:
            results = replace(results, warnings=(*results.warnings, COPIES_UNCOLLAPSED))
        return results

    def story(self, story_id: int | str) -> Story:
        """Not available: each shard numbers its own stories (QueryError)."""
        raise QueryError(STORIES_UNSHARDED)

    def similar(self, doc_id: str, *, limit: int = 10) -> SearchResults:
        """Not available: it leaves out the article's duplicate group, which a shard only
        knows among its own documents (QueryError)."""
        raise QueryError(
            "similar articles are not available on a sharded index: duplicate groups are "
            "numbered per shard"
        )

    def _search(self, spec: QuerySpec) -> tuple[SearchResults, list[float]]:
        """The results of ``spec`` and its hits' unrounded scores."""
        failed: dict[int, str] = {}
        everyone = {number: (spec,) for number in range(self.manifest.shard_count)}
        statistics_of: dict[int, GlobalStatistics] = {}
        if self.global_statistics:
            shard_stats = self._phase("statistics", everyone, failed)
            merged = merge_statistics([shard_stats[n] for n in sorted(shard_stats)])
            statistics_of = dict.fromkeys(shard_stats, merged)
        else:
            shard_stats = self._phase("statistics", everyone, failed)
            statistics_of = {n: merge_statistics([answer]) for n, answer in shard_stats.items()}
        first_passes = self._first_pass(spec, statistics_of, failed)
        rank_args = {
            number: (spec, statistics_of[number], first_passes.get(number))
            for number in statistics_of
            if number not in failed
        }
        rankings: dict[int, ShardRanking] = self._phase("rank", rank_args, failed)
        return self._results(spec, rankings, statistics_of, failed)

    def _first_pass(
        self,
        spec: QuerySpec,
        statistics_of: dict[int, GlobalStatistics],
        failed: dict[int, str],
    ) -> dict[int, FirstPass]:
        """The global first pass each shard's feedback uses (none: the query gets none).

        Also adds the feedback words' global frequencies to the statistics.
        """
        if spec.sort != "relevance":
            return {}
        args = {n: (spec, stats) for n, stats in statistics_of.items() if n not in failed}
        answers: dict[int, ShardFirstPass] = self._phase("first_pass", args, failed)
        if not any(answer.feedback for answer in answers.values()):
            return {}
        if not self.global_statistics:
            return self._local_first_passes(answers, statistics_of, failed)
        best = _by_score({n: a.best for n, a in answers.items()}, RERANK_DEPTH)
        feedback_docs = self._settings.feedback_docs
        taken: dict[int, int] = {}
        first: list[tuple[float, dict[str, int]]] = []
        for _key, shard, (score, _docnum) in best[:feedback_docs]:
            place = taken.get(shard, 0)
            taken[shard] = place + 1
            first.append((score, answers[shard].terms[place]))
        model = relevance_model(first)
        stats = next(iter(statistics_of.values()))
        self._feedback_frequencies(model, stats, set(answers), failed)
        reranked = len(best)
        docnums: dict[int, set[int]] = {n: set() for n in answers}
        for _key, shard, (_score, docnum) in best:
            docnums[shard].add(docnum)
        return {n: FirstPass(model, frozenset(docnums[n]), reranked) for n in answers}

    def _local_first_passes(
        self,
        answers: dict[int, ShardFirstPass],
        statistics_of: dict[int, GlobalStatistics],
        failed: dict[int, str],
    ) -> dict[int, FirstPass]:
        """Each shard's own feedback (the comparison mode without global statistics)."""
        passes: dict[int, FirstPass] = {}
        for number, answer in answers.items():
            scores = [score for score, _docnum in answer.best[: len(answer.terms)]]
            model = relevance_model(list(zip(scores, answer.terms, strict=True)))
            self._feedback_frequencies(model, statistics_of[number], {number}, failed)
            docnums = frozenset(docnum for _score, docnum in answer.best)
            passes[number] = FirstPass(model, docnums, len(answer.best))
        return passes

    def _feedback_frequencies(
        self,
        model: dict[str, float],
        stats: GlobalStatistics,
        shards: set[int],
        failed: dict[int, str],
    ) -> None:
        """Sum the feedback candidates' frequencies over ``shards`` into ``stats``.

        ``feedback_words`` looks words up in model order until it has enough,
        so the words are fetched in growing prefixes of that order until a
        run of it needs nothing more: exactly the frequencies it will use.
        """
        ranked = [w for w, _p in sorted(model.items(), key=lambda item: (-item[1], item[0]))]
        fieldnames = list(TEXT_FIELDS)
        known = stats.doc_frequencies
        step = max(4 * self._settings.feedback_terms, 16)
        fetched = 0

        class _Missing(Exception):
            pass

        def lookup(fieldname: str, word: str) -> int:
            found = known.get((fieldname, word))
            if found is None:
                raise _Missing
            return found

        while True:
            try:
                feedback_words(model, lookup, stats.stats.doc_count, fieldnames, self._settings)
                return
            except _Missing:
                pass
            wanted = [
                (name, word)
                for word in ranked[fetched : fetched + step]
                for name in fieldnames
                if (name, word) not in known
            ]
            fetched += step
            step *= 2
            args = {n: (wanted,) for n in shards if n not in failed}
            answers = self._phase("doc_frequencies", args, failed)
            for key in wanted:
                known[key] = sum(answer.get(key, 0) for answer in answers.values())

    def _results(
        self,
        spec: QuerySpec,
        rankings: dict[int, ShardRanking],
        statistics_of: dict[int, GlobalStatistics],
        failed: dict[int, str],
    ) -> tuple[SearchResults, list[float]]:
        """Merge the shards' rankings and counts, and fetch the page's hits (and their
        unrounded scores)."""
        first = rankings[min(rankings)]
        warnings = [w for w in first.warnings if all(w in r.warnings for r in rankings.values())]
        if all(r.nothing for r in rankings.values()):
            warnings.extend(self._shard_warnings(failed))
            nothing = SearchResults(
                spec.query, (), 0, spec.page, spec.limit, first.parsed_query,
                first.expanded_query, tuple(warnings), {}, 0,
                facet_counts={name: {} for name in spec.facet_fields},
                histogram=Histogram(spec.interval) if spec.interval else None,
                partial=bool(failed),
            )  # fmt: skip
            return nothing, []
        ranked = self._merged_ranking(spec, rankings)
        window = ranked[(spec.page - 1) * spec.limit : spec.page * spec.limit]
        by_shard: dict[int, list[Pair]] = {}
        for _key, shard, pair in window:
            by_shard.setdefault(shard, []).append(pair)
        hit_args = {n: (spec, statistics_of[n], pairs) for n, pairs in by_shard.items()}
        fetched: dict[int, list[Hit]] = self._phase("hits", hit_args, failed) if hit_args else {}
        hits: list[Hit] = []
        raw: list[float] = []
        position = {n: 0 for n in fetched}
        for _key, shard, (score, _docnum) in window:
            if shard not in fetched:
                continue
            hit = fetched[shard][position[shard]]
            position[shard] += 1
            hits.append(_ranked(hit, (spec.page - 1) * spec.limit + len(hits) + 1))
            raw.append(score)
        facets: dict[str, int] = {}
        for ranking in rankings.values():
            for name, count in ranking.facets.items():
                facets[name] = facets.get(name, 0) + count
        facet_counts = merge_facet_counts(spec.facet_fields, list(rankings.values()))
        if "source" in facet_counts:
            facets = dict(facet_counts["source"])
        reranked = max(r.reranked for r in rankings.values())
        expanded = _RERANK_TEXT.sub(f"rerank(first {reranked})", first.expanded_query)
        warnings.extend(self._shard_warnings(failed))
        results = SearchResults(
            spec.query,
            tuple(hits),
            sum(r.total for r in rankings.values()),
            spec.page,
            spec.limit,
            first.parsed_query,
            expanded,
            tuple(warnings),
            facets,
            sum(r.undated for r in rankings.values()),
            facet_counts=facet_counts,
            histogram=merge_histograms(spec.interval, list(rankings.values())),
            partial=bool(failed),
        )
        return results, raw

    def _merged_ranking(self, spec: QuerySpec, rankings: dict[int, ShardRanking]) -> list[Keyed]:
        """The global ranking's best ``spec.wanted``, as ``ReadSession.rank`` joins it."""
        wanted = spec.wanted
        if spec.sort == "date":
            return _by_date(rankings, wanted)
        base = _by_score({n: r.ranked for n, r in rankings.items()}, wanted)
        reranked = max(r.reranked for r in rankings.values())
        if not reranked:
            return base
        ranked = _by_score({n: r.rescored for n, r in rankings.items()}, wanted)
        if wanted > reranked:
            ranked.extend(base[reranked:])
        return ranked

    def _shard_warnings(self, failed: dict[int, str]) -> list[str]:
        return [
            f"shard {n} ({self.shard_dirs[n]}) was left out: {failed[n]}" for n in sorted(failed)
        ]

    def ranking(self, spec: QuerySpec) -> tuple[list[tuple[str, float]], int]:
        """The (id, unrounded score) pairs of a search's page and its total (for the
        exactness checks; ``ShardSearcher.ranking`` is one index's)."""
        results, raw = self._search(spec)
        return [
            (hit.id, score) for hit, score in zip(results.hits, raw, strict=True)
        ], results.total

    def get(self, doc_id: str) -> Article:
        """The stored article with this id, from the shard its id routes to."""
        number = shard_of(doc_id, self.manifest.shard_count)
        failed: dict[int, str] = {}
        self_require = self.require_all
        self.require_all = True
        try:
            answer = self._phase("document", {number: (doc_id,)}, failed)
        finally:
            self.require_all = self_require
        article: Article | None = answer[number]
        if article is None:
            raise DocumentNotFoundError(doc_id)
        return article

    def stats(self) -> IndexStats:
        """Every shard's stats added up (sizes over the whole sharded folder)."""
        failed: dict[int, str] = {}
        everyone = {number: () for number in range(self.manifest.shard_count)}
        answers: dict[int, IndexStats] = self._phase("summary", everyone, failed)
        sources: dict[str, int] = {}
        firsts: list[datetime] = []
        lasts: list[datetime] = []
        updated: list[datetime] = []
        for answer in answers.values():
            for name, count in answer.sources.items():
                sources[name] = sources.get(name, 0) + count
            firsts += [answer.first_published] if answer.first_published else []
            lasts += [answer.last_published] if answer.last_published else []
            updated += [answer.updated] if answer.updated else []
        some = next(iter(answers.values()))
        return IndexStats(
            documents=sum(answer.documents for answer in answers.values()),
            sources=dict(sorted(sources.items(), key=lambda item: (-item[1], item[0]))),
            first_published=min(firsts, default=None),
            last_published=max(lasts, default=None),
            index_bytes=sum(index_bytes(str(folder)) for folder in _existing(self.shard_dirs)),
            updated=max(updated, default=None),
            schema_version=some.schema_version,
            synonym_groups=some.synonym_groups,
        )

    def close(self) -> None:
        """Close every shard (and the cluster connection this searcher opened)."""
        self._calls.close()


def _existing(folders: list[Path]) -> list[Path]:
    return [folder for folder in folders if folder.is_dir()]


def _ranked(hit: Hit, rank: int) -> Hit:
    return replace(hit, rank=rank)
