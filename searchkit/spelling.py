"""Did-you-mean: spelling corrections over an index's vocabulary and document frequencies.

``Speller(vocabulary)`` precomputes, once per vocabulary, a map from every
one-letter deletion of every word to the words it came from (the "symmetric
delete" method): a typed word's own deletions then look up, in a few dict
probes, every vocabulary word within one edit (insertion, deletion,
substitution, adjacent transposition) and many within two (a substitution
plus an insertion or deletion, as "blare" -> "blair"). Candidates are
verified with the true (restricted Damerau-Levenshtein) distance and ranked by
distance, then by document frequency.

A word is corrected when it is absent from the vocabulary, or when it is
present but much rarer than a close spelling (``rarer_ratio`` times and at
most ``max_rare_df`` documents), as a typo that made it into a few articles.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

MIN_LENGTH = 3
"""Words shorter than this are never corrected: too many words lie one edit away."""
SOUND_ALIKE_RATIO = 5.0


def _deletions(word: str) -> Iterator[str]:
    for i in range(len(word)):
        yield word[:i] + word[i + 1 :]


def edit_distance(a: str, b: str, limit: int = 2) -> int:
    """Restricted Damerau-Levenshtein distance of ``a`` and ``b`` (``limit + 1`` past ``limit``).

    Transpositions of adjacent letters count as one edit, since they are the
    commonest typing slip; stopping past ``limit`` keeps verification cheap.
    """
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return min(previous[-1], limit + 1)


def skeleton(word: str) -> str:
    """The first letter and the other consonants, repeats collapsed ("blair", "blare" -> "blr").

    Two spellings with one skeleton sound alike, so a typo that keeps the
    skeleton ("blare" for "blair") is likelier than one that changes it
    ("blame"): such a candidate counts as one edit closer.
    """
    if not word:
        return word
    out = [word[0]]
    for ch in word[1:]:
        if ch in "aeiouyhw":
            continue
        if ch != out[-1]:
            out.append(ch)
    return "".join(out)


class Speller:
    """Suggests corrections for words of a query from a word -> document frequency map.

    Memory: one dict entry per (deletion, word) pair plus the vocabulary; for
    the Reuters-21578 vocabulary measured in ``benchmarks/stories.py``.
    """

    def __init__(
        self,
        vocabulary: Mapping[str, int],
        rarer_ratio: float = 20.0,
        max_rare_df: int = 3,
        max_distance: int = 2,
        *,
        deletion_map: bool = True,
    ) -> None:
        """Index ``vocabulary`` (word -> document frequency) for corrections.

        ``deletion_map=False`` skips the deletion map: each lookup then probes
        the vocabulary with every one-letter insertion of the typed word's
        deletions instead, which finds exactly the same candidates. That costs
        a few milliseconds per corrected word and nothing up front, the right
        trade when a vocabulary serves only a few lookups (one CLI query);
        the map pays off over many (measured in benchmarks/README.md).
        """
        self.vocabulary = dict(vocabulary)
        self.rarer_ratio = rarer_ratio
        self.max_rare_df = max_rare_df
        self.max_distance = max_distance
        self._alphabet = "".join(sorted(set("".join(self.vocabulary))))
        self._use_map = deletion_map
        deletes: dict[str, list[str] | str] = {}
        if not deletion_map:
            self._deletes = deletes
            return
        for word in self.vocabulary:
            if len(word) < MIN_LENGTH:
                continue
            for key in {*_deletions(word), word}:
                present = deletes.get(key)
                if present is None:
                    deletes[key] = word  # most keys have one word: no list for them
                elif isinstance(present, str):
                    deletes[key] = [present, word]
                else:
                    present.append(word)
        self._deletes = deletes

    def _words_at(self, key: str) -> list[str]:
        """The vocabulary words equal to ``key`` or one deletion away from it."""
        if not self._use_map:
            vocabulary = self.vocabulary
            found_words = [key] if key in vocabulary and len(key) >= MIN_LENGTH else []
            for i in range(len(key) + 1):
                head, tail = key[:i], key[i:]
                for letter in self._alphabet:
                    word = head + letter + tail
                    if word in vocabulary and len(word) >= MIN_LENGTH:
                        found_words.append(word)
            return found_words
        found = self._deletes.get(key)
        if found is None:
            return []
        return [found] if isinstance(found, str) else found

    def candidates(self, word: str) -> list[tuple[str, int, int]]:
        """Vocabulary words near ``word`` as (word, distance, df), best first.

        Best means fewest edits, then most documents, then alphabetical (so
        the answer never depends on dict order).
        """
        seen: set[str] = set()
        found: list[tuple[str, int, int]] = []
        for key in {word, *_deletions(word)}:
            for other in self._words_at(key):
                if other in seen or other == word:
                    continue
                seen.add(other)
                distance = edit_distance(word, other, self.max_distance)
                if distance <= self.max_distance:
                    found.append((other, distance, self.vocabulary[other]))
        found.sort(key=lambda item: (item[1], -item[2], item[0]))
        return found

    def correct(self, word: str) -> str | None:
        """The correction for one lowercased word, or None when it looks right.

        Absent words take the best candidate; a present word is replaced only
        by a one-edit spelling ``rarer_ratio`` times as common, so real but
        rare words ("tory", "ore") are left alone.
        """
        if len(word) < MIN_LENGTH or not word.isalpha():
            return None
        df = self.vocabulary.get(word, 0)
        if df > self.max_rare_df:
            return None
        best = self.candidates(word)
        if not best:
            return None
        if df == 0:
            return self._absent(word, best)
        common = [c for c in best if c[1] == 1 and c[2] >= self.rarer_ratio * df]
        if not common:
            return None
        return max(common, key=lambda c: (c[2], c[0]))[0]

    def _absent(self, word: str, best: list[tuple[str, int, int]]) -> str:
        """The correction of a word the vocabulary lacks.

        The nearest, commonest spelling, except that a two-edit spelling that
        sounds alike (same ``skeleton``: "blare" -> "blair", not "blame") wins
        when it is ``SOUND_ALIKE_RATIO`` times as common as the best one-edit one.
        """
        choice = best[0]
        if choice[1] == 1:
            sound = skeleton(word)
            alike = [c for c in best if c[1] == 2 and skeleton(c[0]) == sound]
            if alike and alike[0][2] >= SOUND_ALIKE_RATIO * choice[2]:
                choice = alike[0]
        return choice[0]

    def suggest(self, words: list[str]) -> list[str] | None:
        """The query's words with each correctable one corrected, or None when none needs it."""
        corrected = [self.correct(w) or w for w in words]
        return corrected if corrected != words else None
