"""Turning what a user typed into a query: aliases, clean-up, warnings.

Free text is OR-ed, so a query never returns nothing because one word is
absent; BM25's idf already ranks documents matching more of the words first.
The work one query may cause is bounded: its length here, and in the engine
(``searchkit.engine.query_tree`` and ``searchkit.engine.expansions``) its
phrases (their length, proximity and number), its patterns' expansions and the
words they examine, and the number of optional words it searches. Each bound
applied is reported in the results' warnings.

Multi-word alias variants are quoted before parsing so the parser keeps
them together; groups known only at query time (a `--synonyms` file the
index was not built with) become an OR of phrases.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from searchkit.engine.analysis import AliasMatcher
from searchkit.engine.expansions import ExpansionLog
from searchkit.engine.parser import QueryParser, build_query
from searchkit.engine.query_tree import QueryTree
from searchkit.synonyms import APOSTROPHES, HYPHENS, WORD, AliasGroup

KNOWN_FIELDS = ("title", "body", "author", "source", "url", "published", "id")
MAX_QUERY_CHARS = 10_000

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_FIELD_PREFIX = re.compile(r"(?<![\w\"])([A-Za-z_]\w*):(?=\S)")
_PATTERN_WORD = re.compile(r"[\w*?]+")
_QUOTED_WILDCARD = re.compile(r"\*|\?(?=\w)")
_NAMED_WORDS = 5  # a warning names at most this many words


@dataclass(frozen=True)
class ParsedQuery:
    """A parsed query plus what the user should be told about it.

    ``expansions`` learns during the search which patterns were capped; call
    ``expansion_warnings`` after running ``query`` to add them to ``warnings``.
    """

    query: QueryTree
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


def parse_query(text: str, parser: QueryParser, rewriter: AliasRewriter | None) -> ParsedQuery:
    """Parse user text into a query; never raises, but lists what was ignored."""
    cleaned, warnings = clean_query_text(text)
    cleaned, question_warnings = read_question_marks(cleaned)
    warnings.extend(question_warnings + _quoted_wildcards(cleaned))
    for name in _unknown_fields(cleaned):
        warnings.append(f"unknown field {name!r} was searched as plain text")
    rewritten = rewriter.rewrite(cleaned) if rewriter is not None else cleaned
    tree, tree_warnings, expansions = build_query(parser, rewritten, cleaned)
    warnings.extend(tree_warnings)
    return ParsedQuery(tree, rewritten, tuple(warnings), expansions)
