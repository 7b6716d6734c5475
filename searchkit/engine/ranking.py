"""Scoring: how well a document answers a free-text query.

Whoosh's stock BM25F scores each field on its own and adds the results, with
an idf that never falls below 1 and term weights that already include the
index-time field boost. Here a query word is scored once per document over
all text fields together (BM25F proper): each field's term frequency is
length-normalised, weighted and summed before BM25's saturation, so a word
in both title and body is not counted as two independent words, and the idf
is Lucene's, which lets very common words fade out.

Free-text queries then get pseudo-relevance feedback (RM3): the words that
dominate the first few results add a small share to the scores of the
documents that match, which favours documents about the same subject as the
best matches. Every default here was measured on benchmarks/relevance.py.

This module builds the scored query tree (``Ranker.prepare``) and holds the
BM25F formulas; ``scorer.py`` evaluates the tree over the segments' arrays.
The Whoosh matchers here are what Whoosh uses for the few subtrees the scorer
hands to it (phrases, wildcards), with the same formulas.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

from whoosh import matching, scoring
from whoosh import query as wq
from whoosh.searching import SearchContext

from searchkit.models import RankingSettings

DEFAULT_SETTINGS = RankingSettings()

# Feedback skips words found in more than this share of the documents ("said",
# "would" in news): they say nothing about a subject.
MAX_FEEDBACK_DOC_SHARE = 0.5

# Feedback re-scores this many of the first pass's best documents; the rest keep
# their first-pass order below them. Re-scoring every match cost five times the
# query time on CACM; 20 documents cost about a tenth more than no feedback.
RERANK_DEPTH = 20


def lucene_idf(doc_frequency: int, doc_count: int) -> float:
    """Lucene's BM25 idf: always positive, and close to 0 for words in most documents."""
    return math.log(1.0 + (doc_count - doc_frequency + 0.5) / (doc_frequency + 0.5))


def saturate(tf: float, k1: float) -> float:
    """BM25's term-frequency saturation, scaled to reach at most k1 + 1."""
    return tf * (k1 + 1.0) / (tf + k1) if tf > 0 else 0.0


class _NormalisedTfScorer(scoring.WeightLengthScorer):  # type: ignore[misc]
    """Scores a posting by its weighted, length-normalised term frequency (BM25F's inner sum)."""

    def __init__(
        self, searcher: Any, fieldname: str, text: bytes, settings: RankingSettings
    ) -> None:
        parent = searcher.get_parent()
        self._avg_length = parent.avg_field_length(fieldname) or 1.0
        self._b = settings.b_of(fieldname)
        # Postings store term frequency times the index-time field boost: undo it,
        # the field weight here is the only one that counts.
        field_boost = getattr(searcher.schema[fieldname].format, "field_boost", 1.0) or 1.0
        self._scale = settings.weight_of(fieldname) / field_boost
        self.setup(searcher, fieldname, text)

    def _score(self, weight: float, length: int) -> float:
        norm = 1.0 - self._b + self._b * length / self._avg_length
        return float(self._scale * weight / norm)


class _NormalisedTf(scoring.WeightingModel):  # type: ignore[misc]
    """The weighting used under a FieldedWord: postings give normalised tf, not scores."""

    def __init__(self, settings: RankingSettings) -> None:
        self.settings = settings

    def scorer(self, searcher: Any, fieldname: str, text: bytes, qf: int = 1) -> Any:
        if not searcher.schema[fieldname].scorable:
            return scoring.WeightScorer.for_(searcher, fieldname, text)
        return _NormalisedTfScorer(searcher, fieldname, text, self.settings)


class _SingleFieldScorer(scoring.WeightLengthScorer):  # type: ignore[misc]
    """Plain BM25 for a term searched in one field only (``title:word``, phrases, wildcards)."""

    def __init__(
        self, searcher: Any, fieldname: str, text: bytes, settings: RankingSettings
    ) -> None:
        parent = searcher.get_parent()
        self._idf = lucene_idf(parent.doc_frequency(fieldname, text), parent.doc_count_all())
        self._tf = _NormalisedTfScorer(searcher, fieldname, text, settings)
        self._k1 = settings.k1
        self.setup(searcher, fieldname, text)

    def _score(self, weight: float, length: int) -> float:
        return self._idf * saturate(self._tf._score(weight, length), self._k1)


class BM25FWeighting(scoring.WeightingModel):  # type: ignore[misc]
    """The searcher's weighting model: BM25 with Lucene's idf and our field weights."""

    def __init__(self, settings: RankingSettings = DEFAULT_SETTINGS) -> None:
        self.settings = settings

    def scorer(self, searcher: Any, fieldname: str, text: bytes, qf: int = 1) -> Any:
        if not searcher.schema[fieldname].scorable:
            return scoring.WeightScorer.for_(searcher, fieldname, text)
        return _SingleFieldScorer(searcher, fieldname, text, self.settings)


class _SaturatingMatcher(matching.WrappingMatcher):  # type: ignore[misc]
    """Turns the summed normalised tf of one word's field postings into its BM25F score.

    Used only where Whoosh's own matchers run (a subtree the array scorer hands
    to Whoosh, such as a word under a phrase-bearing clause); those are
    iterated exhaustively, so no pruning support is needed.
    """

    def __init__(self, child: Any, idf: float, k1: float, boost: float = 1.0) -> None:
        super().__init__(child, boost=boost)
        self._idf = idf
        self._k1 = k1

    def _replacement(self, newchild: Any) -> _SaturatingMatcher:
        return _SaturatingMatcher(newchild, self._idf, self._k1, self.boost)

    def copy(self) -> _SaturatingMatcher:
        return _SaturatingMatcher(self.child.copy(), self._idf, self._k1, self.boost)

    def score(self) -> float:
        return float(self.boost * self._idf * saturate(self.child.score(), self._k1))


def _union_of(matchers: list[Any]) -> Any:
    """A balanced tree of Whoosh unions over the active ``matchers`` (scores add)."""
    active = [m for m in matchers if m.is_active()]
    if not active:
        return matching.NullMatcher()
    while len(active) > 1:
        paired = [
            matching.UnionMatcher(active[i], active[i + 1]) for i in range(0, len(active) - 1, 2)
        ]
        active = paired + active[len(active) - len(active) % 2 :]
    return active[0]


class ScoredOr(wq.Or):  # type: ignore[misc]
    """An Or of the ranked query: scores add where several children match.

    The array scorer evaluates it itself; its Whoosh matcher (a tree of
    unions, not Whoosh's preloaded array matcher, whose scores go wrong under
    AndMaybe) serves only subtrees the scorer hands to Whoosh.
    """

    def matcher(self, searcher: Any, context: SearchContext | None = None) -> Any:
        union = _union_of([child.matcher(searcher, context) for child in self.subqueries])
        if self.boost != 1.0 and union.is_active():
            return matching.WrappingMatcher(union, self.boost)
        return union


class FieldedWord(wq.Or):  # type: ignore[misc]
    """One query word searched in several text fields and scored once, by BM25F.

    It still is an Or of per-field Terms, so everything that walks a Whoosh
    query (matched terms for highlights, term lists) keeps working.
    """

    JOINT = " | "

    def __init__(
        self,
        subqueries: list[wq.Term],
        boost: float = 1.0,
        settings: RankingSettings = DEFAULT_SETTINGS,
    ) -> None:
        super().__init__(subqueries, boost=boost)
        self.settings = settings

    @property
    def text(self) -> str:
        """The (analysed) word this node scores."""
        return str(self.subqueries[0].text)

    def __str__(self) -> str:
        weight = f"^{self.boost:.3g}" if self.boost != 1.0 else ""
        return f"{self.text}{weight}"

    def normalize(self) -> FieldedWord:
        return self

    def matcher(self, searcher: Any, context: SearchContext | None = None) -> Any:
        parent = searcher.get_parent()
        doc_frequency = 0
        for term in self.subqueries:
            fieldobj = searcher.schema[term.fieldname]
            doc_frequency = max(
                doc_frequency, parent.doc_frequency(term.fieldname, fieldobj.to_bytes(term.text))
            )
        if doc_frequency == 0:
            return matching.NullMatcher()
        inner = (context or SearchContext()).set(
            weighting=_NormalisedTf(self.settings), needs_current=True
        )
        union = _union_of([term.matcher(searcher, inner) for term in self.subqueries])
        if not union.is_active():
            return matching.NullMatcher()
        idf = lucene_idf(doc_frequency, parent.doc_count_all())
        return _SaturatingMatcher(union, idf, self.settings.k1, self.boost)


def _group_words(node: wq.Or, settings: RankingSettings, repeats: dict[str, int]) -> list[wq.Query]:
    """Merge an Or's per-field Terms for the same word into one FieldedWord each.

    The parser expands each word over title and body and then flattens the
    nested Ors, so the word's field terms sit side by side in one Or.
    """
    fields_by_word: dict[tuple[str, float], list[wq.Term]] = {}
    for child in node.subqueries:
        if type(child) is wq.Term:
            fields_by_word.setdefault((child.text, child.boost), []).append(child)
    grouped: list[wq.Query] = []
    done: set[tuple[str, float]] = set()
    for child in node.subqueries:
        key = (child.text, child.boost) if type(child) is wq.Term else None
        terms = fields_by_word.get(key, []) if key is not None else []
        if key is None or len({t.fieldname for t in terms}) < 2:
            grouped.append(_rewrite(child, settings, repeats))
        elif key not in done:
            done.add(key)
            plain = [wq.Term(t.fieldname, t.text) for t in terms]
            boost = key[1] * repeats.get(key[0], 1)
            grouped.append(FieldedWord(plain, boost=boost, settings=settings))
    return grouped


def _rewrite(node: wq.Query, settings: RankingSettings, repeats: dict[str, int]) -> wq.Query:
    if type(node) is wq.Or:
        return ScoredOr(_group_words(node, settings, repeats), boost=node.boost)
    # BinaryQuery (AndNot, AndMaybe, Require) subclasses CompoundQuery but matches
    # through .a and .b, not .subqueries: test it first.
    if isinstance(node, wq.BinaryQuery):
        rebuilt_binary = copy.copy(node)
        rebuilt_binary.a = _rewrite(node.a, settings, repeats)
        rebuilt_binary.b = _rewrite(node.b, settings, repeats)
        rebuilt_binary.subqueries = (rebuilt_binary.a, rebuilt_binary.b)
        return rebuilt_binary
    if isinstance(node, wq.CompoundQuery):
        rebuilt = copy.copy(node)
        rebuilt.subqueries = [_rewrite(child, settings, repeats) for child in node.subqueries]
        return rebuilt
    return node


class _SilentMatcher(matching.WrappingMatcher):  # type: ignore[misc]
    """Adds its child's score but hides its terms, so feedback words are never highlighted."""

    def _replacement(self, newchild: Any) -> _SilentMatcher:
        return _SilentMatcher(newchild, boost=self.boost)

    def term_matchers(self) -> Any:
        return iter(())

    def matching_terms(self, id: int | None = None) -> Any:
        return iter(())


class FeedbackWords(wq.Or):  # type: ignore[misc]
    """Words taken from the best first-pass results; they add to scores, never to matches."""

    JOINT = " "

    def __str__(self) -> str:
        return "feedback(" + " ".join(str(q) for q in self.subqueries) + ")"

    def normalize(self) -> FeedbackWords:
        return self

    def matcher(self, searcher: Any, context: SearchContext | None = None) -> Any:
        inner = _union_of([child.matcher(searcher, context) for child in self.subqueries])
        return _SilentMatcher(inner) if inner.is_active() else matching.NullMatcher()


def _bag_of_words(node: wq.Query) -> list[FieldedWord] | None:
    """The query's words if it is plain free text (no phrase, operator or field), else None."""
    if isinstance(node, FieldedWord):
        return [node]
    if type(node) is ScoredOr and all(isinstance(q, FieldedWord) for q in node.subqueries):
        return list(node.subqueries)
    return None


class _ZeroScoreListMatcher(matching.ListMatcher):  # type: ignore[misc]
    """Matches a fixed list of documents, adding nothing to their scores."""

    def score(self) -> float:
        return 0.0

    def supports_block_quality(self) -> bool:
        return False

    def max_quality(self) -> float:
        return 0.0

    def replace(self, minquality: float = 0) -> Any:
        # It adds nothing to scores, so no score threshold can rule it out.
        return self if self.is_active() else matching.NullMatcher()

    def term_matchers(self) -> Any:
        return iter(())

    def matching_terms(self, id: int | None = None) -> Any:
        return iter(())


class FirstPassOnly(wq.Query):  # type: ignore[misc]
    """Restricts a query to the documents the first pass ranked best (global docnums)."""

    def __init__(self, docnums: frozenset[int]) -> None:
        self.docnums = docnums

    def __str__(self) -> str:
        return f"rerank(first {len(self.docnums)})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FirstPassOnly) and other.docnums == self.docnums

    def __hash__(self) -> int:
        return hash(self.docnums)

    def is_leaf(self) -> bool:
        return True

    def terms(self, phrases: bool = True) -> Any:
        return iter(())

    def estimate_size(self, ixreader: Any) -> int:
        return len(self.docnums)

    def matcher(self, searcher: Any, context: SearchContext | None = None) -> Any:
        offset = searcher.get_parent()._offset_for_subsearcher(searcher) or 0
        end = offset + searcher.doc_count_all()
        local = sorted(docnum - offset for docnum in self.docnums if offset <= docnum < end)
        return _ZeroScoreListMatcher(local) if local else matching.NullMatcher()


def _relevance_model(scorer: Any, first: list[tuple[int, float]]) -> dict[str, float]:
    """RM1: P(word | relevant), estimated from the first pass's best documents.

    Each document's word distribution (its title and body term counts, from
    the forward index, over its length) is weighted by its share of the
    first-pass scores.
    """
    collection = scorer.collection
    return relevance_model([(score, collection.doc_terms(docnum)) for docnum, score in first])


def relevance_model(first: list[tuple[float, dict[str, int]]]) -> dict[str, float]:
    """RM1 from (first-pass score, term counts) pairs, best first (see ``_relevance_model``).

    Public so a coordinator of shards builds the model from the global best
    documents, whichever shard holds them, exactly as one index would.
    """
    total_score = sum(score for score, _ in first)
    model: dict[str, float] = {}
    if total_score <= 0:
        return model
    for score, counts in first:
        length = sum(counts.values())
        if not length:
            continue
        share = score / total_score
        for word, count in counts.items():
            model[word] = model.get(word, 0.0) + share * count / length
    return model


def _one_per_group(
    scorer: Any, ranked: list[tuple[int, float]], count: int
) -> list[tuple[int, float]]:
    """The first ``count`` of ``ranked`` counting each duplicate group once (its best copy).

    Five copies of one wire story would otherwise be the whole relevance model,
    and its words (not the query's subject) the feedback.
    """
    keys = scorer.collection.group_keys("duplicate_groups")
    seen: set[int] = set()
    kept: list[tuple[int, float]] = []
    for docnum, score in ranked:
        key = int(keys[docnum])
        if key in seen:
            continue
        seen.add(key)
        kept.append((docnum, score))
        if len(kept) == count:
            break
    return kept


def _feedback_docs(
    scorer: Any, best: list[tuple[int, float]], settings: RankingSettings
) -> list[tuple[int, float]]:
    """The first pass's documents feedback learns from: ``feedback_docs`` of them, each
    duplicate group once unless ``settings.feedback_per_group`` is off (a sharded index)."""
    if settings.feedback_per_group:
        return _one_per_group(scorer, best, settings.feedback_docs)
    return best[: settings.feedback_docs]


def _with_feedback(
    words: list[FieldedWord],
    scorer: Any,
    query: wq.Query,
    within: Any,
    settings: RankingSettings,
    first_pass: FirstPass | None = None,
) -> ScoredQuery:
    """RM3: mix the query's own words with the relevance model's strongest words.

    Query words keep ``1 - feedback_weight`` of the weight (shared as typed)
    and gain their share of the model; new words only add to the scores of
    documents that already match the query (AndMaybe), so feedback reorders
    results and never adds any. Only the first pass's best RERANK_DEPTH
    documents are re-scored (see ScoredQuery).
    """
    fieldnames = [term.fieldname for term in words[0].subqueries]
    if first_pass is None:
        best = scorer.top(query, within, RERANK_DEPTH)
        model = _relevance_model(scorer, _feedback_docs(scorer, best, settings))
        docnums = frozenset(docnum for docnum, _ in best)
        reranked = len(best)
    else:
        model, docnums, reranked = first_pass.model, first_pass.docnums, first_pass.reranked
    top = feedback_words(model, scorer.doc_frequency, scorer.stats.doc_count, fieldnames, settings)
    if not top:
        return ScoredQuery(query, query)
    original_total = sum(word.boost for word in words)
    feedback_total = sum(p for _, p in top)
    alpha = settings.feedback_weight
    weights = {word.text: (1 - alpha) * word.boost / original_total for word in words}
    added: dict[str, float] = {}
    for word, p in top:
        share = alpha * p / feedback_total
        if word in weights:
            weights[word] += share
        else:
            added[word] = share

    def fielded(text: str, weight: float) -> FieldedWord:
        terms = [wq.Term(fieldname, text) for fieldname in fieldnames]
        return FieldedWord(terms, boost=weight * original_total, settings=settings)

    kept: list[wq.Query] = [fielded(text, weight) for text, weight in weights.items()]
    base = ScoredOr(kept) if len(kept) > 1 else kept[0]
    rescored = base
    if added:
        rescored = wq.AndMaybe(base, FeedbackWords([fielded(t, w) for t, w in added.items()]))
    restricted = wq.And([rescored, FirstPassOnly(docnums)])
    return ScoredQuery(restricted, query, reranked=reranked)


def feedback_words(
    model: dict[str, float],
    doc_frequency: Any,
    doc_count: int,
    fieldnames: list[str],
    settings: RankingSettings,
) -> list[tuple[str, float]]:
    """The relevance model's strongest words that are not too common, strongest first.

    ``doc_frequency(field, word)`` is asked for words in model order only until
    ``settings.feedback_terms`` are kept, so a coordinator of shards can fetch
    global frequencies for a prefix of the model and know it asked enough.
    """
    ranked = sorted(model.items(), key=lambda item: (-item[1], item[0]))
    common = doc_count * MAX_FEEDBACK_DOC_SHARE
    top: list[tuple[str, float]] = []
    for word, p in ranked:
        if len(top) == settings.feedback_terms or p <= 0:
            break
        if max(doc_frequency(name, word) for name in fieldnames) <= common:
            top.append((word, p))
    return top


@dataclass(frozen=True)
class FirstPass:
    """A first pass made elsewhere (by a coordinator of shards), for feedback to use.

    ``model`` is the relevance model of the global best documents; ``docnums``
    are those of them in this index (its global docnums), and ``reranked`` how
    many there are over all shards.
    """

    model: dict[str, float]
    docnums: frozenset[int]
    reranked: int


@dataclass(frozen=True)
class ScoredQuery:
    """The query to score, and how the ranking continues past what it covers.

    With feedback, ``query`` matches only the first pass's ``reranked`` best
    documents; the ones after them follow in the order ``base`` gives them.
    Without feedback ``query`` is ``base`` and ``reranked`` is 0 (no limit).
    """

    query: wq.Query
    base: wq.Query
    reranked: int = 0


class Ranker:
    """Builds the weighting model and the final scored query from one set of settings."""

    def __init__(self, settings: RankingSettings | None = None) -> None:
        self.settings = settings if settings is not None else DEFAULT_SETTINGS

    def weighted_words(self, words: list[tuple[str, float]]) -> wq.Query:
        """A free-text query of analysed index terms, each with its weight, over title and
        body (BM25F, scores added): what more-like-this searches."""
        fielded = [
            FieldedWord(
                [wq.Term(name, term) for name in ("title", "body")],
                boost=weight,
                settings=self.settings,
            )
            for term, weight in words
        ]
        return ScoredOr(fielded) if len(fielded) > 1 else fielded[0]

    def weighting(self) -> BM25FWeighting:
        """The weighting model for Whoosh searchers."""
        return BM25FWeighting(self.settings)

    def prepare(
        self,
        query: wq.Query,
        text: str,
        scorer: Any,
        within: Any = None,
        feedback: bool = True,
        first_pass: FirstPass | None = None,
    ) -> ScoredQuery:
        """Rewrite a parsed query into the one actually scored.

        ``text`` is the query as parsed: a word typed twice counts twice
        (the parser keeps one copy), since repeating a word is how a long
        query says it matters. ``first_pass`` replaces feedback's own first
        pass over this index (a sharded search passes the global one).
        """
        repeats: dict[str, int] = {}
        if self.settings.count_repeats:
            analyzer = scorer.collection.searcher.schema["body"].analyzer
            for token in analyzer(text, mode="query"):
                repeats[token.text] = repeats.get(token.text, 0) + 1
        scored = _rewrite(query, self.settings, repeats)
        # Excluded words only remove documents, so `free text NOT word` is ranked
        # (and fed back) as its free text alone.
        wanted = scored.a if type(scored) is wq.AndNot else scored
        words = _bag_of_words(wanted)
        if not feedback or words is None or self.settings.feedback_docs < 1:
            return ScoredQuery(scored, scored)
        return _with_feedback(words, scorer, scored, within, self.settings, first_pass)

    def wants_feedback(self, scored: wq.Query) -> bool:
        """Whether ``prepare`` gives this rewritten query (its ``base``) feedback when asked."""
        wanted = scored.a if type(scored) is wq.AndNot else scored
        return _bag_of_words(wanted) is not None and self.settings.feedback_docs >= 1
