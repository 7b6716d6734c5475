"""Searching an index: ranked, filtered, paged queries with snippets.

A Searcher is safe to share between threads (the engine's ``IndexReader``
gives each thread its own reader) and sees documents committed after it was
opened. This module turns options and query text into engine calls and the
engine's plain values into public ones (hits, snippets, results); every read
of the index happens in ``searchkit.engine.reading``. It never imports the
ingester, so the query path loads no HTML parser.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from types import TracebackType

from searchkit.characters import clean_line
from searchkit.date_bounds import DateLike, parse_date_bound
from searchkit.engine.analysis import GROUP_TOKEN_PREFIX, AliasMatcher, NewsAnalyzer
from searchkit.engine.query_tree import QueryTree, is_nothing
from searchkit.engine.reading import Filters, IndexReader, RankedDoc, ReadSession
from searchkit.engine.schema import document_to_article, stored_date
from searchkit.engine.storage import index_bytes, read_metadata
from searchkit.errors import DocumentNotFoundError, QueryError, StoryNotFoundError
from searchkit.models import (
    Article,
    Histogram,
    HistogramBucket,
    Hit,
    IndexStats,
    RankingSettings,
    SearchResults,
    Story,
    StoryArticle,
    StorySummary,
)
from searchkit.options import FACET_FIELDS, HISTOGRAM_INTERVALS, MAX_LIMIT, SORT_ORDERS
from searchkit.query import AliasRewriter, ParsedQuery, expansion_warnings, parse_query
from searchkit.snippets import make_snippet
from searchkit.spelling import Speller
from searchkit.suggest import SpellerCache, suggest_query
from searchkit.synonyms import AliasGroup, Variant, load_synonyms

_GROUP_TOKEN = re.compile(r"=\w+")
"""How an alias group's index term looks in a query's text (see ``AliasGroup.token``)."""


def check_facets(facet: str | Sequence[str] | None, facets: bool) -> tuple[str, ...]:
    """The facets a search asked for, checked (QueryError for an unknown one)."""
    names = [facet] if isinstance(facet, str) else list(facet or ())
    if facets and "source" not in names:
        names.insert(0, "source")
    for name in names:
        if name not in FACET_FIELDS:
            raise QueryError(f"facet must be one of {', '.join(FACET_FIELDS)}, not {name!r}")
    return tuple(dict.fromkeys(names))


def check_histogram(histogram: str | None) -> None:
    """QueryError unless ``histogram`` is None or one of the intervals a search can count by."""
    if histogram is not None and histogram not in HISTOGRAM_INTERVALS:
        raise QueryError(
            f"histogram must be one of {', '.join(HISTOGRAM_INTERVALS)}, not {histogram!r}"
        )


def outlet_key(name: str) -> str:
    """What two outlet names must share to be the same outlet: how they read, in any case.

    Invisible characters and spacing do not count, so ``--source "BBC News"``
    also finds an index built before ingest removed the zero width space
    from ``BBC\u200b News``; every stored spelling that reads the same matches.
    """
    return clean_line(name).casefold()


def _query_only_groups(
    matcher: AliasMatcher, extra: tuple[AliasGroup, ...]
) -> tuple[AliasGroup, ...]:
    """The groups of a query-time synonyms file that the index does not already know whole."""

    def known(variant: Variant) -> bool:
        return any(
            words == variant.words and separators == variant.separators
            for words, separators, _token in matcher.candidates(variant.words[0])
        )

    return tuple(group for group in extra if not all(map(known, group.variants)))


def check_options(
    limit: int, page: int, sort: str, since: DateLike, until: DateLike
) -> tuple[datetime | None, datetime | None]:
    """Raise QueryError for invalid search options; the date bounds as datetimes."""
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
    if page < 1:
        raise QueryError(f"page must be 1 or more, not {page}")
    if sort not in SORT_ORDERS:
        raise QueryError(f"sort must be one of {', '.join(SORT_ORDERS)}, not {sort!r}")
    start = parse_date_bound(since, end_of_day=False, name="since")
    end = parse_date_bound(until, end_of_day=True, name="until")
    if start and end and start > end:
        raise QueryError("since is later than until: no date can match")
    return start, end


class Searcher:
    """Answers queries against an index directory; open once, search many times.

    A sharded index (a folder with a ``shards.json`` manifest, see
    ``searchkit.distributed``) opens as a ``ShardedSearcher``, which answers
    the same calls over all its shards.
    """

    def __new__(cls, index_dir: str | os.PathLike[str], **options: object) -> Searcher:
        """A plain Searcher, or a ShardedSearcher when ``index_dir`` is a sharded index."""
        if cls is Searcher:
            from searchkit.distributed.manifest import is_sharded

            if is_sharded(index_dir):
                from searchkit.distributed.coordinator import ShardedSearcher

                return super().__new__(ShardedSearcher)
        return super().__new__(cls)

    def __init__(
        self,
        index_dir: str | os.PathLike[str],
        *,
        synonyms: str | os.PathLike[str] | None = None,
        settings: RankingSettings | None = None,
    ) -> None:
        """Open the index at ``index_dir`` for searching.

        ``synonyms`` adds query-time alias groups to the ones the index was
        built with; ``settings`` changes the ranking (BM25F weights, feedback)
        for this Searcher only, which is how the relevance benchmarks compare
        variants side by side.
        """
        self.index_dir = str(index_dir)
        metadata = read_metadata(self.index_dir)
        self.groups = metadata.groups(self.index_dir)
        self._engine = IndexReader(self.index_dir, self.groups, settings)
        self._updated = metadata.updated
        extra = load_synonyms(synonyms) if synonyms is not None else ()
        query_groups = _query_only_groups(AliasMatcher.for_groups(self.groups), extra)
        self._rewriters = {
            True: AliasRewriter(self.groups, query_groups),
            False: None,
        }
        self._analyzer = NewsAnalyzer(self.groups)
        self._spellers = SpellerCache()

    # -- public API -----------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        page: int = 1,
        source: str | None = None,
        since: DateLike = None,
        until: DateLike = None,
        sort: str = "relevance",
        use_synonyms: bool = True,
        facets: bool = False,
        snippets: bool = True,
        collapse: bool = True,
        by_story: bool = False,
        facet: str | Sequence[str] | None = None,
        histogram: str | None = None,
        spelling: bool = True,
        exact: bool = False,
    ) -> SearchResults:
        """Run a query and return one page of ranked hits with snippets.

        Copies of one text (a duplicate group) count as one result by default,
        shown as its best-ranked copy with the others in ``Hit.copies``;
        ``collapse=False`` ranks every copy. ``by_story=True`` gives one result
        per story instead, its best hit with ``Hit.story`` summarising the
        rest. ``total`` counts matching documents either way; ``groups``
        counts the collapsed results, and pages are pages of those.

        ``snippets=False`` leaves each hit's snippet empty (and its highlights
        and matched terms with it), for callers that want only the ranking:
        building snippets reads and analyses every returned body.

        ``facet`` ("source", "author" or several) counts every match per value
        into ``facet_counts`` (``facets=True`` is ``facet="source"``, also in
        ``facets``); ``histogram`` ("day", "week", "month", "year") counts
        them per UTC date bucket into ``histogram``. Both are exact over all
        matches, not just this page.

        ``spelling`` looks for misspelt words (``suggestion``); when the query
        finds nothing and the suggestion finds something, the suggestion's
        results are returned (``searched_suggestion``) unless ``exact``.

        Never raises for odd query text: what could not be used is listed in
        ``warnings``. Raises QueryError for invalid options (a bad date, a
        limit below 1, an unknown sort order).
        """
        start, end = check_options(limit, page, sort, since, until)
        facet_fields = check_facets(facet, facets)
        check_histogram(histogram)
        engine = self._engine
        with engine.session() as session:
            filters, filter_warnings = self._filters(session, source, start, end)

            def run(text: str) -> SearchResults:
                parsed, plain = self._parse(text, use_synonyms)
                warnings = [*parsed.warnings, *filter_warnings]
                return self._run(
                    session,
                    text,
                    parsed,
                    plain,
                    filters,
                    limit,
                    page,
                    sort,
                    False,
                    warnings,
                    snippets,
                    "story_ids" if by_story else "duplicate_groups" if collapse else None,
                    facet_fields=facet_fields,
                    interval=histogram,
                )

            results = run(query)
            if not spelling:
                return results
            suggestion = self._suggestion(session, query)
            if suggestion is None:
                return results
            if results.total == 0 and not exact and not filters.matches_nothing:
                corrected = run(suggestion)
                if corrected.total:
                    return replace(
                        corrected, query=query, suggestion=suggestion, searched_suggestion=True
                    )
            return replace(results, suggestion=suggestion)

    def _suggestion(self, session: ReadSession, text: str) -> str | None:
        """The query with misspelt words corrected (``searchkit.suggest``), or None."""

        def speller() -> Speller:
            return self._spellers.speller(session.typed_vocabulary())

        return suggest_query(
            text, session.term_frequency, speller, has_typed_word=session.has_typed_word
        )

    def _parse(self, query: str, use_synonyms: bool) -> tuple[ParsedQuery, ParsedQuery]:
        """The query as searched, and as typed without aliases (for explain)."""
        engine = self._engine
        parsed = parse_query(query, engine.parser(use_synonyms), self._rewriters[use_synonyms])
        plain = parsed
        if use_synonyms and GROUP_TOKEN_PREFIX in str(parsed.query):
            # An alias matched: the query as typed (for explain) is parsed without them.
            plain = parse_query(query, engine.parser(False), None)
        return parsed, plain

    def _filters(
        self,
        session: ReadSession,
        source: str | None,
        start: datetime | None,
        end: datetime | None,
    ) -> tuple[Filters, list[str]]:
        warnings: list[str] = []
        outlets: list[str] | None = None
        if source:
            wanted = outlet_key(source)
            outlets = [name for name in session.outlet_names() if outlet_key(name) == wanted]
            if not outlets:
                warnings.append(f"no documents from outlet {source!r}")
        return session.filters(outlets, start, end), warnings

    def _run(
        self,
        session: ReadSession,
        text: str,
        parsed: ParsedQuery,
        plain: ParsedQuery,
        within: Filters,
        limit: int,
        page: int,
        sort: str,
        facets: bool,
        warnings: list[str],
        snippets: bool = True,
        collapse: str | None = None,
        *,
        facet_fields: tuple[str, ...] = (),
        interval: str | None = None,
    ) -> SearchResults:
        if is_nothing(parsed.query) or within.matches_nothing:
            explain = (str(plain.query), self._describe(parsed.query))
            return SearchResults(
                text,
                (),
                0,
                page,
                limit,
                *explain,
                tuple(warnings),
                {},
                facet_counts={name: {} for name in facet_fields},
                histogram=Histogram(interval) if interval else None,
            )
        kept, cut_warning = session.keep_rarest_words(parsed.query)
        if cut_warning:
            parsed = replace(parsed, query=kept)
            warnings.append(cut_warning)
        ranking = session.rank(
            parsed.query, parsed.text, within, limit, page, sort, collapse=collapse
        )
        explain = (str(plain.query), self._describe_text(ranking.scored_query))
        warnings.extend(expansion_warnings(parsed))
        total = session.count_matches(parsed.query, within)
        undated = session.undated_matches(parsed.query, within)
        wanted = session.highlight_terms(parsed.query)
        hits = tuple(
            self._grouped(
                session,
                self._hit(doc, rank, wanted if snippets else None),
                doc,
                collapse,
                parsed.query,
                within,
            )
            for rank, doc in enumerate(ranking.docs, start=(page - 1) * limit + 1)
        )
        counts: dict[str, int] = {}
        if facets:
            # Over every match: the ranked query may cover only the best of them.
            counts = session.outlet_counts(parsed.query, within)
        facet_counts = self._facet_counts(session, parsed.query, within, facet_fields)
        if "source" in facet_counts:
            counts = dict(facet_counts["source"])
        timeline = None
        if interval is not None:
            buckets, undated_matches = session.histogram(parsed.query, within, interval)
            timeline = Histogram(
                interval, tuple(HistogramBucket(s, c) for s, c in buckets), undated_matches
            )
        return SearchResults(
            text,
            hits,
            total,
            page,
            limit,
            *explain,
            tuple(warnings),
            counts,
            undated,
            groups=ranking.groups,
            facet_counts=facet_counts,
            histogram=timeline,
        )

    def _grouped(
        self,
        session: ReadSession,
        hit: Hit,
        doc: RankedDoc,
        collapse: str | None,
        query: QueryTree | None = None,
        within: Filters | None = None,
    ) -> Hit:
        """``hit`` with its copies (the other matching members of its duplicate group) and
        story; with story collapsing, a summary of its story's other matches."""
        story_id = doc.stored.get("story_id")
        group = session.group_number("duplicate_groups", doc.docnum)
        if collapse is None:
            assert query is not None and within is not None
            members = session.group_members("duplicate_groups", group) if group else []
            matching = set(session.matching_docnums(query, within, members))
            copies = [m for m in members if m != doc.docnum and m in matching]
        elif collapse == "duplicate_groups":
            copies = list(doc.members)
        else:
            copies = [
                m
                for m in doc.members
                if group and session.group_number("duplicate_groups", m) == group
            ]
        described = session.describe(copies)
        story: StorySummary | None = None
        if collapse == "story_ids":
            others = session.describe(doc.members)
            outlets = dict.fromkeys(
                name for name in [hit.source, *(source for _, source, _ in others)] if name
            )
            dates = [d for d in [hit.published, *(date for _, _, date in others)] if d]
            story = StorySummary(
                articles=len(others),
                outlets=tuple(outlets),
                first=min(dates) if dates else None,
                last=max(dates) if dates else None,
                ids=tuple(doc_id for doc_id, _, _ in others),
            )
        return replace(
            hit,
            copies=tuple(doc_id for doc_id, _, _ in described),
            copy_sources=tuple(source for _, source, _ in described),
            story_id=int(story_id) if story_id else None,
            story=story,
        )

    def _facet_counts(
        self, session: ReadSession, query: QueryTree, within: Filters, names: tuple[str, ...]
    ) -> dict[str, dict[str, int]]:
        """Every match counted per value of each facet in ``names``, most common first."""
        found: dict[str, dict[str, int]] = {}
        for name in names:
            counts = (
                session.outlet_counts(query, within)
                if name == "source"
                else session.author_counts(query, within)
            )
            found[name] = dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
        return found

    def _describe(self, node: QueryTree) -> str:
        """The query as text, with each group token shown as its group's label."""
        return self._describe_text(str(node))

    def _describe_text(self, text: str) -> str:
        """``text`` with each group token shown as its group's label.

        One pass over the text's "=..." tokens, so it costs the same with
        100,000 groups as with ten.
        """
        matcher = self._analyzer.matcher

        def label(match: re.Match[str]) -> str:
            name = matcher.label(match.group(0))
            return match.group(0) if name is None else f"<{name} group>"

        return _GROUP_TOKEN.sub(label, text)

    def _hit(self, doc: RankedDoc, rank: int, wanted: dict[str, set[str]] | None) -> Hit:
        """A result as the public value; ``wanted`` None means no snippet is made."""
        stored = doc.stored
        score = doc.score
        if wanted is None:
            return Hit(
                rank=rank,
                score=round(float(score or 0.0), 4),
                id=stored["id"],
                title=stored.get("title", ""),
                source=stored.get("source"),
                url=stored.get("url"),
                published=stored_date(stored.get("published")),
                path=stored.get("path"),
                snippet="",
                highlights=(),
                matched_terms=(),
            )
        body_terms = wanted.get("body", set())
        title_terms = wanted.get("title", set())
        body = stored.get("body", "")
        title = stored.get("title", "")
        body_spans = self._spans(body, body_terms)
        snippet, highlights = make_snippet(body, body_spans)
        surface: dict[str, None] = {}
        for text, spans in ((title, self._spans(title, title_terms)), (body, body_spans)):
            for start, end, _ in spans:
                surface.setdefault(text[start:end].lower(), None)
        return Hit(
            rank=rank,
            score=round(float(score or 0.0), 4),
            id=stored["id"],
            title=title,
            source=stored.get("source"),
            url=stored.get("url"),
            published=stored_date(stored.get("published")),
            path=stored.get("path"),
            snippet=snippet,
            highlights=highlights,
            matched_terms=tuple(list(surface)[:20]),
        )

    def _spans(self, text: str, terms: set[str]) -> list[tuple[int, int, str]]:
        return self._analyzer.spans(text, terms)

    def get(self, doc_id: str) -> Article:
        """Return the stored article with this id; DocumentNotFoundError if there is none."""
        with self._engine.session() as session:
            stored = session.document(doc_id)
        if stored is None:
            raise DocumentNotFoundError(doc_id)
        return document_to_article(stored)

    def story(self, story_id: int | str) -> Story:
        """The articles of one story, in time order (undated last), with outlet and title.

        Raises StoryNotFoundError when no article has that story id. Members are
        found in the arrays, so a story of thousands of copies costs one
        stored-field read per article and nothing per other document.
        """
        try:
            number = int(story_id)
        except (TypeError, ValueError):
            raise StoryNotFoundError(story_id) from None
        with self._engine.session() as session:
            members = session.group_members("story_ids", number) if number > 0 else []
            if not members:
                raise StoryNotFoundError(story_id)
            articles = []
            for docnum in members:
                stored = session.stored(docnum)
                group = stored.get("duplicate_group")
                articles.append(
                    StoryArticle(
                        id=stored["id"],
                        title=stored.get("title", ""),
                        source=stored.get("source"),
                        published=stored_date(stored.get("published")),
                        duplicate_group=int(group) if group else None,
                    )
                )
        articles.sort(key=lambda a: (a.published is None, a.published or datetime.min, a.id))
        return Story(number, tuple(articles))

    def similar(self, doc_id: str, *, limit: int = 10) -> SearchResults:
        """Articles about the same subject as ``doc_id``, best first, one per duplicate group.

        The article's own copies (its duplicate group) are left out. Raises
        DocumentNotFoundError for an unknown id, QueryError for a bad limit.
        """
        if not 1 <= limit <= MAX_LIMIT:
            raise QueryError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
        with self._engine.session() as session:
            docnum = session.docnum(doc_id)
            if docnum is None:
                raise DocumentNotFoundError(doc_id)
            docs = session.similar(docnum, limit)
            hits = tuple(
                self._grouped(session, self._hit(doc, rank, {}), doc, "duplicate_groups")
                for rank, doc in enumerate(docs, start=1)
            )
        return SearchResults(f"similar to {doc_id}", hits, len(hits), 1, limit)

    def stats(self) -> IndexStats:
        """Summarise the index: documents, outlets, date range, size and last update."""
        with self._engine.session() as session:
            sources: dict[str, int] = {}
            documents, first, last = session.scan_columns(sources)
        metadata = read_metadata(self.index_dir)
        return IndexStats(
            documents=documents,
            sources=dict(sorted(sources.items(), key=lambda item: (-item[1], item[0]))),
            first_published=first,
            last_published=last,
            index_bytes=index_bytes(self.index_dir),
            updated=metadata.updated,
            schema_version=metadata.schema_version,
            synonym_groups=len(self.groups),
        )

    def close(self) -> None:
        """Close the index and everything reading it."""
        self._engine.close()

    def __enter__(self) -> Searcher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
