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
from searchkit.errors import DocumentNotFoundError, QueryError
from searchkit.models import Article, Hit, IndexStats, RankingSettings, SearchResults
from searchkit.options import MAX_LIMIT, SORT_ORDERS
from searchkit.query import AliasRewriter, ParsedQuery, expansion_warnings, parse_query
from searchkit.snippets import make_snippet
from searchkit.synonyms import AliasGroup, Variant, load_synonyms

_GROUP_TOKEN = re.compile(r"=\w+")
"""How an alias group's index term looks in a query's text (see ``AliasGroup.token``)."""


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
    ) -> SearchResults:
        """Run a query and return one page of ranked hits with snippets.

        ``snippets=False`` leaves each hit's snippet empty (and its highlights
        and matched terms with it), for callers that want only the ranking:
        building snippets reads and analyses every returned body.

        Never raises for odd query text: what could not be used is listed in
        ``warnings``. Raises QueryError for invalid options (a bad date, a
        limit below 1, an unknown sort order).
        """
        start, end = check_options(limit, page, sort, since, until)
        engine = self._engine
        parsed, plain = self._parse(query, use_synonyms)
        warnings = list(parsed.warnings)
        with engine.session() as session:
            filters, filter_warnings = self._filters(session, source, start, end)
            warnings.extend(filter_warnings)
            return self._run(
                session,
                query,
                parsed,
                plain,
                filters,
                limit,
                page,
                sort,
                facets,
                warnings,
                snippets,
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
    ) -> SearchResults:
        if is_nothing(parsed.query) or within.matches_nothing:
            explain = (str(plain.query), self._describe(parsed.query))
            return SearchResults(text, (), 0, page, limit, *explain, tuple(warnings), {})
        kept, cut_warning = session.keep_rarest_words(parsed.query)
        if cut_warning:
            parsed = replace(parsed, query=kept)
            warnings.append(cut_warning)
        ranking = session.rank(parsed.query, parsed.text, within, limit, page, sort)
        explain = (str(plain.query), self._describe_text(ranking.scored_query))
        warnings.extend(expansion_warnings(parsed))
        total = session.count_matches(parsed.query, within)
        undated = session.undated_matches(parsed.query, within)
        wanted = session.highlight_terms(parsed.query)
        hits = tuple(
            self._hit(doc, rank, wanted if snippets else None)
            for rank, doc in enumerate(ranking.docs, start=(page - 1) * limit + 1)
        )
        counts: dict[str, int] = {}
        if facets:
            # Over every match: the ranked query may cover only the best of them.
            counts = session.outlet_counts(parsed.query, within)
        return SearchResults(
            text, hits, total, page, limit, *explain, tuple(warnings), counts, undated
        )

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
