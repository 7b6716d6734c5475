"""Turning what a user typed into a Whoosh query: aliases, operators, warnings.

Free text is OR-ed, so a query never returns nothing because one word is
absent; BM25's idf already ranks documents matching more of the words first.
The work one query may cause is bounded: its length, its phrases (their
length, proximity and number), its patterns' expansions and the words they
examine, and the number of optional words it searches. Each bound applied is
reported in the results' warnings.

Multi-word alias variants are quoted before parsing so the parser keeps
them together; groups known only at query time (a `--synonyms` file the
index was not built with) become an OR of phrases.
"""

from __future__ import annotations

import copy
import fnmatch
import heapq
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from whoosh import query as wq
from whoosh.fields import Schema
from whoosh.qparser import MultifieldParser, OperatorsPlugin, OrGroup, Plugin, syntax
from whoosh.qparser.dateparse import DateParserPlugin

from searchkit.analysis import AliasMatcher
from searchkit.engine.wildcards import use_patterns
from searchkit.synonyms import APOSTROPHES, HYPHENS, WORD, AliasGroup

SEARCH_FIELDS = ("title", "body")
KNOWN_FIELDS = ("title", "body", "author", "source", "url", "published", "id")
MAX_QUERY_CHARS = 10_000
MAX_EXPANSIONS = 256
"""A prefix or range query searches at most this many distinct words (the most frequent)."""
MAX_QUERY_EXPANSIONS = 4 * MAX_EXPANSIONS
"""All the patterns of one query together search at most this many words."""
MAX_QUERY_SCANNED_WORDS = 100_000
"""All the wildcard patterns of one query together compare at most this many index
words with themselves. A pattern is matched against every word that starts with its
letters before the first ``*`` or ``?``: all of a field's words for ``*order`` (23,477
in the BBC collection's titles and bodies), so a query of hundreds of such patterns
would read the whole vocabulary hundreds of times."""
MAX_EXPANSION_WARNINGS = 5
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
PRELOAD_ABOVE_WORDS = 64
"""Patterns searching more words than this are matched by preloading their documents:
much faster, but Whoosh then cannot say which of the words a hit contains, so
those words are not highlighted."""
MAX_QUERY_WORDS = 64
"""A query searches at most this many of its optional (OR-ed) words, the rarest.
Scoring walks every optional word for every matching document: a pasted article
of 1,500 words took minutes on 19,000 stories, and its rarest words are the ones
that say what it is about."""
ALL_DOCUMENT_FIELDS = frozenset({"id", "title", "body"})
"""Fields every indexed article has: "any value in this field" means "every document"."""

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_FIELD_PREFIX = re.compile(r"(?<![\w\"])([A-Za-z_]\w*):(?=\S)")
_TERM_START = r"(^|(?<=[\s()]))"
_TERM_FOLLOWS = r"(?=[^\W\d_]|[\"(])"
NOT_SYNTAX = _TERM_START + r"(NOT(?=\s)|-" + _TERM_FOLLOWS + ")"
"""``NOT word`` as Whoosh spells it, and ``-word``, ``-"a phrase"``, ``-(a OR b)`` as
people type it: a ``-`` that starts a term and is followed by a letter, a quote or a
bracket. A hyphen inside a word (``well-known``) or before a digit (``-5``) stays text."""
MUST_SYNTAX = _TERM_START + r"\+" + _TERM_FOLLOWS
"""``+word``: the article must contain the word (the other words still only add score)."""
_PATTERN_WORD = re.compile(r"[\w*?]+")
_QUOTED_WILDCARD = re.compile(r"\*|\?(?=\w)")
_NAMED_WORDS = 5  # a warning names at most this many words


class ExpansionLog:
    """The word budgets of one query's patterns, and which patterns they cut short.

    Each pattern may search at most ``MAX_EXPANSIONS`` words and the whole
    query at most ``MAX_QUERY_EXPANSIONS``, so ``aa* ab* ac* ...`` cannot
    search the entire vocabulary either; wildcard patterns together examine
    at most ``MAX_QUERY_SCANNED_WORDS`` index words. Filled in while the query
    runs (only the index knows how many words a prefix matches) and read
    afterwards by ``expansion_warnings``. Shared by every copy Whoosh makes of
    a capped node.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._remaining = MAX_QUERY_EXPANSIONS
        self._capped: dict[str, tuple[int, int]] = {}
        self._scan_remaining = MAX_QUERY_SCANNED_WORDS
        self._scanned_part: dict[str, int] = {}

    def allowance(self) -> int:
        """How many words the next pattern may search."""
        with self._lock:
            return min(MAX_EXPANSIONS, self._remaining)

    def spend(self, pattern: str, matched: int, kept: int) -> None:
        """Record that ``pattern`` matched ``matched`` words and searches ``kept`` of them."""
        with self._lock:
            self._remaining = max(0, self._remaining - kept)
            if kept < matched:
                self._capped[pattern] = (matched, kept)

    def scan_allowance(self) -> int:
        """How many index words the next wildcard pattern may examine."""
        with self._lock:
            return self._scan_remaining

    def scanned(self, pattern: str, examined: int, complete: bool) -> None:
        """Record that ``pattern`` examined ``examined`` words, all it needed or not."""
        with self._lock:
            self._scan_remaining = max(0, self._scan_remaining - examined)
            if not complete:
                self._scanned_part[pattern] = examined

    def warnings(self) -> list[str]:
        """One message per capped pattern (at most a few), in a stable order."""
        with self._lock:
            capped = sorted(self._capped.items())
            partial = sorted(self._scanned_part.items())
        messages = [
            f"{pattern} was compared with only {examined:,} of the index's words: one query's "
            f"wildcards examine at most {MAX_QUERY_SCANNED_WORDS:,} (letters before the first "
            f"* or ? narrow the search)"
            if examined
            else f"{pattern} was not searched: the query's other wildcards already examined "
            f"the {MAX_QUERY_SCANNED_WORDS:,} index words one query may"
            for pattern, examined in partial
        ]
        for pattern, (matched, kept) in capped:
            if kept:
                messages.append(
                    f"{pattern} matches {matched:,} different words; only the {kept} most "
                    f"frequent were searched (a longer pattern searches them all)"
                )
            else:
                messages.append(
                    f"{pattern} was not searched: the query's other patterns already use "
                    f"the {MAX_QUERY_EXPANSIONS} words one query may expand to"
                )
        if len(messages) > MAX_EXPANSION_WARNINGS:
            more = len(messages) - MAX_EXPANSION_WARNINGS
            messages = [*messages[:MAX_EXPANSION_WARNINGS], f"... and {more} more such patterns"]
        return messages


@dataclass(frozen=True)
class ParsedQuery:
    """A parsed query plus what the user should be told about it.

    ``expansions`` learns during the search which patterns were capped; call
    ``expansion_warnings`` after running ``query`` to add them to ``warnings``.
    """

    query: wq.Query
    text: str
    warnings: tuple[str, ...]
    expansions: ExpansionLog = field(default_factory=ExpansionLog, compare=False, repr=False)


def expansion_warnings(parsed: ParsedQuery) -> list[str]:
    """Warnings for the patterns of ``parsed`` that matched too many words (after searching)."""
    return parsed.expansions.warnings()


def _separator_fits(kind: str, between: str) -> bool:
    """Whether the text between two query words is written the way a variant's separator is.

    A hyphen or an apostrophe is one such character, a space any run of
    whitespace, and any other separator ("U.N.") one character that is not a
    letter or digit.
    """
    if kind == "-":
        return between in HYPHENS
    if kind == "'":
        return between in APOSTROPHES
    if kind == " ":
        return between.isspace()
    return len(between) == 1


_Candidate = tuple[tuple[str, ...], tuple[str, ...], str | None]
"""A variant the rewriter looks for: its words, its separator kinds, and its expansion
(None: quote it as written)."""


class AliasRewriter:
    """Rewrites raw query text so the parser sees alias variants whole.

    Index-time groups only need multi-word variants quoted (the analyzer does
    the rest); query-time-only groups are replaced by an OR of quoted variants.
    Variants are looked up by the query's words in dicts keyed by first word
    (the index groups' one is the analyzer's, built once per searcher), so a
    query costs the same with 100,000 groups as with ten.
    """

    def __init__(
        self, index_groups: Sequence[AliasGroup], query_groups: Sequence[AliasGroup]
    ) -> None:
        self._index = AliasMatcher.for_groups(index_groups)
        extra: dict[str, list[_Candidate]] = {}
        for group in query_groups:
            expansion = "(" + " OR ".join(f'"{v.text}"' for v in group.variants) + ")"
            for variant in group.variants:
                candidate = (variant.words, variant.separators, expansion)
                extra.setdefault(variant.words[0], []).append(candidate)
        self._extra = extra

    def rewrite(self, text: str) -> str:
        """Quote or expand alias variants found outside quoted phrases."""
        if not self._index and not self._extra:
            return text
        pieces = text.split('"')
        for index in range(0, len(pieces), 2):  # even pieces are outside quotes
            pieces[index] = self._rewrite_piece(pieces[index])
        return '"'.join(pieces)

    def _rewrite_piece(self, piece: str) -> str:
        matches = list(WORD.finditer(piece))
        words = [m.group(0).lower() for m in matches]
        out: list[str] = []
        done = 0
        i = 0
        while i < len(matches):
            found = self._match_at(piece, matches, words, i)
            if found is None:
                i += 1
                continue
            length, expansion = found
            start, end = matches[i].start(), matches[i + length - 1].end()
            out.append(piece[done:start])
            out.append(expansion if expansion is not None else f'"{piece[start:end]}"')
            done = end
            i += length
        out.append(piece[done:])
        return "".join(out)

    def _candidates(self, first_word: str) -> Iterator[_Candidate]:
        for words, separators, _token in self._index.candidates(first_word):
            if len(words) > 1:  # a one-word index variant needs no quoting
                yield words, separators, None
        yield from self._extra.get(first_word, ())

    def _match_at(
        self, piece: str, matches: Sequence[re.Match[str]], words: Sequence[str], i: int
    ) -> tuple[int, str | None] | None:
        """(words spanned, expansion) of the longest variant written at word ``i``, if any.

        A variant glued to a hyphen ("anti-IS-K") is part of a longer word and
        does not count. Of two equally long variants the index's wins.
        """
        start = matches[i].start()
        if piece[start - 1 : start] == "-":
            return None
        best: tuple[int, str | None] | None = None
        for variant_words, separators, expansion in self._candidates(words[i]):
            length = len(variant_words)
            if (best is not None and length <= best[0]) or i + length > len(words):
                continue
            if tuple(words[i : i + length]) != variant_words:
                continue
            end = matches[i + length - 1].end()
            if piece[end : end + 1] == "-":
                continue
            if all(
                _separator_fits(kind, piece[matches[j - 1].end() : matches[j].start()])
                for j, kind in zip(range(i + 1, i + length), separators, strict=True)
            ):
                best = (length, expansion)
        return best


def clean_query_text(text: str) -> tuple[str, list[str]]:
    """Remove control and direction characters and cap the length, saying what was dropped."""
    warnings: list[str] = []
    cleaned = _CONTROL.sub(" ", text)
    if cleaned != text:
        warnings.append("control characters in the query were ignored")
    if len(cleaned) > MAX_QUERY_CHARS:
        cleaned = cleaned[:MAX_QUERY_CHARS]
        warnings.append(f"the query was cut to its first {MAX_QUERY_CHARS} characters")
    if cleaned.count('"') % 2:
        cleaned = cleaned + '"'
        warnings.append("an unbalanced quote was closed at the end of the query")
    return cleaned, warnings


def read_question_marks(text: str) -> tuple[str, list[str]]:
    """Drop a ``?`` ending a word outside quotes, saying so: there it asks, it is no wildcard.

    Inside a word (``b?rder``) ``?`` stays a one-letter wildcard. Only text
    outside quotes is touched: inside them ``?`` separates words anyway.
    """
    words: list[str] = []

    def without_question_mark(match: re.Match[str]) -> str:
        word = match.group(0).rstrip("?")
        if word == match.group(0) or not word or not (word[-1].isalnum() or word[-1] == "_"):
            return match.group(0)
        words.append(word)
        return word

    pieces = text.split('"')
    for index in range(0, len(pieces), 2):
        pieces[index] = _PATTERN_WORD.sub(without_question_mark, pieces[index])
    if not words:
        return text, []
    named = ", ".join(dict.fromkeys(words[:_NAMED_WORDS]))
    return '"'.join(pieces), [
        f"a ? ending a word is read as a question mark: searched {named} (inside a word, "
        f"as in b?rder, ? stands for one letter)"
    ]


def _quoted_wildcards(text: str) -> list[str]:
    """A warning for ``*`` and ``?`` inside quotes: phrases have no wildcards, these split words."""
    quoted = [piece for piece in text.split('"')[1::2] if _QUOTED_WILDCARD.search(piece)]
    if not quoted:
        return []
    return [f'* and ? are not wildcards inside quotes: they were read as spaces in "{quoted[0]}"']


def _unknown_fields(text: str) -> list[str]:
    outside_quotes = "".join(text.split('"')[::2])
    return sorted(
        {name for name in _FIELD_PREFIX.findall(outside_quotes) if name not in KNOWN_FIELDS}
    )


def _map_children(node: wq.Query, fn: Callable[[wq.Query], wq.Query]) -> wq.Query:
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


def _lift_negations(node: wq.Query) -> wq.Query:
    """Make "a NOT b" mean a-and-not-b under the OR default, not "a, or anything without b"."""
    node = _map_children(node, _lift_negations)
    if isinstance(node, wq.Or):
        negatives = [child.query for child in node.subqueries if isinstance(child, wq.Not)]
        positives = [child for child in node.subqueries if not isinstance(child, wq.Not)]
        if negatives and positives:
            kept = copy.copy(node)
            kept.subqueries = positives
            return wq.AndNot(kept, wq.Or(negatives))
    return node


class _MustGroup(syntax.Wrapper):  # type: ignore[misc]
    """A ``+word`` clause while parsing; ``_RequiredWordsPlugin`` decides what it means."""

    def query(self, parser: Any) -> wq.Query | None:
        # Outside an OR of words (alone, under AND) the clause is required already.
        return self.nodes[0].query(parser) if self.nodes else None


class _RequiredWordsPlugin(Plugin):  # type: ignore[misc]
    """Make "+a b c" mean a required while b and c only add score, as search engines do.

    Works on the parse tree, group by group, after the operators are placed
    (so ``(+a b) OR c`` keeps its brackets): in an OR group with ``+``
    clauses those become ``required ANDMAYBE (the other words)``. Negated
    clauses stay beside that, so ``_lift_negations`` still excludes them
    from everything ("+a b -c" never matches c).
    """

    def filters(self, parser: Any) -> list[tuple[Callable[..., Any], int]]:
        """Run after the OperatorsPlugin (priority 600) made the ``+`` groups."""
        return [(self.do_required, 650)]

    def do_required(self, parser: Any, group: Any) -> Any:
        """Rewrite ``group`` and every group inside it (see the class docstring)."""
        for position, node in enumerate(group):
            if isinstance(node, syntax.GroupNode):
                group[position] = self.do_required(parser, node)
        if not isinstance(group, syntax.OrGroup):
            return group
        required = [node.nodes[0] for node in group if isinstance(node, _MustGroup) and node.nodes]
        if not required:
            return group
        negated = [node for node in group if isinstance(node, syntax.NotGroup)]
        optional = [node for node in group if not isinstance(node, (_MustGroup, syntax.NotGroup))]
        clause = required[0] if len(required) == 1 else syntax.AndGroup(required)
        if optional:
            rest = group.empty_copy()
            rest.nodes = optional
            clause = syntax.AndMaybeGroup([clause, rest])
        rebuilt = group.empty_copy()
        rebuilt.nodes = [clause, *negated]
        return rebuilt


def _lowercase_patterns(node: wq.Query) -> wq.Query:
    if isinstance(node, (wq.Prefix, wq.Wildcard)) and node.text != node.text.lower():
        return node.__class__(node.fieldname, node.text.lower(), boost=node.boost)
    return _map_children(node, _lowercase_patterns)


class _CappedExpansion:
    """Mixin for Whoosh multi-term queries: expand to at most ``MAX_EXPANSIONS`` words.

    Whoosh ORs together one matcher per matching word, so ``co*`` or
    ``[aa TO zz]`` on a large index builds thousands of matchers and takes
    seconds. The words to keep are chosen once per search on the whole index
    (so every segment searches the same words): the most frequent ones, since
    they are what a short prefix most likely meant. A pattern with more than
    ``PRELOAD_ABOVE_WORDS`` words is matched with Whoosh's preloading union,
    which reads each word's postings once instead of merging hundreds of
    matchers document by document.
    """

    expansion_log: ExpansionLog
    _kept: frozenset[bytes] | None = None
    _kept_lock: threading.Lock

    def _candidates(self, ixreader: Any) -> Iterable[tuple[bytes, int]]:
        """Every word the pattern matches, with its document frequency."""
        fieldname = self.fieldname  # type: ignore[attr-defined]
        if isinstance(self, wq.Prefix):
            for btext, info in ixreader.iter_prefix(fieldname, self.text):
                yield btext, info.doc_frequency()
            return
        if isinstance(self, wq.Wildcard):
            yield from self._scan(ixreader)
            return
        for btext in super()._btexts(ixreader):  # type: ignore[misc]
            yield btext, ixreader.doc_frequency(fieldname, btext)

    def _scan(self, ixreader: Any) -> Iterator[tuple[bytes, int]]:
        """The words a wildcard matches, examining at most what the query's scan budget allows.

        Only words starting with the pattern's letters before its first
        wildcard can match, so only those are read (all of them for ``*order``).
        """
        fieldname = self.fieldname  # type: ignore[attr-defined]
        text: str = self.text  # type: ignore[attr-defined]
        allowance = self.expansion_log.scan_allowance()
        matches = re.compile(fnmatch.translate(text)).match
        from_bytes = ixreader.schema[fieldname].from_bytes
        prefix = text[: min((text.find(c) for c in "*?[" if c in text), default=len(text))]
        words = ixreader.expand_prefix(fieldname, prefix) if prefix else ixreader.lexicon(fieldname)
        examined = 0
        complete = True
        for btext in words:
            if examined == allowance:
                complete = False
                break
            examined += 1
            if matches(from_bytes(btext)):
                yield btext, ixreader.doc_frequency(fieldname, btext)
        self.expansion_log.scanned(str(self), examined, complete)

    def _choose(self, ixreader: Any) -> frozenset[bytes]:
        allowance = self.expansion_log.allowance()
        if allowance == 0:  # the query's budget is spent: do not even scan the words
            self.expansion_log.spend(str(self), 1, 0)
            return frozenset()
        kept: list[tuple[int, bytes]] = []
        matched = 0
        for btext, frequency in self._candidates(ixreader):
            matched += 1
            if len(kept) < allowance:
                heapq.heappush(kept, (frequency, btext))
            elif kept and (frequency, btext) > kept[0]:
                heapq.heapreplace(kept, (frequency, btext))
        self.expansion_log.spend(str(self), matched, len(kept))
        return frozenset(btext for _, btext in kept)

    def _kept_words(self, ixreader: Any) -> frozenset[bytes]:
        with self._kept_lock:
            if self._kept is None:
                self._kept = self._choose(ixreader)
            return self._kept

    def _btexts(self, ixreader: Any) -> Iterable[bytes]:
        fieldname = self.fieldname  # type: ignore[attr-defined]
        kept = self._kept_words(ixreader)
        return sorted(btext for btext in kept if (fieldname, btext) in ixreader)

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        top = searcher.get_parent() or searcher
        self._kept_words(top.reader())
        words = [
            wq.Term(self.fieldname, btext, boost=self.boost)  # type: ignore[attr-defined]
            for btext in self._btexts(searcher.reader())
        ]
        if len(words) <= PRELOAD_ABOVE_WORDS or (isinstance(self, wq.Prefix) and not self.text):
            return super().matcher(searcher, context)  # type: ignore[misc]
        union = wq.Or(words)
        union.matcher_type = wq.Or.ARRAY_MATCHER
        return union.matcher(searcher, context)


class _CappedPrefix(_CappedExpansion, wq.Prefix):  # type: ignore[misc]
    pass


class _CappedWildcard(_CappedExpansion, wq.Wildcard):  # type: ignore[misc]
    def normalize(self) -> wq.Query:
        normalized = wq.Wildcard.normalize(self)
        if normalized is self or not isinstance(normalized, (wq.Prefix, wq.Wildcard)):
            return normalized
        return _capped(normalized, self.expansion_log)


class _CappedTermRange(_CappedExpansion, wq.TermRange):  # type: ignore[misc]
    pass


class _CappedFuzzyTerm(_CappedExpansion, wq.FuzzyTerm):  # type: ignore[misc]
    pass


_CAPPED_CLASSES: tuple[tuple[type[wq.Query], type[wq.Query]], ...] = (
    (wq.Prefix, _CappedPrefix),
    (wq.Wildcard, _CappedWildcard),
    (wq.TermRange, _CappedTermRange),
    (wq.FuzzyTerm, _CappedFuzzyTerm),
)


def _capped(node: wq.Query, log: ExpansionLog) -> wq.Query:
    """A copy of a multi-term ``node`` that expands to at most MAX_EXPANSIONS words."""
    for plain, capped in _CAPPED_CLASSES:
        if type(node) is plain:
            rebuilt = copy.copy(node)
            rebuilt.__class__ = capped
            rebuilt.expansion_log = log
            rebuilt._kept_lock = threading.Lock()
            return rebuilt
    return node


def _cap_expansions(node: wq.Query, log: ExpansionLog) -> wq.Query:
    """Bound the work of every pattern in the tree (see ``_CappedExpansion``).

    ``title:*`` and open ranges like ``[a TO]`` become Whoosh ``Every(field)``,
    which reads every posting of the field; for fields every article has
    that is the same set as all documents, found in one pass over the ids.
    """
    if isinstance(node, wq.Every) and node.fieldname in ALL_DOCUMENT_FIELDS:
        return wq.Every(boost=node.boost)
    capped = _capped(node, log)
    if capped is not node:
        return capped
    if isinstance(node, (wq.Or, wq.And)):
        node = _without_repeats(node)
    return _map_children(node, lambda child: _cap_expansions(child, log))


@dataclass
class _PhraseBudget:
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


def _bound_phrase(node: wq.Phrase, budget: _PhraseBudget) -> wq.Query | None:
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


def _bound_phrases(node: wq.Query, budget: _PhraseBudget) -> wq.Query | None:
    """Bound each phrase's length and slop and all phrases' words (see ``_PhraseBudget``).

    Phrases are paid for in the order they were typed. One past the budget is
    left out as if it had not been typed (None when nothing is left of
    ``node``): an OR or AND loses that clause, a NOT with nothing to exclude
    goes. (Searching them as separate words instead was tried: hundreds of
    phrases of common words became hundreds of clauses, slower than before.)
    """
    if isinstance(node, wq.Phrase):
        return _bound_phrase(node, budget)
    if isinstance(node, wq.BinaryQuery):  # AndNot, AndMaybe...: matched through a and b
        a, b = _bound_phrases(node.a, budget), _bound_phrases(node.b, budget)
        if a is None or b is None:
            return a
        rebuilt_binary = copy.copy(node)
        rebuilt_binary.a, rebuilt_binary.b = a, b
        rebuilt_binary.subqueries = (a, b)
        return rebuilt_binary
    if isinstance(node, wq.CompoundQuery):
        children = [_bound_phrases(child, budget) for child in node.subqueries]
        kept = [child for child in children if child is not None]
        if not kept:
            return None
        rebuilt = copy.copy(node)
        rebuilt.subqueries = kept
        return rebuilt
    if isinstance(node, wq.Not):
        inner = _bound_phrases(node.query, budget)
        return None if inner is None else wq.Not(inner, boost=node.boost)
    if isinstance(node, wq.WrappingQuery):
        inner = _bound_phrases(node.child, budget)
        if inner is None:
            return None
        rebuilt_wrapper = copy.copy(node)
        rebuilt_wrapper.child = inner
        return rebuilt_wrapper
    return node


def _without_repeats(node: wq.CompoundQuery) -> wq.CompoundQuery:
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
    node = _map_children(node, lambda child: _drop_words(child, keep))
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


def make_parser(schema: Schema) -> MultifieldParser:
    """The parser: OR over title and body, dates and wildcards (``b?rder``) understood,
    ``-word`` and ``+word`` too.

    No coordination bonus: BM25's idf already rewards matching more of the
    query's words, and the bonus measured worse on benchmarks/relevance.py.
    """
    parser = MultifieldParser(list(SEARCH_FIELDS), schema, group=OrGroup)
    use_patterns(parser)
    parser.add_plugin(DateParserPlugin())
    must = OperatorsPlugin.OpTagger(MUST_SYNTAX, _MustGroup, syntax.PrefixOperator, memo="must")
    parser.replace_plugin(OperatorsPlugin([(must, 0)], Not=NOT_SYNTAX))
    parser.add_plugin(_RequiredWordsPlugin())
    return parser


def _parse_plain_words(parser: MultifieldParser, text: str) -> wq.Query:
    """The fallback for text the parser rejects: just its words, as plain search terms.

    The words are lower-cased so that none of them ("ANDMAYBE ANDMAYBE") is
    read as an operator again, which the parser rejects just as it did the
    whole query.
    """
    words = " ".join(re.findall(r"\w+", text)).lower()
    if not words:
        return wq.NullQuery
    try:
        return parser.parse(words)
    except Exception:  # the same odd-input exceptions as above; nothing is left to try
        return wq.NullQuery


def parse_query(text: str, parser: MultifieldParser, rewriter: AliasRewriter | None) -> ParsedQuery:
    """Parse user text into a query; never raises, but lists what was ignored."""
    cleaned, warnings = clean_query_text(text)
    cleaned, question_warnings = read_question_marks(cleaned)
    warnings.extend(question_warnings + _quoted_wildcards(cleaned))
    for name in _unknown_fields(cleaned):
        warnings.append(f"unknown field {name!r} was searched as plain text")
    rewritten = rewriter.rewrite(cleaned) if rewriter is not None else cleaned
    try:
        parsed = parser.parse(rewritten)
    except Exception as exc:  # Whoosh's parser signals odd input with many exception types.
        warnings.append(f"the query could not be parsed ({type(exc).__name__}); searched its words")
        parsed = _parse_plain_words(parser, cleaned)
    parsed = _lowercase_patterns(_lift_negations(parsed))
    if parsed is wq.NullQuery or isinstance(parsed, type(wq.NullQuery)):
        if cleaned.strip():
            warnings.append(
                "nothing searchable was left in the query (only stopwords, operators or "
                "unparseable field values)"
            )
        parsed = wq.NullQuery
    expansions = ExpansionLog()
    phrases = _PhraseBudget()
    bounded = _bound_phrases(parsed, phrases)
    parsed = _cap_expansions(wq.NullQuery if bounded is None else bounded, expansions)
    warnings.extend(phrases.warnings())
    return ParsedQuery(parsed, rewritten, tuple(warnings), expansions)
