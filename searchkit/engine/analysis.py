"""The text analyzer shared by indexing, querying and snippets.

One fused pass (tokenize, lowercase, fold accents, recognise aliases, drop
stopwords, stem) instead of a chain of Whoosh filters: it is faster, and alias
recognition needs to see the raw words and the separators between them before
stopwords and one-letter fragments ("is", "k", "e") are removed.

At index time an alias span ("ISIS-K", "Tehreek-e-Taliban Pakistan") keeps
its own words and also emits its group's token at the position of the span's
last word. At query time the span is replaced by the group token alone, so a
query for any variant matches every variant, as a single term or inside a
phrase.
"""

from __future__ import annotations

import re
import unicodedata
import weakref
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from typing import Any, ClassVar

import Stemmer
from whoosh.analysis import Composable, Token

from searchkit.synonyms import (
    WORD,
    AliasGroup,
    GroupLines,
    groups_to_lines,
    parse_synonyms,
    separator_kind,
)

# English function words: Lucene's classic list plus the common pronouns,
# determiners, auxiliaries and prepositions (measured in benchmarks/relevance.py:
# words such as "over" and "some" otherwise outweigh a rare word typed once).
# Deliberately NOT "us" (the country), "it" (IT), "who" (the WHO), "may" (the
# month), "will" (a noun too) or "don" (a name).
_STOPWORD_TEXT = """
a an and are as at be but by for if in into is no not of on or such that the their
then there these they this to was with from has have had were been its which
i me my myself we our ours ourselves you your yours yourself yourselves he him his
himself she her hers herself itself them theirs themselves what whom those am being
having do does did doing because until while about against between through during
before after above below up down out off over under again further once here when
where why how all any both each few more most other some nor only own same so than
too very can just should now
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

_stemmer = Stemmer.Stemmer("english")


def fold_word(word: str) -> str:
    """Lowercase and fold accents (café -> cafe): a word as the index spells it, before stemming."""
    lowered = word.lower()
    if not lowered.isascii():
        decomposed = unicodedata.normalize("NFKD", lowered)
        lowered = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return lowered


@lru_cache(maxsize=200_000)
def normalize_word(word: str) -> str:
    """Lowercase, fold accents (café -> cafe) and stem one word; cached because words repeat."""
    return str(_stemmer.stemWord(fold_word(word)))


WILDCARDS = "*?"
"""Pattern characters in a query word: ``*`` any letters (or none), ``?`` exactly one."""
_WILDCARD_CHARS = re.compile(r"[*?]")


def pattern_forms(pattern: str) -> tuple[str, ...]:
    """The index-term patterns a typed wildcard word stands for: as typed, then stemmed.

    Index terms are folded, stemmed words, so the pattern is folded the same
    way and also tried stemmed, as a typed word would be: "b?rders" searches
    "b?rder" too, the form "borders" has in the index. The stemmer reads a
    wildcard as a consonant ("t?xes" stays "t?xes") or, tried again, as a
    vowel ("taxes" gives "t?x"). A stemmed form is kept only when stemming
    changed nothing before the last wildcard, and never when it is wildcards
    alone ("*ing" would become "*", every word). A good guess, not an exact
    one: words whose stem drops what follows the wildcard can still be missed.
    """
    folded = fold_word(pattern)
    fixed = max(folded.rfind(wildcard) for wildcard in WILDCARDS) + 1
    forms = [folded]
    for word in (folded, _WILDCARD_CHARS.sub("a", folded)):
        stemmed = str(_stemmer.stemWord(word))
        form = folded[:fixed] + stemmed[fixed:]
        if stemmed[:fixed] == word[:fixed] and form not in forms and form.strip(WILDCARDS):
            forms.append(form)
    return tuple(forms)


GROUP_TOKEN_PREFIX = "="
"""How an alias group's index term begins (``AliasGroup.token``); no word can begin so."""

_ACRONYM = re.compile(r"(?<!\w)[^\W\d_](?:\.[^\W\d_])+(?!\w)")
"""A dotted acronym ("U.N.", "U.S.A."): one-letter words joined by single dots."""

_STEM_CHANGES_START = {"die": "dy", "lie": "ly", "tie": "ty"}
"""Snowball English's exceptions whose stem does not begin as the word does (dying -> die)."""


@lru_cache(maxsize=64)
def _candidate_words(wanted: frozenset[str]) -> re.Pattern[str]:
    """The ASCII words that may stem to one of ``wanted``: those beginning with a term's
    first two letters (a Snowball stem keeps them, but for the exceptions above)."""
    starts = {term[:2] for term in wanted}
    starts.update(_STEM_CHANGES_START[term] for term in wanted if term in _STEM_CHANGES_START)
    choices = "|".join(sorted(map(re.escape, starts), key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{choices})\w*", re.IGNORECASE)


_LONE_LETTER = re.compile(r"(?<!\w)[^\W\d_](?!\w)")
"""A one-letter word in a synonyms line."""


def is_indexable(lowered: str) -> bool:
    """Whether a lowercased word becomes a term: not a stopword, not a lone letter."""
    return lowered not in STOPWORDS and (len(lowered) > 1 or lowered.isdigit())


def _acronym_length(
    value: str, matches: Sequence[re.Match[str]], words: Sequence[str], start: int
) -> int:
    """How many one-letter words from ``start`` form a dotted acronym ("U.N.", "U.S.").

    Alone each letter is too short to be a term, so "U.N." would vanish from
    both documents and queries; joined it becomes the term "un".
    """
    end = start
    while (
        end < len(words)
        and len(words[end]) == 1
        and words[end].isalpha()
        and (end == start or value[matches[end - 1].end() : matches[end].start()] == ".")
    ):
        end += 1
    return end - start


AliasEntry = tuple[tuple[str, ...], tuple[str, ...], str]
"""One variant in an AliasMatcher: its words, its separator kinds and its group's token."""


def _longest_first(entry: AliasEntry) -> int:
    return -len(entry[0])


class AliasMatcher:
    """Finds alias spans in a sequence of raw words, longest variant first.

    Variants are found through a dict keyed by their first word, so matching
    costs the same with 100,000 groups as with ten. From a tuple of groups
    (an indexer's) the dict is built at once; from an index's ``GroupLines``
    (a searcher's) each word's entry is built the first time it is looked up,
    so opening an index parses none of its groups.
    """

    _shared: ClassVar[weakref.WeakValueDictionary[int, AliasMatcher]] = (
        weakref.WeakValueDictionary()
    )

    def __init__(self, groups: Sequence[AliasGroup]) -> None:
        self.groups = groups
        self._lines = groups if isinstance(groups, GroupLines) else None
        self._labels: dict[str, str] = {}
        # Lazily built entries record their labels as they load; a tuple's are
        # all recorded at the first ``label`` call.
        self._all_labelled = self._lines is not None
        by_first: dict[str, list[AliasEntry]] = {}
        if self._lines is None:
            for group in groups:
                token = group.token
                for variant in group.variants:
                    words = variant.words
                    entry = (words, variant.separators, token)
                    bucket = by_first.get(words[0])
                    if bucket is None:
                        by_first[words[0]] = [entry]
                    else:
                        bucket.append(entry)
            for entries in by_first.values():
                if len(entries) > 1:
                    entries.sort(key=_longest_first)
        self._by_first = by_first

    @classmethod
    def for_groups(cls, groups: Sequence[AliasGroup]) -> AliasMatcher:
        """The matcher for ``groups``, shared by everything built from the same object.

        A searcher builds three analyzers and a query rewriter from one set of
        groups, and an indexer's workers inherit its table; at 100,000 groups
        each table would cost about a second. The matcher holds the groups, so
        their id cannot be reused while it is cached.
        """
        found = cls._shared.get(id(groups))
        if found is None or found.groups is not groups:
            found = cls(groups)
            cls._shared[id(groups)] = found
        return found

    def candidates(self, first_word: str) -> Sequence[AliasEntry]:
        """The variants starting with ``first_word`` (lowercased), longest first."""
        found = self._by_first.get(first_word)
        if found is not None:
            return found
        if self._lines is None:
            return ()
        groups = self._lines.starting_with(first_word)
        if not groups:
            # Remembered too: most words start no variant, and snippets ask for every word.
            self._by_first[first_word] = []
            return ()
        entries: list[AliasEntry] = []
        for group in groups:
            self._labels[group.token] = group.label
            entries.extend(
                (v.words, v.separators, group.token)
                for v in group.variants
                if v.words[0] == first_word
            )
        entries.sort(key=_longest_first)
        self._by_first[first_word] = entries
        return entries

    def label(self, token: str) -> str | None:
        """The label of the group whose index term is ``token`` (one this matcher produced)."""
        if not self._all_labelled:
            self._labels = {group.token: group.label for group in self.groups}
            self._all_labelled = True
        return self._labels.get(token)

    def __bool__(self) -> bool:
        return bool(self._by_first) or bool(self._lines)

    def match(
        self, words: Sequence[str], separator: Callable[[int], str], start: int
    ) -> tuple[int, str] | None:
        """Return (number of words, group token) for the longest variant at ``start``.

        ``separator(j)`` is the kind of separator before word ``j``; it is only
        asked for when the words already match, which is rare.
        """
        candidates = self.candidates(words[start])
        if not candidates:
            return None
        for variant_words, variant_seps, token in candidates:
            end = start + len(variant_words)
            if end > len(words) or tuple(words[start:end]) != variant_words:
                continue
            following = range(start + 1, end)
            if all(separator(j) == k for j, k in zip(following, variant_seps, strict=True)):
                return len(variant_words), token
        return None


class NewsAnalyzer(Composable):  # type: ignore[misc]
    """Whoosh analyzer for news text with alias recognition (see the module docstring).

    ``query_aliases`` decides whether query-mode analysis replaces alias spans
    by their group token; a searcher turns it off for `--no-synonyms`.
    """

    def __init__(self, groups: Sequence[AliasGroup] = (), query_aliases: bool = True) -> None:
        # An index's GroupLines stay lazy; anything else is fixed as a tuple.
        self.groups = groups if isinstance(groups, GroupLines) else tuple(groups)
        self.query_aliases = query_aliases
        self._matcher: AliasMatcher | None = None  # built at first use (see ``matcher``)
        self._letters: frozenset[str] | None = None  # see ``_variant_letters``

    @property
    def matcher(self) -> AliasMatcher:
        """The alias table, built when text is first analysed.

        Creating an index only pickles the schema, and a searcher builds three
        analyzers from one set of groups: at 100,000 groups each table takes
        about a second to build.
        """
        if self._matcher is None:
            self._matcher = AliasMatcher.for_groups(self.groups)
        return self._matcher

    def prepare(self) -> None:
        """Build the alias table now, e.g. before forking workers that would each build it."""
        _ = self.matcher

    def __getstate__(self) -> dict[str, Any]:
        # Whoosh pickles the schema into every table of contents. As Solr lines
        # the groups pickle small and fast: as objects, 100,000 groups made a
        # 28 MB table of contents that took seconds to write at every commit.
        return {"synonyms": groups_to_lines(self.groups), "query_aliases": self.query_aliases}

    def __setstate__(self, state: dict[str, Any]) -> None:
        if "synonyms" in state:
            groups = parse_synonyms("\n".join(state["synonyms"]), "<pickled analyzer>")
        else:  # written by an older searchkit: rebuilt, to compute what it did not store
            groups = tuple(AliasGroup(g.label, g.variants) for g in state["groups"])
        self.__init__(groups, state["query_aliases"])  # type: ignore[misc]

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, NewsAnalyzer)
            and self.groups == other.groups
            and self.query_aliases == other.query_aliases
        )

    def __hash__(self) -> int:
        return hash((self.groups, self.query_aliases))

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        query_mode = mode == "query"
        if query_mode and not self.query_aliases:
            terms = self.terms(value, aliases=False)
        else:
            terms = self.terms(value, replace_spans=query_mode)
        for text, pos, startchar, endchar in terms:
            token.text = text
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = value[startchar:endchar]
            if positions:
                token.pos = start_pos + pos
            if chars:
                token.startchar = start_char + startchar
                token.endchar = start_char + endchar
            yield token

    def spans(self, value: str, wanted: set[str]) -> list[tuple[int, int, str]]:
        """(start, end, term) of every place ``value`` holds one of the terms ``wanted``.

        The same places ``terms`` (index side) would give, found faster: when
        no wanted term is a group token, a term comes from one word or from one
        dotted acronym, so each distinct word is normalised once and matched
        against ``wanted`` directly. Full analysis is kept for an acronym with a
        letter that is a word of an alias variant ("ISIS-K"): an alias span
        there could swallow it.
        Snippets ask this of every returned title and body.
        """
        if not wanted or not value:
            return []
        acronyms = list(_ACRONYM.finditer(value)) if "." in value else []
        letters = self._variant_letters() if acronyms else frozenset()
        if any(term.startswith(GROUP_TOKEN_PREFIX) for term in wanted) or any(
            letters.intersection(match.group(0).lower().split(".")) for match in acronyms
        ):
            return [(s, e, t) for t, _p, s, e in self.terms(value) if t in wanted]
        found: list[tuple[int, int, str]] = []
        for match in acronyms:
            joined = match.group(0).replace(".", "").lower()
            if joined in wanted:
                found.append((match.start(), match.end(), joined))
        verdicts: dict[str, str | None] = {}
        # In ASCII text a word can only stem to a wanted term if it begins as the term
        # does (see _candidate_words), so the regex engine skips every other word.
        words = _candidate_words(frozenset(wanted)) if value.isascii() else WORD
        for match in words.finditer(value):
            lowered = match.group(0).lower()
            if lowered in verdicts:
                term = verdicts[lowered]
            else:
                # One-letter words (an acronym's letters among them) are never terms.
                stem = normalize_word(lowered) if is_indexable(lowered) else None
                term = verdicts[lowered] = stem if stem in wanted else None
            if term is not None:
                found.append((match.start(), match.end(), term))
        if acronyms:
            found.sort()
        return found

    def _variant_letters(self) -> frozenset[str]:
        """The one-letter words of the alias variants, lowercased (found once per analyzer)."""
        if self._letters is None:
            groups = self.groups
            lines = groups.lines if isinstance(groups, GroupLines) else groups_to_lines(groups)
            self._letters = frozenset(
                letter.lower() for line in lines for letter in _LONE_LETTER.findall(line)
            )
        return self._letters

    def terms(
        self, value: str, replace_spans: bool = False, aliases: bool = True
    ) -> Iterator[tuple[str, int, int, int]]:
        """Yield (term, position, startchar, endchar) for ``value``.

        With ``replace_spans`` an alias span yields only its group token (query
        side); otherwise its words are yielded too (index side). ``aliases=False``
        yields plain words only.
        """
        matches = list(WORD.finditer(value))
        if not matches:
            return
        words = [m.group(0).lower() for m in matches]
        matcher = self.matcher if aliases else None

        def separator(j: int) -> str:
            return separator_kind(value[matches[j - 1].end() : matches[j].start()])

        position = -1
        i = 0
        count = len(words)
        while i < count:
            span = matcher.match(words, separator, i) if matcher else None
            if span is None:
                length = _acronym_length(value, matches, words, i)
                if length > 1:
                    position += 1
                    acronym = "".join(words[i : i + length])
                    yield acronym, position, matches[i].start(), matches[i + length - 1].end()
                    i += length
                    continue
                lowered = words[i]
                if is_indexable(lowered):
                    position += 1
                    m = matches[i]
                    yield normalize_word(lowered), position, m.start(), m.end()
                i += 1
                continue
            length, group_token = span
            first, last = matches[i], matches[i + length - 1]
            emitted_word = False
            if not replace_spans:
                for j in range(i, i + length):
                    if is_indexable(words[j]):
                        position += 1
                        emitted_word = True
                        m = matches[j]
                        yield normalize_word(words[j]), position, m.start(), m.end()
            if not emitted_word:
                position += 1
            yield group_token, position, first.start(), last.end()
            i += length
