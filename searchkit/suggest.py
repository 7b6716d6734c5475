"""Did-you-mean for whole queries: which words of a query to check, and their corrections.

``searchkit.spelling`` corrects one word against a vocabulary; this module
picks the words of a query worth checking and asks the index about them.
Index terms are stems, so a word is checked when its stem is absent from
the index or held by at most ``max_rare_df`` live documents, or when no
document holds the word as typed (each segment's sorted typed words answer
that by binary search). Only then is the index's typed-word vocabulary
(unstemmed words with document frequencies, stored per segment at index
time) merged and searched, and a correction is kept only if its stem is held
by more live documents than the word's own: "runnings" finds what "running"
would, so it gets no suggestion, and the vocabulary's counts, which include
deleted documents until their segment merges, never decide alone.

Field clauses (``title:x``), excluded words (``-x``), wildcards, operators
and date ranges are left as typed; queries of more than ``MAX_CHECKED_WORDS``
plain words are not checked at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from searchkit.engine.analysis import STOPWORDS, fold_word, normalize_word
from searchkit.spelling import MIN_LENGTH, Speller

_TOKEN = re.compile(r'[^\s"()]+')
_OPERATORS = frozenset({"AND", "OR", "NOT", "TO"})

MAX_CHECKED_WORDS = 12
"""A query with more plain words than this is pasted text, not typed: it is not checked
(each rare word costs a few milliseconds, and a 10,000-word query must stay fast)."""
MAX_WORD_LENGTH = 30
"""Longer tokens are not words anyone misspells (and their candidates grow with length squared)."""


def checkable_words(text: str) -> list[tuple[int, int, str]]:
    """(start, end, word) of each plain word of a query worth checking, in order.

    A plain word is a token of letters only, optionally after ``+``; words
    inside quotes count (a phrase can be misspelt too), but not inside a
    range (``[2024 TO 2025]``).
    """
    found: list[tuple[int, int, str]] = []
    depth = 0
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        depth += token.count("[") + token.count("{")
        in_range = depth > 0
        depth = max(0, depth - token.count("]") - token.count("}"))
        if in_range or token in _OPERATORS:
            continue
        start = match.start()
        if token.startswith("+"):
            token, start = token[1:], start + 1
        if (
            token.isalpha()
            and MIN_LENGTH <= len(token) <= MAX_WORD_LENGTH
            and token.lower() not in STOPWORDS
        ):
            found.append((start, start + len(token), token))
    return found


def _same_case(typed: str, correction: str) -> str:
    """The correction written the way the word was typed (OBAMMA -> OBAMA, Obamma -> Obama)."""
    if typed.isupper() and len(typed) > 1:
        return correction.upper()
    if typed[:1].isupper():
        return correction[:1].upper() + correction[1:]
    return correction


def suggest_query(
    text: str,
    term_frequency: Callable[[str], int],
    speller_for: Callable[[], Speller],
    max_rare_df: int = 3,
    has_typed_word: Callable[[str], bool] | None = None,
) -> str | None:
    """``text`` with its misspelt words corrected, or None when none needs it.

    ``term_frequency`` gives an index term's live document frequency;
    ``has_typed_word`` says whether any document holds a word as typed
    (a misspelling can stem to a real stem: "americ" -> "amer");
    ``speller_for`` builds (or reuses) the speller over the index's typed
    vocabulary and is called only when some word is rare or absent.
    """
    pieces: list[str] = []
    position = 0
    changed = False
    speller: Speller | None = None
    words = checkable_words(text)
    if len(words) > MAX_CHECKED_WORDS:
        return None
    for start, end, word in words:
        lowered = fold_word(word)
        own = term_frequency(normalize_word(lowered))
        if own > max_rare_df and (has_typed_word is None or has_typed_word(lowered)):
            continue
        if speller is None:
            speller = speller_for()
        correction = speller.correct(lowered)
        if correction is None or term_frequency(normalize_word(correction)) <= own:
            continue
        pieces.append(text[position:start])
        pieces.append(_same_case(word, correction))
        position = end
        changed = True
    if not changed:
        return None
    pieces.append(text[position:])
    return "".join(pieces)


class SpellerCache:
    """One speller per vocabulary object: rebuilt only when the index's vocabulary changes."""

    def __init__(self) -> None:
        self._vocabulary: Mapping[str, int] | None = None
        self._speller: Speller | None = None

    def speller(self, vocabulary: Mapping[str, int]) -> Speller:
        """The speller over ``vocabulary`` (no deletion map: a query checks few words)."""
        if self._speller is None or self._vocabulary is not vocabulary:
            self._speller = Speller(vocabulary, deletion_map=False)
            self._vocabulary = vocabulary
        return self._speller
