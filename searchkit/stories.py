"""Stories: articles about the same event grouped under one ``story_id``, incrementally.

Each article becomes a short weighted profile of its key terms: the names it
mentions (runs of capitalised words, "Purolator Courier", "Bernie Ebbers"),
weighted above ordinary words, and its content words, stemmed, both scored by
TF-IDF, the title counting double. A new article is compared (cosine of
profiles) with the earlier articles a ``CandidateSource`` proposes for its key
terms, and joins the story of the most similar one when the similarity
reaches the threshold; otherwise it starts a new story.

Rules:

* **Time window.** When both articles are dated, a candidate more than
  ``window_days`` (3) away does not count. An undated article (or an undated
  candidate) has no time evidence either way: it may join any story, but only
  above the stricter ``undated_threshold``, since a dated pair's window already
  rules out most look-alikes.
* **Something specific.** The two must also share a name or word found in few
  other documents (``SPECIFIC_SHARE``): templated items such as quarterly results
  share only common words and would otherwise chain into one endless story.
* **Copies.** An article whose ``duplicate_group`` already has a member in a
  story joins that story at once.
* **Stable ids.** Story ids are integers from 1, never reused; stories are
  never merged or split, so a story keeps its id as it grows and after any of
  its articles (even the first) is removed.

``CandidateSource`` is the part the search index can serve: "which earlier
articles share these weighted terms, best first, within this time range".
``MemoryCandidates`` is the in-memory implementation used by the benchmark
and the tests.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from typing import TYPE_CHECKING, Any, Protocol

import Stemmer

if TYPE_CHECKING:
    from searchkit.synonyms import AliasGroup

WINDOW_DAYS = 3.0
THRESHOLD = 0.25
"""Profile cosine from which a dated article joins a candidate's story (tuned in the benchmark)."""
UNDATED_THRESHOLD = 0.3
"""The same when either article is undated: stricter, as no time window helps."""
PROFILE_TERMS = 40
"""Terms kept per article profile (the highest TF-IDF weights)."""
QUERY_TERMS = 12
"""Profile terms sent to the candidate source."""
CANDIDATES = 50
"""Candidates asked for and compared per new article."""
SPECIFIC_SHARE = 0.005
SPECIFIC_MIN_DF = 5
"""Two articles join only if they share a term in at most this share of the documents
(and at least ``SPECIFIC_MIN_DF`` documents may always hold it); see ``_specific``."""
ENTITY_BOOST = 2.0
TITLE_BOOST = 2.0

_STOP_TEXT = """
a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from
further had has have having he her here hers him his how i if in into is it its itself
just may me more most my no nor not now of off on once only or other our out over own said
same says she should so some such than that the their them then there these they this
those through to too under until up very was we were what when where which while who whom
why will with would you your mr mrs ms dr reuter reuters told year years one two last
first week today yesterday
"""
_STOP = frozenset(_STOP_TEXT.split())
_NOT_NAMES_TEXT = """
january february march april may june july august september october november december jan
feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday
saturday sunday
"""
_NOT_NAMES = frozenset(_NOT_NAMES_TEXT.split())
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'&.-]*[A-Za-z]|[A-Za-z]")
_SENTENCE_END = re.compile(r"[.!?]\s*$|\n\s*$")
_stemmer = Stemmer.Stemmer("english")
_STEMS: dict[str, str] = {}
_STEM_CACHE_SIZE = 200_000
"""Words whose stems are remembered (stemming is a third of profiling a Reuters story)."""


_COUNTRY_NAMES = {
    "united states": ("us", "u.s", "usa", "u.s.a", "united states of america"),
    "united kingdom": ("uk", "u.k", "britain", "great britain"),
}


def alias_table(groups: Iterable[AliasGroup] = ()) -> dict[str, str]:
    """Name variant -> canonical name, so "TTP" and "Pakistani Taliban" count as one name.

    Built from alias groups (by default searchkit's own, ``searchkit/data/synonyms.txt``;
    an index passes its own) plus the common spellings of the US and the UK. Keys and
    values are lowercased words joined by single spaces, hyphens read as spaces.
    """
    table = {variant: name for name, variants in _COUNTRY_NAMES.items() for variant in variants}
    for group in groups:
        label = " ".join(group.variants[0].words)
        for variant in group.variants:
            table[" ".join(variant.words)] = label
    return table


def _name_key(run: Sequence[str], aliases: Mapping[str, str]) -> str:
    key = " ".join(t.lower().strip(".'") for t in run).replace("-", " ")
    return aliases.get(key, key)


def _names_readable(title: str) -> bool:
    """Whether capitals in a title mark names: not in ALL-CAPS or Title Case headlines."""
    tokens = [t for t in _TOKEN.findall(title) if t.lower() not in _STOP]
    if not tokens:
        return False
    capitalised = sum(1 for t in tokens if t[0].isupper())
    return capitalised / len(tokens) <= 0.6


def key_terms(title: str, body: str, aliases: Mapping[str, str] | None = None) -> dict[str, float]:
    """Raw counts of an article's terms: ``w:`` stemmed words and ``e:`` names.

    A name is a run of capitalised words, less a sentence's first word unless it
    is an acronym (a capital there proves nothing). All-capital or Title Case
    titles (wire headlines) give words but no names, since their capitals
    carry no information. ``aliases`` (see ``alias_table``) maps variants of a
    name to one key.
    """
    aliases = aliases if aliases is not None else {}
    counts: dict[str, float] = defaultdict(float)
    for text, boost, names in ((title, TITLE_BOOST, _names_readable(title)), (body, 1.0, True)):
        run: list[str] = []
        previous_end = 0
        run_opens_sentence = False

        def close(run: list[str], opens: bool, boost: float = boost) -> None:
            if run and opens and not run[0].isupper():
                run = run[1:]  # "Former WorldCom ...": a sentence's first capital proves nothing
            if not run:
                return
            counts["e:" + _name_key(run, aliases)] += boost * ENTITY_BOOST

        for match in _TOKEN.finditer(text):
            token = match.group(0)
            lowered = token.lower().strip(".'")
            gap = text[previous_end : match.start()]
            opens = previous_end == 0 or bool(
                _SENTENCE_END.search(text[max(0, match.start() - 3) : match.start()])
            )
            previous_end = match.end()
            if lowered not in _STOP and len(lowered) > 2:
                stem = _STEMS.get(lowered)
                if stem is None:
                    stem = _stemmer.stemWord(lowered)
                    if len(_STEMS) < _STEM_CACHE_SIZE:
                        _STEMS[lowered] = stem
                counts["w:" + stem] += boost
            if not names:
                continue
            name = token[0].isupper() and lowered not in _STOP and lowered not in _NOT_NAMES
            if name and (not run or gap.strip() == ""):
                if not run:
                    run_opens_sentence = opens
                run.append(token)
            else:
                close(run, run_opens_sentence)
                run = []
                if name:
                    run_opens_sentence = opens
                    run.append(token)
        if names:
            close(run, run_opens_sentence)
    return dict(counts)


class CandidateSource(Protocol):
    """Proposes earlier articles for a new one: the part a search index can answer."""

    def candidates(
        self, terms: Mapping[str, float], start: datetime | None, end: datetime | None, limit: int
    ) -> list[str]:
        """Ids of added articles sharing ``terms`` (weighted), best first, at most ``limit``.

        With ``start``/``end`` only articles dated in that range, or undated,
        are returned; without them every article may be.
        """

    def document_frequency(self, term: str) -> int:
        """How many added articles contain ``term``."""

    def document_count(self) -> int:
        """How many articles have been added."""

    def add(
        self,
        article_id: str,
        terms: Iterable[str],
        profile: Mapping[str, float],
        published: datetime | None,
    ) -> None:
        """Record an article: all its ``terms`` (for document frequencies) and its ``profile``.

        An index already holds the full text and may ignore ``profile``; the
        in-memory source posts only profile terms, to keep candidate lookups short.
        """

    def remove(self, article_id: str) -> None:
        """Forget an article."""


SCAN_PER_TERM = 1000
"""The in-memory source reads only the latest this many articles of each term: a story of
10,000 copies would otherwise make every new copy read all of them."""


class MemoryCandidates:
    """An in-memory ``CandidateSource``: postings lists of (id, date) per term, latest first."""

    def __init__(self) -> None:
        self._postings: dict[str, dict[str, datetime | None]] = {}
        self._df: Counter[str] = Counter()
        self._terms: dict[str, tuple[list[str], list[str]]] = {}
        self._dates: dict[str, datetime | None] = {}

    def candidates(
        self, terms: Mapping[str, float], start: datetime | None, end: datetime | None, limit: int
    ) -> list[str]:
        """Score earlier articles by the summed weights of the terms they share (see protocol)."""
        scores: dict[str, float] = {}
        for term, weight in terms.items():
            postings = self._postings.get(term, {})
            for article_id, published in islice(reversed(postings.items()), SCAN_PER_TERM):
                if start is not None and published is not None and not start <= published <= end:  # type: ignore[operator]
                    continue
                scores[article_id] = scores.get(article_id, 0.0) + weight
        ranked = heapq.nsmallest(limit, scores.items(), key=lambda item: (-item[1], item[0]))
        return [article_id for article_id, _ in ranked]

    def document_frequency(self, term: str) -> int:
        """How many added articles contain ``term``."""
        return self._df.get(term, 0)

    def document_count(self) -> int:
        """How many articles have been added."""
        return len(self._terms)

    def add(
        self,
        article_id: str,
        terms: Iterable[str],
        profile: Mapping[str, float],
        published: datetime | None,
    ) -> None:
        """Count an article's terms and post its profile terms (replacing any earlier version)."""
        self.remove(article_id)
        counted = list(dict.fromkeys(terms))
        posted = list(profile)
        self._terms[article_id] = (counted, posted)
        self._dates[article_id] = published
        self._df.update(counted)
        for term in posted:
            self._postings.setdefault(term, {})[article_id] = published

    def remove(self, article_id: str) -> None:
        """Drop an article from the counts and the postings."""
        counted, posted = self._terms.pop(article_id, ([], []))
        self._dates.pop(article_id, None)
        self._df.subtract(counted)
        for term in counted:
            if self._df[term] <= 0:
                del self._df[term]
        for term in posted:
            postings = self._postings[term]
            del postings[article_id]
            if not postings:
                del self._postings[term]

    def to_state(self) -> dict[str, Any]:
        """The postings as JSON-ready values (for a grouper kept outside an index)."""
        rows = []
        for article_id, (counted, posted) in self._terms.items():
            published = self._dates[article_id]
            rows.append([article_id, counted, posted, published.isoformat() if published else None])
        return {"articles": rows}

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> MemoryCandidates:
        """Rebuild the postings saved by ``to_state``."""
        source = cls()
        for article_id, counted, posted, published in state["articles"]:
            date = datetime.fromisoformat(published) if published else None
            source.add(article_id, counted, dict.fromkeys(posted, 0.0), date)
        return source


@dataclass(frozen=True)
class _Member:
    story: int
    published: datetime | None
    profile: dict[str, float]
    duplicate_group: int | None


def _cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    # Terms of ``a`` absent from ``b`` would add exactly 0.0: skipping them gives the same sum.
    return sum(weight * b[term] for term, weight in a.items() if term in b)


class StoryGrouper:
    """Assigns story ids to articles in arrival order (see the module docstring for the rules)."""

    def __init__(
        self,
        source: CandidateSource | None = None,
        window_days: float = WINDOW_DAYS,
        threshold: float = THRESHOLD,
        undated_threshold: float = UNDATED_THRESHOLD,
        aliases: Mapping[str, str] | None = None,
    ) -> None:
        if aliases is None:
            from searchkit.synonyms import builtin_groups

            aliases = alias_table(builtin_groups())
        self.aliases = dict(aliases)
        self.source: CandidateSource = source if source is not None else MemoryCandidates()
        self.window = timedelta(days=window_days)
        self.threshold = threshold
        self.undated_threshold = undated_threshold
        self._next_story = 1
        self._members: dict[str, _Member] = {}
        self._copies: dict[int, int] = {}  # duplicate group -> its story
        self._sizes: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self._members)

    def story_of(self, article_id: str) -> int | None:
        """The story of an article added earlier, or None."""
        member = self._members.get(article_id)
        return member.story if member else None

    def story_size(self, story: int) -> int:
        """How many current articles the story holds."""
        return self._sizes.get(story, 0)

    def profile(self, title: str, body: str) -> dict[str, float]:
        """The article's unit-length TF-IDF profile of its ``PROFILE_TERMS`` strongest terms.

        Document frequencies come from the candidate source as it stands, so
        a profile reflects the collection seen so far.
        """
        return self._profile(key_terms(title, body, self.aliases))

    def _profile(self, counts: Mapping[str, float]) -> dict[str, float]:
        total = self.source.document_count() + 1
        weights = {
            term: (1.0 + math.log(count))
            * math.log((total + 1) / (self.source.document_frequency(term) + 1) + 1.0)
            for term, count in counts.items()
        }
        top = sorted(weights.items(), key=lambda item: (-item[1], item[0]))[:PROFILE_TERMS]
        norm = math.sqrt(sum(w * w for _, w in top)) or 1.0
        return {term: w / norm for term, w in top}

    def add(
        self,
        article_id: str,
        title: str,
        body: str,
        published: datetime | None = None,
        duplicate_group: int | None = None,
    ) -> int:
        """Place one article and return its story id (re-adding an id replaces it)."""
        self.remove(article_id)
        counts = key_terms(title, body, self.aliases)
        profile = self._profile(counts)
        story = self._copies.get(duplicate_group) if duplicate_group is not None else None
        if story is None:
            story = self._best_story(profile, published)
        if story is None:
            story = self._next_story
            self._next_story += 1
        self._members[article_id] = _Member(story, published, profile, duplicate_group)
        self._sizes[story] = self._sizes.get(story, 0) + 1
        if duplicate_group is not None:
            self._copies.setdefault(duplicate_group, story)
        self.source.add(article_id, counts, profile, published)
        return story

    def restore(
        self,
        article_id: str,
        title: str,
        body: str,
        published: datetime | None,
        duplicate_group: int | None,
        story: int,
    ) -> None:
        """Put back an article already placed in ``story`` (rebuilding the state from an index).

        Its profile is computed with the document frequencies restored so far,
        so restoring in arrival order gives profiles close to the original ones;
        later stories are numbered past the largest one restored.
        """
        self.remove(article_id)
        counts = key_terms(title, body, self.aliases)
        profile = self._profile(counts)
        self._members[article_id] = _Member(story, published, profile, duplicate_group)
        self._sizes[story] = self._sizes.get(story, 0) + 1
        if duplicate_group is not None:
            self._copies.setdefault(duplicate_group, story)
        self._next_story = max(self._next_story, story + 1)
        self.source.add(article_id, counts, profile, published)

    def _best_story(self, profile: dict[str, float], published: datetime | None) -> int | None:
        query = dict(sorted(profile.items(), key=lambda item: -item[1])[:QUERY_TERMS])
        start = end = None
        if published is not None:
            start, end = published - self.window, published + self.window
        best_story, best_score = None, 0.0
        for candidate in self.source.candidates(query, start, end, CANDIDATES):
            member = self._members.get(candidate)
            if member is None:
                continue
            dated = published is not None and member.published is not None
            if dated and abs(published - member.published) > self.window:  # type: ignore[operator]
                continue
            score = _cosine(profile, member.profile)
            needed = self.threshold if dated else self.undated_threshold
            if (
                score >= needed
                and score > best_score
                and self._specific(profile, member.profile, member.story)
            ):
                best_story, best_score = member.story, score
        return best_story

    def _specific(self, a: Mapping[str, float], b: Mapping[str, float], story: int) -> bool:
        """Whether two profiles share a specific term: a name or word in few other documents.

        Templated wire items (quarterly results, money-market notes) share a whole
        vocabulary of common words and would chain into one endless "story";
        reports of one event share at least one rare name or word. The candidate
        story's own articles do not count against a term, so a story that grows
        large does not make its own words common.
        """
        limit = max(SPECIFIC_MIN_DF, SPECIFIC_SHARE * self.source.document_count())
        limit += self._sizes.get(story, 0)
        return any(term in b and self.source.document_frequency(term) <= limit for term in a)

    def remove(self, article_id: str) -> int | None:
        """Forget an article (deleted from the index); its story keeps its id. Returns the story."""
        member = self._members.pop(article_id, None)
        if member is None:
            return None
        self._sizes[member.story] -= 1
        if self._sizes[member.story] == 0:
            del self._sizes[member.story]
        self.source.remove(article_id)
        return member.story

    def to_state(self) -> dict[str, Any]:
        """Everything the grouper holds, as JSON-ready values (the source persists itself)."""
        return {
            "version": 1,
            "window_days": self.window.total_seconds() / 86400,
            "threshold": self.threshold,
            "undated_threshold": self.undated_threshold,
            "next_story": self._next_story,
            "copies": {str(group): story for group, story in self._copies.items()},
            "members": [
                [
                    article_id,
                    m.story,
                    m.published.isoformat() if m.published else None,
                    m.profile,
                    m.duplicate_group,
                ]
                for article_id, m in self._members.items()
            ],
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any], source: CandidateSource) -> StoryGrouper:
        """Rebuild a grouper saved by ``to_state`` over a source that already holds its articles."""
        if state.get("version") != 1:
            raise ValueError(f"unknown story-grouper state version {state.get('version')!r}")
        grouper = cls(source, state["window_days"], state["threshold"], state["undated_threshold"])
        grouper._next_story = int(state["next_story"])
        grouper._copies = {int(group): int(story) for group, story in state["copies"].items()}
        for article_id, story, published, profile, group in state["members"]:
            date = datetime.fromisoformat(published) if published else None
            grouper._members[article_id] = _Member(int(story), date, dict(profile), group)
            grouper._sizes[int(story)] = grouper._sizes.get(int(story), 0) + 1
        return grouper
