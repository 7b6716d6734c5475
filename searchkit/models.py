"""The frozen dataclasses that cross searchkit's public API.

Everything a caller receives from searchkit is one of these plain, immutable
values, so results stay valid after the index that produced them is closed and
can be shared between threads without copying.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class Article:
    """One cleaned news article, as the ingester produced it and the index stores it.

    ``body`` holds the article text with paragraphs separated by blank lines;
    ``published`` is timezone-aware when known; ``content_hash`` fingerprints
    the cleaned content so the indexer can tell a changed article from an
    unchanged one without comparing text.
    """

    id: str
    title: str
    body: str
    url: str | None = None
    source: str | None = None
    published: datetime | None = None
    author: str | None = None
    path: str | None = None
    content_hash: str = ""
    title_derived: bool = False
    """True when the article came without a title and ``title`` was made from its first
    sentence (see ``searchkit.titles``)."""

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (dates as ISO 8601 strings), for `--json` output."""
        data = asdict(self)
        data["published"] = _iso(self.published)
        return data

    def with_content_hash(self) -> Article:
        """Return this article with ``content_hash`` filled in from its cleaned content.

        The hash covers everything the index stores except ``path`` and ``id``,
        so moving a file does not count as a change but editing its text does.
        """
        parts = (self.title, self.body, self.url, self.source, _iso(self.published), self.author)
        joined = "\x1f".join("" if part is None else part for part in parts)
        digest = hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return replace(self, content_hash=digest)


@dataclass(frozen=True)
class IngestFailure:
    """A file (or one line of a JSON Lines file) that could not become an Article, and why."""

    path: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class SkippedPath:
    """A path a scan passed over on purpose (a link out of the corpus, a FIFO, an index)."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def _by_count(reasons: tuple[str, ...]) -> str:
    """E.g. " (README*: 2, PROVENANCE*: 1)": each distinct reason, most frequent first."""
    if not reasons:
        return ""
    counts: dict[str, int] = {}
    for reason in reasons:
        counts[reason] = counts.get(reason, 0) + 1
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return " (" + ", ".join(f"{reason}: {count}" for reason, count in ordered) + ")"


@dataclass(frozen=True)
class IndexReport:
    """What one indexing run did, so callers can report it and tests can assert it.

    ``failures`` are the files (or records) that failed for the first time in
    this run; ``still_failing`` those that failed before with the same bytes
    and were not read again. ``failed`` counts the first only, so a run that
    meets nothing new is ``ok`` however many old failures remain (see ``clean``).
    """

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0
    seconds: float = 0.0
    failures: tuple[IngestFailure, ...] = ()
    skipped_files: tuple[SkippedPath, ...] = ()
    """Files of a type searchkit does not read, with why (the type, or "compressed")."""
    passed_over: tuple[SkippedPath, ...] = ()
    """Links not followed, special files and index folders the scan left out, with why."""
    excluded: tuple[SkippedPath, ...] = ()
    """Files and folders an exclusion glob left out; the reason is the glob."""
    still_failing: tuple[IngestFailure, ...] = ()
    """Failures remembered from an earlier run, for files whose bytes have not changed."""
    notes: tuple[str, ...] = ()
    """Things worth telling that are not failures (URL-map rows that matched nothing)."""

    @property
    def ok(self) -> bool:
        """True when nothing failed for the first time (old failures and skips do not count)."""
        return self.failed == 0

    @property
    def clean(self) -> bool:
        """True when nothing is failing at all, new or old (what ``--strict`` asks for)."""
        return self.failed == 0 and not self.still_failing

    @property
    def skipped_paths(self) -> tuple[str, ...]:
        """The paths of ``skipped_files``."""
        return tuple(item.path for item in self.skipped_files)

    def summary(self) -> str:
        """The one-line summary the CLI prints at the end of `searchkit index`.

        Skipped and excluded files are counted by reason, so a cron log shows
        what was left out and why without ``--verbose``.
        """
        skipped = _by_count(tuple(item.reason for item in self.skipped_files))
        excluded = _by_count(tuple(item.reason for item in self.excluded))
        return (
            f"added {self.added}, updated {self.updated}, removed {self.removed}, "
            f"unchanged {self.unchanged}, skipped {self.skipped}{skipped}"
            + (f", excluded {len(self.excluded)}{excluded}" if self.excluded else "")
            + f", failed {self.failed}"
            + (f", still failing {len(self.still_failing)}" if self.still_failing else "")
            + (f", left out {len(self.passed_over)}" if self.passed_over else "")
            + f" in {self.seconds:.1f} s"
        )


@dataclass(frozen=True)
class Hit:
    """One ranked search result, copied out of the index so it outlives the searcher.

    ``snippet`` is plain text; ``highlights`` gives the (start, end) character
    spans inside ``snippet`` that matched, so a caller can mark them however it
    likes (the CLI colours them on a terminal).
    """

    rank: int
    score: float
    id: str
    title: str
    source: str | None
    url: str | None
    published: datetime | None
    path: str | None
    snippet: str
    highlights: tuple[tuple[int, int], ...] = ()
    matched_terms: tuple[str, ...] = ()
    copies: tuple[str, ...] = ()
    """Ids of the other matching copies of this text (its duplicate group), best first;
    collapsed results show only the best copy and list the others here."""
    copy_sources: tuple[str | None, ...] = ()
    """The outlet of each of ``copies``, in the same order."""
    story_id: int | None = None
    """The story the article belongs to (``Searcher.story``); None for a body too short to sign."""
    story: StorySummary | None = None
    """With ``by_story``: the other matching articles of its story, summarised."""

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON Lines record `searchkit query --json` prints for this hit."""
        extra: dict[str, Any] = {"copies": list(self.copies), "story_id": self.story_id}
        if self.story is not None:
            extra["story"] = self.story.to_dict()
        return {
            "rank": self.rank,
            "score": self.score,
            "id": self.id,
            "title": self.title,
            "source": self.source,
            "url": self.url,
            "published": _iso(self.published),
            "path": self.path,
            "snippet": self.snippet,
            "matched_terms": list(self.matched_terms),
            **extra,
        }


@dataclass(frozen=True)
class StorySummary:
    """The other matching articles of a hit's story (``search(by_story=True)``).

    ``articles`` counts them (the hit itself not included); ``outlets`` are the
    distinct outlets of all of them, hit included; ``first``/``last`` the
    date span of the dated ones, hit included.
    """

    articles: int
    outlets: tuple[str, ...]
    first: datetime | None
    last: datetime | None
    ids: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values (dates as ISO 8601)."""
        return {
            "articles": self.articles,
            "outlets": list(self.outlets),
            "first": _iso(self.first),
            "last": _iso(self.last),
            "ids": list(self.ids),
        }


@dataclass(frozen=True)
class HistogramBucket:
    """One bar of a date histogram: the bucket's first day (UTC) and its matching documents."""

    start: date
    count: int


@dataclass(frozen=True)
class Histogram:
    """Matching documents over time, for `searchkit query --histogram`.

    ``interval`` is "day", "week" (ISO weeks, from Monday), "month" or
    "year"; ``buckets`` lists, oldest first, only the buckets holding a
    match; ``undated`` counts the matches without a publication date.
    """

    interval: str
    buckets: tuple[HistogramBucket, ...] = ()
    undated: int = 0

    def bucket_after(self, start: date) -> date:
        """The first day of the bucket after the one starting on ``start``, so that callers
        drawing a timeline can list the empty buckets between matches too."""
        if self.interval == "day":
            return start + timedelta(days=1)
        if self.interval == "week":
            return start + timedelta(days=7)
        if self.interval == "month":
            return date(start.year + start.month // 12, start.month % 12 + 1, 1)
        return date(start.year + 1, 1, 1)

    def label(self, start: date) -> str:
        """The bucket starting on ``start`` as people write it: 2024-03-05, 2024-W10, 2024-03
        or 2024."""
        if self.interval == "week":
            year, week, _day = start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.interval == "month":
            return f"{start.year:04d}-{start.month:02d}"
        if self.interval == "year":
            return f"{start.year:04d}"
        return start.isoformat()

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form printed in the `--json` summary line."""
        return {
            "interval": self.interval,
            "buckets": [
                {"start": b.start.isoformat(), "label": self.label(b.start), "count": b.count}
                for b in self.buckets
            ],
            "undated": self.undated,
        }


@dataclass(frozen=True)
class StoryArticle:
    """One article of a story, as `searchkit story` lists it."""

    id: str
    title: str
    source: str | None
    published: datetime | None
    duplicate_group: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values (dates as ISO 8601)."""
        data = asdict(self)
        data["published"] = _iso(self.published)
        return data


@dataclass(frozen=True)
class Story:
    """A story: articles about one event, grouped at index time, in time order (undated last)."""

    id: int
    articles: tuple[StoryArticle, ...]

    @property
    def outlets(self) -> tuple[str, ...]:
        """The distinct outlets of its articles, in order of first appearance."""
        return tuple(dict.fromkeys(a.source for a in self.articles if a.source))

    @property
    def first(self) -> datetime | None:
        """The earliest publication date (None when no article is dated)."""
        dates = [a.published for a in self.articles if a.published is not None]
        return min(dates) if dates else None

    @property
    def last(self) -> datetime | None:
        """The latest publication date."""
        dates = [a.published for a in self.articles if a.published is not None]
        return max(dates) if dates else None


@dataclass(frozen=True)
class SearchResults:
    """One page of ranked hits plus what a user needs to trust them.

    ``total`` counts every matching document (not just this page);
    ``facets`` maps each outlet to its number of matching documents;
    ``parsed_query`` and ``expanded_query`` show what was actually searched
    (for `--explain`); ``warnings`` lists parts of the query that were ignored.
    ``undated_left_out`` counts the matches a ``since``/``until`` filter left
    out because they have no date (0 without one), so the caller can say so.
    Pages are pages of collapsed results when collapsing (see ``groups``).

    ``facet_counts`` maps each facet asked for ("source", "author") to its
    counts over every match; ``facets`` is its "source" part (kept for
    ``search(facets=True)``). ``histogram`` is the matches over time when one
    was asked for. ``suggestion`` is the query with misspelt words corrected
    (None when every word looks right); ``searched_suggestion`` is True when
    the query as typed found nothing and these results are the suggestion's.
    """

    query: str
    hits: tuple[Hit, ...]
    total: int
    page: int = 1
    limit: int = 10
    parsed_query: str = ""
    expanded_query: str = ""
    warnings: tuple[str, ...] = ()
    facets: Mapping[str, int] = field(default_factory=dict)
    undated_left_out: int = 0
    groups: int | None = None
    """How many results the matches make once collapsed (one per duplicate group, or per
    story with ``by_story``); None without collapsing. ``total`` always counts documents."""
    facet_counts: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    histogram: Histogram | None = None
    suggestion: str | None = None
    searched_suggestion: bool = False
    partial: bool = False
    """True when some shards of a sharded index did not answer (each is named in warnings)."""

    def summary(self) -> dict[str, Any]:
        """The last line `searchkit query --json` prints: everything but the hits.

        ``{"type": "summary", ...}``: hit lines have no "type" key, so a
        script tells the two apart by it.
        """
        return {
            "type": "summary",
            "query": self.query,
            "total": self.total,
            "page": self.page,
            "limit": self.limit,
            "facets": {name: dict(counts) for name, counts in self.facet_counts.items()},
            "histogram": self.histogram.to_dict() if self.histogram is not None else None,
            "suggestion": self.suggestion,
            "searched_suggestion": self.searched_suggestion,
            "undated_left_out": self.undated_left_out,
            "groups": self.groups,
            "warnings": list(self.warnings),
            "partial": self.partial,
        }

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)

    def __bool__(self) -> bool:
        return bool(self.hits)


@dataclass(frozen=True)
class IndexStats:
    """A summary of what an index holds, for `searchkit stats`."""

    documents: int
    sources: Mapping[str, int]
    first_published: datetime | None
    last_published: datetime | None
    index_bytes: int
    updated: datetime | None
    schema_version: int
    synonym_groups: int

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON object `searchkit stats --json` prints."""
        data = asdict(self)
        data["sources"] = dict(self.sources)
        for key in ("first_published", "last_published", "updated"):
            data[key] = _iso(getattr(self, key))
        return data


@dataclass(frozen=True)
class RankingSettings:
    """The ranking knobs; the defaults were chosen on benchmarks/relevance.py.

    ``field_weights`` multiply a field's normalised term frequency (BM25F);
    ``field_b`` is each field's length normalisation (0 = none, 1 = full).
    Pseudo-relevance feedback (RM3) takes the ``feedback_terms`` strongest
    words of the first ``feedback_docs`` results and gives them
    ``feedback_weight`` of the query's weight; 0 documents turns it off.
    ``feedback_per_group`` counts a duplicate group once among those documents
    (its best copy); a sharded index turns it off, since its shards number
    their groups separately (see docs/scaling.md).
    """

    k1: float = 1.5
    field_weights: dict[str, float] = field(default_factory=lambda: {"title": 2.0, "body": 1.0})
    field_b: dict[str, float] = field(default_factory=lambda: {"title": 0.75, "body": 0.75})
    default_b: float = 0.75
    count_repeats: bool = True
    feedback_docs: int = 5
    feedback_terms: int = 5
    feedback_weight: float = 0.15
    feedback_per_group: bool = True

    def weight_of(self, fieldname: str) -> float:
        """The BM25F weight of a field (1 for fields without one)."""
        return self.field_weights.get(fieldname, 1.0)

    def b_of(self, fieldname: str) -> float:
        """The length normalisation of a field."""
        return self.field_b.get(fieldname, self.default_b)
