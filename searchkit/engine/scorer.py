"""The vectorised scorer: BM25F over the per-segment arrays, one query-tree visitor.

A query tree (Whoosh query objects, as the parser and the ranker build them)
is evaluated bottom-up into, for each segment, the ascending ids of the
documents it matches and their scores. Words searched over title and body
(``FieldedWord``) and single-field words are scored here from the arrays with
numpy; Boolean structure becomes sorted-array set operations with the scores
Whoosh's matchers would add (a union adds, an intersection adds, AndNot keeps
the left side's, AndMaybe adds the right side where the left matches). What
the arrays cannot answer (phrases need positions; wildcards, ranges and other
fields) is matched by Whoosh's own matcher for that subtree, scored by the same
BM25 weighting and statistics, so the tree is matched exactly, whatever it holds.

The statistics (live document count, field lengths, document frequencies) are
computed when the query runs, from every segment's live documents, so they are
exact after incremental updates and deletions; ``CollectionStats`` can also be
given from outside, which is how shards can score with global statistics.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from whoosh import query as wq

from searchkit.engine.arrays import TEXT_FIELDS, ArraysDamaged, SegmentArrays, load_arrays
from searchkit.engine.ranking import (
    FeedbackWords,
    FieldedWord,
    FirstPassOnly,
    ScoredOr,
    lucene_idf,
)
from searchkit.models import RankingSettings

_EMPTY_IDS = np.zeros(0, dtype=np.int64)
_EMPTY_SCORES = np.zeros(0, dtype=np.float64)

Matches = tuple[np.ndarray, np.ndarray]
"""One segment's matches: ascending local document ids and their scores."""


@dataclass(frozen=True)
class CollectionStats:
    """What BM25F needs to know about the whole collection: live documents and field lengths.

    Document frequencies are asked per query word (``Collection.doc_frequency``).
    """

    doc_count: int
    field_lengths: dict[str, float]

    def avg_length(self, fieldname: str) -> float:
        """The mean length of a field over live documents (1.0 for an empty collection)."""
        if not self.doc_count:
            return 1.0
        return self.field_lengths.get(fieldname, 0.0) / self.doc_count or 1.0


@dataclass
class _Segment:
    arrays: SegmentArrays
    offset: int
    leaf: Any
    live: np.ndarray | None
    term_cache: dict[str, int] = field(default_factory=dict)
    term_texts: dict[int, str] = field(default_factory=dict)
    """Vocabulary rows decoded so far (feedback reads the same common words again and again)."""
    _sources: dict[str, int] | None = None

    def source_code(self, name: str) -> int:
        """The segment's code for an outlet name, or -1 if no document of it has that outlet."""
        if self._sources is None:
            self._sources = {n: i for i, n in enumerate(self.arrays.source_names())}
        return self._sources.get(name, -1)

    def live_only(self, ids: np.ndarray) -> np.ndarray:
        """``ids`` without the deleted documents."""
        return ids if self.live is None else ids[self.live[ids]]

    def term_id(self, text: str) -> int:
        found = self.term_cache.get(text)
        if found is None:
            found = self.term_cache[text] = self.arrays.term_id(text)
        return found

    def postings(self, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The live documents holding ``text`` and its title and body frequencies there."""
        row = self.term_id(text)
        if row < 0:
            return _EMPTY_IDS, _EMPTY_IDS, _EMPTY_IDS
        start, end = int(self.arrays.term_offsets[row]), int(self.arrays.term_offsets[row + 1])
        docs = self.arrays.post_docs[start:end]
        title = self.arrays.tf_title[start:end]
        body = self.arrays.tf_body[start:end]
        if self.live is not None:
            keep = self.live[docs]
            docs, title, body = docs[keep], title[keep], body[keep]
        return docs, title, body


class Collection:
    """The segments of one open Whoosh searcher, with their arrays and live masks.

    ``cache`` maps a segment id to its mapped arrays; segments never change
    once written, so a cache kept across searcher refreshes only ever gains
    and drops whole segments.
    """

    def __init__(self, searcher: Any, folder: str, cache: dict[str, SegmentArrays]) -> None:
        self.searcher = searcher
        self.segments: list[_Segment] = []
        for leaf, offset in searcher.leaf_searchers():
            segment = leaf.reader().segment()
            segment_id = segment.segment_id()
            arrays = cache.get(segment_id)
            if arrays is None:
                arrays = cache[segment_id] = load_arrays(folder, segment_id)
            if arrays.doc_count != segment.doc_count_all():
                raise ArraysDamaged(f"{segment_id}'s arrays do not match its segment")
            live = None
            if segment.has_deletions():
                live = np.ones(arrays.doc_count, dtype=bool)
                live[np.fromiter(segment.deleted_docs(), dtype=np.int64)] = False
            self.segments.append(_Segment(arrays, offset, leaf, live))
        self._df_cache: dict[tuple[str, str], int] = {}
        self._stats: CollectionStats | None = None
        self._joined: dict[str, np.ndarray] = {}
        self._id_columns: dict[int, Any] = {}

    def stats(self) -> CollectionStats:
        """This collection's own statistics, over live documents."""
        if self._stats is None:
            count = 0
            lengths = dict.fromkeys(TEXT_FIELDS, 0.0)
            for segment in self.segments:
                arrays = segment.arrays
                if segment.live is None:
                    count += arrays.doc_count
                    lengths["title"] += float(arrays.length_title.sum(dtype=np.float64))
                    lengths["body"] += float(arrays.length_body.sum(dtype=np.float64))
                else:
                    count += int(segment.live.sum())
                    lengths["title"] += float(arrays.length_title[segment.live].sum())
                    lengths["body"] += float(arrays.length_body[segment.live].sum())
            self._stats = CollectionStats(count, lengths)
        return self._stats

    def doc_frequency(self, fieldname: str, text: str) -> int:
        """How many live documents hold ``text`` in ``fieldname``."""
        key = (fieldname, text)
        found = self._df_cache.get(key)
        if found is not None:
            return found
        total = 0
        if fieldname in TEXT_FIELDS:
            for segment in self.segments:
                row = segment.term_id(text)
                if row < 0:
                    continue
                if segment.live is None:
                    df = segment.arrays.df_title if fieldname == "title" else segment.arrays.df_body
                    total += int(df[row])
                else:
                    _docs, title, body = segment.postings(text)
                    total += int(np.count_nonzero(title if fieldname == "title" else body))
        else:
            reader = self.searcher.reader()
            total = int(reader.doc_frequency(fieldname, text))
        self._df_cache[key] = total
        return total

    def per_doc(self, name: str) -> np.ndarray:
        """A per-document array of every segment joined, indexed by global docnum.

        ``name`` is a ``SegmentArrays`` field such as ``duplicate_groups``,
        ``story_ids`` or ``published``; joined once per collection.
        """
        cache = self._joined
        found = cache.get(name)
        if found is None:
            parts = [getattr(segment.arrays, name) for segment in self.segments]
            found = cache[name] = np.concatenate(parts) if parts else _EMPTY_IDS
        return found

    def group_keys(self, name: str) -> np.ndarray:
        """Per global docnum, a key equal for documents of one group (``per_doc(name)``)
        and unique for a document in none (its negated docnum + 1)."""
        key = f"keys:{name}"
        found = self._joined.get(key)
        if found is None:
            numbers = self.per_doc(name)
            alone = -np.arange(1, len(numbers) + 1, dtype=np.int64)
            found = self._joined[key] = np.where(numbers > 0, numbers, alone)
        return found

    def source_of(self, docnum: int) -> str | None:
        """A document's outlet, from its segment's arrays."""
        segment = self.segment_of(docnum)
        code = int(segment.arrays.source_codes[docnum - segment.offset])
        if code < 0:
            return None
        return segment.arrays.source_names()[code]

    def segment_of(self, docnum: int) -> _Segment:
        """The segment holding a global docnum."""
        for segment in reversed(self.segments):
            if docnum >= segment.offset:
                return segment
        raise IndexError(docnum)

    def doc_id(self, docnum: int) -> str:
        """A document's id, from its segment's id column (no stored-field load)."""
        segment = self.segment_of(docnum)
        column = self._id_columns.get(segment.offset)
        if column is None:
            column = self._id_columns[segment.offset] = segment.leaf.reader().column_reader("id")
        return str(column[docnum - segment.offset])

    def live_mask(self) -> np.ndarray:
        """Per global docnum, whether the document is live (not deleted)."""
        found = self._joined.get("live")
        if found is None:
            parts = [
                np.ones(s.arrays.doc_count, dtype=bool) if s.live is None else s.live
                for s in self.segments
            ]
            found = self._joined["live"] = (
                np.concatenate(parts) if parts else np.zeros(0, dtype=bool)
            )
        return found

    def doc_terms(self, docnum: int) -> dict[str, int]:
        """A document's terms over title and body with their counts (the forward index)."""
        for segment in reversed(self.segments):
            if docnum >= segment.offset:
                local = docnum - segment.offset
                arrays = segment.arrays
                start = int(arrays.doc_offsets[local])
                end = int(arrays.doc_offsets[local + 1])
                texts = segment.term_texts
                found: dict[str, int] = {}
                for row, count in zip(
                    arrays.fwd_terms[start:end].tolist(),
                    arrays.fwd_counts[start:end].tolist(),
                    strict=True,
                ):
                    text = texts.get(row)
                    if text is None:
                        text = texts[row] = arrays.term_text(row)
                    found[text] = count
                return found
        return {}


def _union(parts: Sequence[Matches]) -> Matches:
    """Documents matching any part; scores added where several match."""
    parts = [part for part in parts if len(part[0])]
    if not parts:
        return _EMPTY_IDS, _EMPTY_SCORES
    if len(parts) == 1:
        return parts[0]
    # Dense accumulation over the segment's documents: each part's ids are unique, so
    # fancy-index addition is exact, and the parts add in order (as Whoosh's unions do).
    size = int(max(int(part[0][-1]) for part in parts)) + 1
    total = np.zeros(size)
    matched = np.zeros(size, dtype=bool)
    for ids, scores in parts:
        total[ids] += scores
        matched[ids] = True
    found = np.flatnonzero(matched)
    return found, total[found]


def _intersection(left: Matches, right: Matches, add: bool = True) -> Matches:
    ids, at_left, at_right = np.intersect1d(
        left[0], right[0], assume_unique=True, return_indices=True
    )
    scores = left[1][at_left] + right[1][at_right] if add else left[1][at_left]
    return ids, scores


def _without(left: Matches, right: Matches) -> Matches:
    keep = ~np.isin(left[0], right[0], assume_unique=True)
    return left[0][keep], left[1][keep]


def _plus_optional(left: Matches, right: Matches) -> Matches:
    _ids, at_left, at_right = np.intersect1d(
        left[0], right[0], assume_unique=True, return_indices=True
    )
    scores = left[1].copy()
    scores[at_left] += right[1][at_right]
    return left[0], scores


class Scorer:
    """Evaluates query trees over a Collection with BM25F (``RankingSettings``)."""

    def __init__(
        self,
        collection: Collection,
        settings: RankingSettings,
        stats: CollectionStats | None = None,
        doc_frequency: Callable[[str, str], int] | None = None,
    ) -> None:
        self.collection = collection
        self.settings = settings
        self.stats = stats if stats is not None else collection.stats()
        self.doc_frequency = doc_frequency or collection.doc_frequency
        # A query's tree is evaluated once per node: the first pass, the total, the
        # facets and the undated count all reuse the base query's matches.
        self._memo: dict[tuple[int, int], tuple[Any, list[Matches]]] = {}
        # While a subtree is evaluated for a few documents only (feedback re-scores
        # the first pass's best 20), each segment's ids to keep; None: every document.
        self._only: list[np.ndarray] | None = None
        self._norm_cache: dict[tuple[int, str], np.ndarray] = {}
        self._visits: dict[type, Callable[[Any], list[Matches]]] = {
            FieldedWord: self._fielded_word,
            wq.Term: self._term,
            ScoredOr: self._scored_or,
            FeedbackWords: self._plain_union,
            wq.Or: self._or,
            wq.And: self._and,
            wq.AndNot: self._and_not,
            wq.AndMaybe: self._and_maybe,
            wq.Require: self._require,
            FirstPassOnly: self._first_pass_only,
            wq.DateRange: self._date_range,
        }

    # -- the visitor ----------------------------------------------------------

    def evaluate(self, node: Any) -> list[Matches]:
        """Each segment's matches for ``node``: ascending local ids and scores."""
        if node is wq.NullQuery:
            return self._nothing()
        key = (id(node), id(self._only))
        remembered = self._memo.get(key)
        if remembered is not None and remembered[0] is node:
            return remembered[1]
        visit = self._visits.get(type(node))
        result = self._by_whoosh(node) if visit is None else visit(node)
        self._memo[key] = (node, result)
        return result

    def top(
        self, node: Any, within: list[np.ndarray] | None, limit: int
    ) -> list[tuple[int, float]]:
        """The best ``limit`` (global docnum, score) pairs, ties broken by docnum as Whoosh does."""
        ids, scores = self.flatten(self.evaluate(node), within)
        return best(ids, scores, limit)

    def flatten(
        self, per_segment: list[Matches], within: list[np.ndarray] | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Global docnums and scores of per-segment matches, kept to ``within`` if given."""
        all_ids: list[np.ndarray] = []
        all_scores: list[np.ndarray] = []
        for index, (segment, (ids, scores)) in enumerate(
            zip(self.collection.segments, per_segment, strict=True)
        ):
            if within is not None:
                keep = np.isin(ids, within[index], assume_unique=True)
                ids, scores = ids[keep], scores[keep]
            all_ids.append(ids.astype(np.int64) + segment.offset)
            all_scores.append(scores)
        if not all_ids:
            return _EMPTY_IDS, _EMPTY_SCORES
        return np.concatenate(all_ids), np.concatenate(all_scores)

    def outlet_counts(self, per_segment: list[np.ndarray]) -> dict[str, int]:
        """How many of the given documents each outlet has (documents without one left out)."""
        counts: dict[str, int] = {}
        for segment, ids in zip(self.collection.segments, per_segment, strict=True):
            codes = segment.arrays.source_codes[ids]
            codes = codes[codes >= 0]
            if not len(codes):
                continue
            names = segment.arrays.source_names()
            for code, count in enumerate(np.bincount(codes, minlength=len(names)).tolist()):
                if count:
                    counts[names[code]] = counts.get(names[code], 0) + count
        return counts

    def undated_count(self, per_segment: list[np.ndarray]) -> int:
        """How many of the given documents have no publication date."""
        return sum(
            int(np.count_nonzero(segment.arrays.published[ids] == 0))
            for segment, ids in zip(self.collection.segments, per_segment, strict=True)
        )

    def newest_first(
        self, ids: np.ndarray, scores: np.ndarray, limit: int
    ) -> list[tuple[int, float]]:
        """The ``limit`` newest of the given global docnums (undated last), with their scores.

        Documents of the same date come last-indexed first, as Whoosh's
        reversed sort gives them.
        """
        published = (
            np.concatenate([segment.arrays.published for segment in self.collection.segments])
            if self.collection.segments
            else _EMPTY_IDS
        )
        order = np.lexsort((-ids, -published[ids]))[:limit]
        return [(int(ids[i]), float(scores[i])) for i in order]

    def published_of(self, docnums: list[int]) -> list[int]:
        """The encoded publication dates of global docnums (0: undated), for merging
        newest-first lists across shards."""
        published = (
            np.concatenate([segment.arrays.published for segment in self.collection.segments])
            if self.collection.segments
            else _EMPTY_IDS
        )
        return [int(published[docnum]) for docnum in docnums]

    def split(self, ids: np.ndarray) -> list[np.ndarray]:
        """Global docnums (ascending) as each segment's local ids."""
        parts = []
        for segment in self.collection.segments:
            end = segment.offset + segment.arrays.doc_count
            low, high = np.searchsorted(ids, [segment.offset, end])
            parts.append(ids[low:high] - segment.offset)
        return parts

    def matching_ids(self, node: Any) -> list[np.ndarray]:
        """Each segment's ids matching ``node`` (a filter: scores are not kept)."""
        return [ids for ids, _scores in self.evaluate(node)]

    # -- leaves ---------------------------------------------------------------

    def _norms(self, segment: _Segment, fieldname: str) -> np.ndarray:
        """Each document's BM25 length norm for a field, ``1 - b + b * length / avg``.

        Computed once per segment and query for all its documents, so scoring a
        word is two gathers instead of the arithmetic per posting.
        """
        key = (id(segment), fieldname)
        found = self._norm_cache.get(key)
        if found is None:
            b = self.settings.b_of(fieldname)
            lengths = (
                segment.arrays.norm_length_title
                if fieldname == "title"
                else segment.arrays.norm_length_body
            )
            found = 1.0 - b + b * lengths / self.stats.avg_length(fieldname)
            self._norm_cache[key] = found
        return found

    def _field_tf(self, segment: _Segment, fieldname: str, docs: np.ndarray, tf: np.ndarray) -> Any:
        """BM25F's inner term: a field's term frequency, weighted and length-normalised."""
        return self.settings.weight_of(fieldname) * tf / self._norms(segment, fieldname)[docs]

    def _fielded_word(self, node: FieldedWord) -> list[Matches]:
        fieldnames = [term.fieldname for term in node.subqueries]
        text = node.text
        df = max(self.doc_frequency(name, text) for name in fieldnames)
        if df == 0:
            return self._nothing()
        idf = lucene_idf(df, self.stats.doc_count)
        k1 = self.settings.k1
        searched = [name for name in TEXT_FIELDS if name in fieldnames]
        results: list[Matches] = []
        for index, segment in enumerate(self.collection.segments):
            docs, title, body = self._restrict(index, *segment.postings(text))
            # A field the word is absent from adds exactly 0 (its tf is 0 there).
            parts = [
                self._field_tf(segment, name, docs, title if name == "title" else body)
                for name in searched
            ]
            total = parts[0] + parts[1] if len(parts) == 2 else parts[0]
            if len(searched) < 2:
                keep = total > 0
                docs, total = docs[keep], total[keep]
            scores = node.boost * idf * (total * (k1 + 1.0) / (total + k1))
            results.append((docs.astype(np.int64), scores))
        return results

    def _term(self, node: wq.Term) -> list[Matches]:
        if node.fieldname == "source" and isinstance(node.text, str):
            return self._source(node)
        if node.fieldname not in TEXT_FIELDS or not isinstance(node.text, str):
            return self._by_whoosh(node)
        name = node.fieldname
        df = self.doc_frequency(name, node.text)
        if df == 0:
            return self._nothing()
        idf = lucene_idf(df, self.stats.doc_count)
        k1 = self.settings.k1
        results: list[Matches] = []
        for index, segment in enumerate(self.collection.segments):
            docs, title, body = self._restrict(index, *segment.postings(node.text))
            tf = title if name == "title" else body
            present = tf > 0
            docs = docs[present]
            norm_tf = self._field_tf(segment, name, docs, tf[present])
            scores = node.boost * idf * (norm_tf * (k1 + 1.0) / (norm_tf + k1))
            results.append((docs.astype(np.int64), scores))
        return results

    def _source(self, node: wq.Term) -> list[Matches]:
        """``source:NAME``: an ID field, so a match scores its boost (Whoosh's weight of 1)."""
        results: list[Matches] = []
        for segment in self.collection.segments:
            code = segment.source_code(node.text)
            if code < 0:
                ids = _EMPTY_IDS
            else:
                ids = segment.live_only(np.flatnonzero(segment.arrays.source_codes == code))
            (ids,) = self._restrict(len(results), ids)
            results.append((ids.astype(np.int64), np.full(len(ids), float(node.boost))))
        return results

    def _date_range(self, node: wq.DateRange) -> list[Matches]:
        """A publication-date range over the encoded dates; undated documents never match."""
        if node.fieldname != "published" or not node.constantscore:
            return self._by_whoosh(node)
        results: list[Matches] = []
        for segment in self.collection.segments:
            published = segment.arrays.published
            keep = published != 0
            if node.start is not None:
                keep &= published > node.start if node.startexcl else published >= node.start
            if node.end is not None:
                keep &= published < node.end if node.endexcl else published <= node.end
            ids = segment.live_only(np.flatnonzero(keep))
            (ids,) = self._restrict(len(results), ids)
            results.append((ids.astype(np.int64), np.full(len(ids), float(node.boost))))
        return results

    def _first_pass_only(self, node: FirstPassOnly) -> list[Matches]:
        wanted = np.array(sorted(node.docnums), dtype=np.int64)
        results: list[Matches] = []
        for segment in self.collection.segments:
            end = segment.offset + segment.arrays.doc_count
            local = wanted[(wanted >= segment.offset) & (wanted < end)] - segment.offset
            (local,) = self._restrict(len(results), local)
            results.append((local, np.zeros(len(local))))
        return results

    def _by_whoosh(self, node: Any) -> list[Matches]:
        """Whoosh's own matcher for a subtree the arrays cannot answer (phrases, wildcards...)."""
        results: list[Matches] = []
        for segment in self.collection.segments:
            leaf = segment.leaf
            matcher = node.matcher(leaf, leaf.context())
            ids: list[int] = []
            scores: list[float] = []
            while matcher.is_active():
                docnum = matcher.id()
                if segment.live is None or segment.live[docnum]:
                    ids.append(docnum)
                    scores.append(matcher.score())
                matcher.next()
            found = np.asarray(ids, dtype=np.int64)
            results.append(
                self._restrict(len(results), found, np.asarray(scores, dtype=np.float64))
            )
        return results

    # -- structure ------------------------------------------------------------

    def _restrict(self, index: int, docs: np.ndarray, *columns: np.ndarray) -> Any:
        """``docs`` (ascending) and their ``columns`` cut to the documents being evaluated."""
        if self._only is None:
            return (docs, *columns)
        wanted = self._only[index]
        if not len(docs) or not len(wanted):
            return (docs[:0], *(column[:0] for column in columns))
        at = np.minimum(np.searchsorted(docs, wanted), len(docs) - 1)
        at = at[docs[at] == wanted]
        return (docs[at], *(column[at] for column in columns))

    def _nothing(self) -> list[Matches]:
        return [(_EMPTY_IDS, _EMPTY_SCORES) for _ in self.collection.segments]

    def _children(self, nodes: Iterable[Any]) -> list[list[Matches]]:
        return [self.evaluate(child) for child in nodes]

    def _plain_union(self, node: Any) -> list[Matches]:
        children = self._children(node.subqueries)
        return [
            _union([child[i] for child in children]) for i in range(len(self.collection.segments))
        ]

    def _boosted(self, results: list[Matches], boost: float) -> list[Matches]:
        if boost == 1.0:
            return results
        return [(ids, scores * boost) for ids, scores in results]

    def _scored_or(self, node: ScoredOr) -> list[Matches]:
        return self._boosted(self._plain_union(node), node.boost)

    def _or(self, node: wq.Or) -> list[Matches]:
        if getattr(node, "minmatch", 0) or getattr(node, "scale", None):
            return self._by_whoosh(node)
        if len(node.subqueries) == 1:
            return self.evaluate(node.subqueries[0])
        return self._boosted(self._plain_union(node), node.boost)

    def _and(self, node: wq.And) -> list[Matches]:
        if not node.subqueries:
            return self._nothing()
        if len(node.subqueries) == 1:
            return self.evaluate(node.subqueries[0])
        first = [child for child in node.subqueries if type(child) is FirstPassOnly]
        if first and self._only is None:
            # Only the first pass's best documents can match: score the rest for those.
            self._only = [ids for ids, _scores in self.evaluate(first[0])]
            try:
                children = self._children(node.subqueries)
            finally:
                self._only = None
        else:
            children = self._children(node.subqueries)
        results: list[Matches] = []
        for i in range(len(self.collection.segments)):
            current = children[0][i]
            for child in children[1:]:
                current = _intersection(current, child[i])
            results.append(current)
        return self._boosted(results, node.boost)

    def _binary(self, node: Any, combine: Callable[[Matches, Matches], Matches]) -> list[Matches]:
        left, right = self.evaluate(node.a), self.evaluate(node.b)
        return [combine(a, b) for a, b in zip(left, right, strict=True)]

    def _and_not(self, node: wq.AndNot) -> list[Matches]:
        return self._binary(node, _without)

    def _and_maybe(self, node: wq.AndMaybe) -> list[Matches]:
        return self._binary(node, _plus_optional)

    def _require(self, node: wq.Require) -> list[Matches]:
        return self._binary(node, lambda a, b: _intersection(a, b, add=False))


def best(ids: np.ndarray, scores: np.ndarray, limit: int) -> list[tuple[int, float]]:
    """The ``limit`` best (docnum, score) pairs: highest score first, then lowest docnum."""
    if len(ids) > limit:
        threshold = np.partition(scores, len(scores) - limit)[len(scores) - limit]
        keep = scores >= threshold
        ids, scores = ids[keep], scores[keep]
    order = np.lexsort((ids, -scores))[:limit]
    return [(int(ids[i]), float(scores[i])) for i in order]
