"""Walking and rewriting parsed Whoosh query trees: NOT under OR, phrase bounds, long queries.

Every function here takes a tree and returns a new one (trees are shared
between threads and never changed in place). ``map_children`` is the one
place that knows how each kind of node holds its children.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from whoosh import query as wq

QueryTree: TypeAlias = Any
"""A parsed query (a Whoosh ``Query``), as the layers above the engine hold it: opaque,
printable with ``str``. Spelled ``Any`` because mypy sees Whoosh as untyped."""

SEARCH_FIELDS = ("title", "body")
MAX_PHRASE_WORDS = 32
"""A quoted phrase is searched by its first this many words: Whoosh checks every
word's positions in every candidate document, so a phrase of hundreds of
common words costs seconds while adding nothing a shorter one would not find."""
MAX_PHRASE_SLOP = 10
"""A phrase's ``~N`` lets its neighbouring words be at most this many positions apart.
Whoosh's proximity match keeps every way the words fit the window, so its work grows
with the slop and the phrase's length, and words further apart are seldom in one
sentence. A 32-word phrase of the BBC collection's commonest word took 3.9 s of CPU at
~100, 0.8 s at ~10 (``python benchmarks/reliability.py --sections phrases --phrases 5``)."""
MAX_QUERY_PHRASES = 8
MAX_QUERY_PHRASE_WORDS = 32
"""One query searches at most this many quoted phrases, holding at most this many words
in all; later phrases are not searched (``_bound_phrases`` says how they are left out).
Whoosh reads every phrase word's positions in every document holding all its words,
several times per search, so the cost grows with both counts. In the benchmark above,
twelve such phrases took 20.8 s of CPU before these bounds and 0.8 s after; 300
two-word phrases 11.6 s and 0.2 s."""
MAX_QUERY_WORDS = 64
"""A query searches at most this many of its optional (OR-ed) words, the rarest.
Scoring walks every optional word for every matching document: a pasted article
of 1,500 words took minutes on 19,000 stories, and its rarest words are the ones
that say what it is about."""


def is_nothing(tree: QueryTree) -> bool:
    """Whether ``tree`` is the query that matches no document (nothing searchable was left)."""
    return tree is wq.NullQuery


def map_children(node: wq.Query, fn: Callable[[wq.Query], wq.Query]) -> wq.Query:
    # BinaryQuery (AndNot, AndMaybe...) is a CompoundQuery too, but matches with
    # its ``a`` and ``b``, not ``subqueries``: it must be rebuilt through those.
    if isinstance(node, wq.BinaryQuery):
        rebuilt_binary = copy.copy(node)
        rebuilt_binary.a, rebuilt_binary.b = fn(node.a), fn(node.b)
        rebuilt_binary.subqueries = (rebuilt_binary.a, rebuilt_binary.b)
        return rebuilt_binary
    if isinstance(node, wq.CompoundQuery):
        rebuilt = copy.copy(node)
        rebuilt.subqueries = [fn(child) for child in node.subqueries]
        return rebuilt
    if isinstance(node, wq.Not):
        return wq.Not(fn(node.query), boost=node.boost)
    if isinstance(node, wq.WrappingQuery):
        rebuilt_wrapper = copy.copy(node)
        rebuilt_wrapper.child = fn(node.child)
        return rebuilt_wrapper
    return node


def lift_negations(node: wq.Query) -> wq.Query:
    """Make "a NOT b" mean a-and-not-b under the OR default, not "a, or anything without b"."""
    node = map_children(node, lift_negations)
    if isinstance(node, wq.Or):
        negatives = [child.query for child in node.subqueries if isinstance(child, wq.Not)]
        positives = [child for child in node.subqueries if not isinstance(child, wq.Not)]
        if negatives and positives:
            kept = copy.copy(node)
            kept.subqueries = positives
            return wq.AndNot(kept, wq.Or(negatives))
    return node


def lowercase_patterns(node: wq.Query) -> wq.Query:
    if isinstance(node, (wq.Prefix, wq.Wildcard)) and node.text != node.text.lower():
        return node.__class__(node.fieldname, node.text.lower(), boost=node.boost)
    return map_children(node, lowercase_patterns)


@dataclass
class PhraseBudget:
    """The phrases and phrase words one query has left (``MAX_QUERY_PHRASES``), and what it cut."""

    phrases_left: int = field(default_factory=lambda: MAX_QUERY_PHRASES)
    words_left: int = field(default_factory=lambda: MAX_QUERY_PHRASE_WORDS)
    phrases: dict[tuple[tuple[str, ...], int], bool] = field(default_factory=dict)
    """Each distinct phrase (words, slop) seen: True if it is searched as a phrase."""
    shortened: bool = False
    lowered_slop: int = 0

    def warnings(self) -> list[str]:
        """What the bounds changed, one message per bound."""
        messages = []
        if self.shortened:
            messages.append(f"a quoted phrase was cut to its first {MAX_PHRASE_WORDS} words")
        if self.lowered_slop:
            messages.append(
                f"~{self.lowered_slop} was searched as ~{MAX_PHRASE_SLOP}: a phrase's words "
                f"are searched at most {MAX_PHRASE_SLOP} positions apart"
            )
        left_out = sum(1 for searched in self.phrases.values() if not searched)
        if left_out:
            messages.append(
                f"{left_out:,} quoted phrase{'s were' if left_out > 1 else ' was'} not searched: "
                f"one query searches at most {MAX_QUERY_PHRASES} phrases and "
                f"{MAX_QUERY_PHRASE_WORDS} words in phrases, the first ones typed"
            )
        return messages


def _bound_phrase(node: wq.Phrase, budget: PhraseBudget) -> wq.Query | None:
    bounded = copy.copy(node)
    if len(node.words) > MAX_PHRASE_WORDS:
        budget.shortened = True
        bounded.words = list(node.words[:MAX_PHRASE_WORDS])
        if node.char_ranges:
            bounded.char_ranges = list(node.char_ranges[:MAX_PHRASE_WORDS])
    if node.slop > MAX_PHRASE_SLOP:
        budget.lowered_slop = budget.lowered_slop or node.slop
        bounded.slop = MAX_PHRASE_SLOP
    # One quoted phrase is a Phrase per field: it is paid for, and decided, once.
    key = (tuple(bounded.words), bounded.slop)
    if key not in budget.phrases:
        searched = budget.phrases_left > 0 and len(bounded.words) <= budget.words_left
        if searched:
            budget.phrases_left -= 1
            budget.words_left -= len(bounded.words)
        budget.phrases[key] = searched
    return bounded if budget.phrases[key] else None


def bound_phrases(node: wq.Query, budget: PhraseBudget) -> wq.Query | None:
    """Bound each phrase's length and slop and all phrases' words (see ``PhraseBudget``).

    Phrases are paid for in the order they were typed. One past the budget is
    left out as if it had not been typed (None when nothing is left of
    ``node``): an OR or AND loses that clause, a NOT with nothing to exclude
    goes. (Searching them as separate words instead was tried: hundreds of
    phrases of common words became hundreds of clauses, slower than before.)
    """
    if isinstance(node, wq.Phrase):
        return _bound_phrase(node, budget)
    if isinstance(node, wq.BinaryQuery):  # AndNot, AndMaybe...: matched through a and b
        a, b = bound_phrases(node.a, budget), bound_phrases(node.b, budget)
        if a is None or b is None:
            return a
        rebuilt_binary = copy.copy(node)
        rebuilt_binary.a, rebuilt_binary.b = a, b
        rebuilt_binary.subqueries = (a, b)
        return rebuilt_binary
    if isinstance(node, wq.CompoundQuery):
        children = [bound_phrases(child, budget) for child in node.subqueries]
        kept = [child for child in children if child is not None]
        if not kept:
            return None
        rebuilt = copy.copy(node)
        rebuilt.subqueries = kept
        return rebuilt
    if isinstance(node, wq.Not):
        inner = bound_phrases(node.query, budget)
        return None if inner is None else wq.Not(inner, boost=node.boost)
    if isinstance(node, wq.WrappingQuery):
        inner = bound_phrases(node.child, budget)
        if inner is None:
            return None
        rebuilt_wrapper = copy.copy(node)
        rebuilt_wrapper.child = inner
        return rebuilt_wrapper
    return node


def without_repeats(node: wq.CompoundQuery) -> wq.CompoundQuery:
    """Drop repeated identical clauses (``co* co* co* ...``): they match nothing new."""
    unique: list[wq.Query] = []
    seen: set[wq.Query] = set()
    for child in node.subqueries:
        try:
            if child in seen:
                continue
            seen.add(child)
        except TypeError:  # an unhashable clause is simply kept
            pass
        unique.append(child)
    if len(unique) == len(node.subqueries):
        return node
    rebuilt = copy.copy(node)
    rebuilt.subqueries = unique
    return rebuilt


def _optional_words(node: wq.Query, found: set[str]) -> None:
    if isinstance(node, wq.Or):
        found.update(
            child.text
            for child in node.subqueries
            if type(child) is wq.Term and child.fieldname in SEARCH_FIELDS
        )
    for child in node.children():
        _optional_words(child, found)


def _drop_words(node: wq.Query, keep: Callable[[str], bool]) -> wq.Query:
    node = map_children(node, lambda child: _drop_words(child, keep))
    if not isinstance(node, wq.Or):
        return node

    def dropped(child: wq.Query) -> bool:
        return type(child) is wq.Term and child.fieldname in SEARCH_FIELDS and not keep(child.text)

    kept = [child for child in node.subqueries if not dropped(child)]
    if len(kept) == len(node.subqueries):
        return node
    rebuilt = copy.copy(node)
    # An Or whose words were all dropped keeps its first word, so an AND of
    # groups ("(a b) AND (c d)") still means what was typed.
    rebuilt.subqueries = kept or [
        child for child in node.subqueries if child.text == node.subqueries[0].text
    ]
    return rebuilt


def keep_rarest_words(
    query: wq.Query, doc_frequency: Callable[[str], int]
) -> tuple[wq.Query, str | None]:
    """Search at most ``MAX_QUERY_WORDS`` optional words (see there), with a warning if cut.

    ``doc_frequency(word)`` is how many documents contain an (analysed) word.
    Dropped first are words no document contains (they match nothing), then
    the most common. Required words (under AND) and phrases are left alone:
    they narrow the matches, which is cheap.
    """
    words: set[str] = set()
    _optional_words(query, words)
    if len(words) <= MAX_QUERY_WORDS:
        return query, None
    frequency = {word: doc_frequency(word) for word in words}
    useful = sorted((w for w in words if frequency[w]), key=lambda w: (frequency[w], w))
    kept = frozenset(useful[:MAX_QUERY_WORDS])
    warning = (
        f"the query has {len(words):,} different words; only the {MAX_QUERY_WORDS} rarest "
        f"in the index were searched"
    )
    return _drop_words(query, kept.__contains__), warning
