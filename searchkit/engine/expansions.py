"""Bounding what one query's patterns (prefixes, wildcards, ranges, fuzzy words) may cost.

Each pattern searches at most ``MAX_EXPANSIONS`` words, the whole query at
most ``MAX_QUERY_EXPANSIONS``, and its wildcards examine at most
``MAX_QUERY_SCANNED_WORDS`` index words; ``ExpansionLog`` records, while the
query runs, which patterns were cut short.
"""

from __future__ import annotations

import copy
import fnmatch
import heapq
import re
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from whoosh import query as wq

from searchkit.engine.query_tree import map_children, without_repeats

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
PRELOAD_ABOVE_WORDS = 64
"""Patterns searching more words than this are matched by preloading their documents:
much faster, but Whoosh then cannot say which of the words a hit contains, so
those words are not highlighted."""
ALL_DOCUMENT_FIELDS = frozenset({"id", "title", "body"})
"""Fields every indexed article has: "any value in this field" means "every document"."""


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


def cap_expansions(node: wq.Query, log: ExpansionLog) -> wq.Query:
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
        node = without_repeats(node)
    return map_children(node, lambda child: cap_expansions(child, log))
