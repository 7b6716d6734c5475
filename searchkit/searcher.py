"""Searching an index: ranked, filtered, paged queries with snippets.

A Searcher is safe to share between threads (each thread gets its own Whoosh
searcher) and sees documents committed after it was opened. It never imports
the ingester, so the query path loads no HTML parser.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from types import TracebackType
from typing import Any

from whoosh import query as wq
from whoosh.searching import Searcher as WhooshSearcher

from searchkit.engine.analysis import AliasMatcher, NewsAnalyzer
from searchkit.characters import clean_line
from searchkit.engine.columns import live_column_values
from searchkit.date_bounds import DateLike, parse_date_bound
from searchkit.errors import (
    DocumentNotFoundError,
    IndexCorruptError,
    QueryError,
    SearchkitError,
)
from searchkit.models import Article, Hit, IndexStats, RankingSettings, SearchResults
from searchkit.options import MAX_LIMIT, SORT_ORDERS
from searchkit.query import (
    SEARCH_FIELDS,
    AliasRewriter,
    ParsedQuery,
    expansion_warnings,
    keep_rarest_words,
    make_parser,
    parse_query,
)
from searchkit.engine.ranking import Ranker
from searchkit.engine.schema import TEXT_FIELDS, build_schema, document_to_article, stored_date
from searchkit.snippets import make_snippet
from searchkit.engine.storage import (
    READ_DAMAGE,
    index_bytes,
    is_read_damage,
    open_index,
    read_metadata,
)
from searchkit.synonyms import AliasGroup, Variant, load_synonyms

log = logging.getLogger("searchkit")

_GROUP_TOKEN = re.compile(r"=\w+")
"""How an alias group's index term looks in a query's text (see ``AliasGroup.token``)."""


def _column_date(field: Any, value: Any) -> datetime | None:
    """Decode a date column value; undated documents hold an out-of-range sentinel."""
    try:
        return stored_date(field.from_column_value(value))
    except (OverflowError, TypeError, ValueError):
        return None


def _scan_columns(
    reader: Any, sources: dict[str, int]
) -> tuple[int, datetime | None, datetime | None]:
    """Count outlets and find the date range from column storage (no stored-field loads)."""
    first: datetime | None = None
    last: datetime | None = None
    published_field = reader.schema["published"]
    for outlet, raw_date in live_column_values(reader, ("source", "published"), raw={"published"}):
        if outlet:
            sources[outlet] = sources.get(outlet, 0) + 1
        published = _column_date(published_field, raw_date)
        if published is not None and published.year > 1:
            first = published if first is None or published < first else first
            last = published if last is None or published > last else last
    return reader.doc_count(), first, last


def _matching_docs(searcher: WhooshSearcher, node: wq.Query) -> set[int]:
    kind = type(node)
    if kind is wq.Or and not getattr(node, "minmatch", 0):
        docs: set[int] = set()
        for child in node.children():
            docs |= _matching_docs(searcher, child)
        return docs
    if kind is wq.And:
        parts = sorted((_matching_docs(searcher, c) for c in node.children()), key=len)
        return set.intersection(*parts) if parts else set()
    if kind is wq.AndMaybe:
        return _matching_docs(searcher, node.a)
    if kind is wq.AndNot:
        return _matching_docs(searcher, node.a) - _matching_docs(searcher, node.b)
    return set(searcher.docs_for_query(node))


def count_matches(searcher: WhooshSearcher, query: wq.Query, filters: wq.Query | None) -> int:
    """Exactly how many live documents match ``query`` (within ``filters``).

    Counted on the parsed query, not the ranked one: ranking only re-scores
    the same documents (its extra clauses add to scores, never to matches).
    Whoosh's own exact count (``len(results)``) walks the ranked query's
    matcher tree a second time; on Reuters that was 18 ms of a 48 ms query.
    Here each term's documents are read once into a set and the query's
    And/Or/AndNot structure becomes set algebra (6 ms), falling back to
    Whoosh's matcher for any other kind of clause (phrases, wildcards, ranges).
    """
    docs = _matching_docs(searcher, query)
    if filters is not None and docs:
        docs &= _matching_docs(searcher, filters)
    return len(docs)


def undated_matches(searcher: WhooshSearcher, query: wq.Query, filters: wq.Query | None) -> int:
    """How many live documents match ``query`` (within ``filters``) but have no date.

    A date filter cannot keep these, since they have no date to compare; a
    user who asks for "since 2000" should hear how many were left out.
    """
    docs = _matching_docs(searcher, query)
    if filters is not None and docs:
        docs &= _matching_docs(searcher, filters)
    if docs:
        docs -= _matching_docs(searcher, wq.DateRange("published", None, None))
    return len(docs)


def highlight_terms(query: wq.Query, reader: Any) -> dict[str, set[str]]:
    """The terms worth highlighting, by field: every term a document can match the query by.

    Negated clauses are left out, wildcards expand to the index's terms. A hit's
    snippet marks where these terms occur in its stored text, which is exactly
    where the document matched them (the text is analysed as it was indexed).
    This replaces Whoosh's per-hit matched terms, which it can only record by
    tracking every matching document during the search.
    """
    wanted: dict[str, set[str]] = {}
    pending = [query]
    while pending:
        node = pending.pop()
        if isinstance(node, wq.Not):
            continue
        if isinstance(node, wq.AndNot):
            pending.append(node.a)
            continue
        if not node.is_leaf():
            pending.extend(node.children())
            continue
        for field, term in node.existing_terms(reader, phrases=True, expand=True):
            if field in TEXT_FIELDS:
                text = term.decode("utf-8", "replace") if isinstance(term, bytes) else str(term)
                wanted.setdefault(field, set()).add(text)
    return wanted


def relevance_scores(
    searcher: WhooshSearcher, query: wq.Query, docnums: list[int]
) -> dict[int, float]:
    """The relevance score of each of ``docnums`` for ``query``, by document number.

    A search sorted by a field gets that field's value back as each hit's
    "score" (Whoosh collects the sort key there): under ``sort="date"`` every
    hit's score was its publication time. Scoring just the page's documents
    again, as a filter, gives the relevance scores at the cost of one more
    pass over the query's postings.
    """
    if not docnums:
        return {}
    rescored = searcher.search(query, filter=set(docnums), limit=len(docnums))
    return {hit.docnum: float(hit.score or 0.0) for hit in rescored}


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


@dataclass(frozen=True)
class _Filters:
    """The filter a search runs within, and its outlet part alone (to count what the
    date part left out: the documents without a date)."""

    query: wq.Query | None
    outlet: wq.Query | None
    by_date: bool


class Searcher:
    """Answers queries against an index directory; open once, search many times."""

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
        self._ix = open_index(self.index_dir, self.groups)
        self._updated = metadata.updated
        extra = load_synonyms(synonyms) if synonyms is not None else ()
        query_groups = _query_only_groups(AliasMatcher.for_groups(self.groups), extra)
        self._parsers = {
            True: make_parser(self._ix.schema),
            False: make_parser(build_schema(self.groups, query_aliases=False)),
        }
        self._rewriters = {
            True: AliasRewriter(self.groups, query_groups),
            False: None,
        }
        self._analyzer = NewsAnalyzer(self.groups)
        self._ranker = Ranker(settings)
        self._local = threading.local()
        self._open_searchers: list[WhooshSearcher] = []
        self._lock = threading.Lock()
        self._closed = False

    # -- Whoosh searcher per thread -----------------------------------------

    @contextmanager
    def _whoosh(self) -> Iterator[WhooshSearcher]:
        if self._closed:
            raise SearchkitError("this Searcher is closed")
        try:
            current: WhooshSearcher | None = getattr(self._local, "searcher", None)
            if current is None:
                current = self._ix.searcher(weighting=self._ranker.weighting())
                with self._lock:
                    self._open_searchers.append(current)
            elif not current.up_to_date():
                # Not Whoosh's refresh(): its reader reuse misses new deletions
                # in segments it already had open.
                fresh = self._ix.searcher(weighting=self._ranker.weighting())
                with self._lock:
                    self._open_searchers.remove(current)
                    self._open_searchers.append(fresh)
                current.close()
                current = fresh
            self._local.searcher = current
            yield current
        except SearchkitError:
            raise
        except READ_DAMAGE as exc:
            if not is_read_damage(exc):
                raise
            log.debug("reading the index failed; reporting it as damage", exc_info=True)
            raise IndexCorruptError(self.index_dir, f"{type(exc).__name__}: {exc}") from exc

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
        parsed = parse_query(query, self._parsers[use_synonyms], self._rewriters[use_synonyms])
        plain = parse_query(query, self._parsers[False], None) if use_synonyms else parsed
        warnings = list(parsed.warnings)
        with self._whoosh() as searcher:
            filters, filter_warnings = self._filters(searcher, source, start, end)
            warnings.extend(filter_warnings)
            return self._run(
                searcher,
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

    def _filters(
        self,
        searcher: WhooshSearcher,
        source: str | None,
        start: datetime | None,
        end: datetime | None,
    ) -> tuple[_Filters, list[str]]:
        clauses: list[wq.Query] = []
        warnings: list[str] = []
        outlet: wq.Query | None = None
        if source:
            wanted = outlet_key(source)
            stored = (str(name) for name in searcher.reader().field_terms("source"))
            matches = [name for name in stored if outlet_key(name) == wanted]
            if not matches:
                warnings.append(f"no documents from outlet {source!r}")
                clauses.append(wq.NullQuery)
            elif len(matches) == 1:
                clauses.append(wq.Term("source", matches[0]))
            else:
                clauses.append(wq.Or([wq.Term("source", match) for match in matches]))
            outlet = clauses[0]
        by_date = start is not None or end is not None
        if by_date:
            clauses.append(wq.DateRange("published", start, end))
        if not clauses:
            return _Filters(None, None, False), warnings
        combined = clauses[0] if len(clauses) == 1 else wq.And(clauses)
        return _Filters(combined, outlet, by_date), warnings

    def _run(
        self,
        searcher: WhooshSearcher,
        text: str,
        parsed: ParsedQuery,
        plain: ParsedQuery,
        within: _Filters,
        limit: int,
        page: int,
        sort: str,
        facets: bool,
        warnings: list[str],
        snippets: bool = True,
    ) -> SearchResults:
        filters = within.query
        if parsed.query is wq.NullQuery or within.outlet is wq.NullQuery:
            explain = (plain.query.__str__(), self._describe(parsed.query))
            return SearchResults(text, (), 0, page, limit, *explain, tuple(warnings), {})
        reader = searcher.reader()
        kept, cut_warning = keep_rarest_words(
            parsed.query,
            lambda word: max(reader.doc_frequency(name, word) for name in SEARCH_FIELDS),
        )
        if cut_warning:
            parsed = replace(parsed, query=kept)
            warnings.append(cut_warning)
        scored = self._ranker.prepare(
            parsed.query, parsed.text, searcher, filters, feedback=sort == "relevance"
        )
        explain = (plain.query.__str__(), self._describe(scored.query))
        options: dict[str, Any] = {"limit": page * limit, "filter": filters}
        if sort == "date":
            options["sortedby"] = "published"
            options["reverse"] = True
        ranked = list(searcher.search(scored.query, **options))
        if scored.reranked and page * limit > scored.reranked:
            # Past the documents feedback re-scored, the first pass's order goes on.
            beyond = searcher.search(scored.base, **options)
            ranked.extend(list(beyond)[scored.reranked :])
        warnings.extend(expansion_warnings(parsed))
        total = count_matches(searcher, parsed.query, filters)
        undated = undated_matches(searcher, parsed.query, within.outlet) if within.by_date else 0
        window = ranked[(page - 1) * limit : page * limit]
        if sort == "date":
            scores = relevance_scores(searcher, scored.query, [hit.docnum for hit in window])
        else:
            scores = {hit.docnum: hit.score for hit in window}
        wanted = highlight_terms(parsed.query, reader)
        hits = tuple(
            self._hit(hit, rank, scores.get(hit.docnum), wanted if snippets else None)
            for rank, hit in enumerate(window, start=(page - 1) * limit + 1)
        )
        counts: dict[str, int] = {}
        if facets:
            # Over every match: the ranked query may cover only the best of them.
            grouped = searcher.search(
                parsed.query, filter=filters, groupedby="source", scored=False, limit=None
            )
            counts = {str(k): len(v) for k, v in grouped.groups("source").items() if k}
        return SearchResults(
            text, hits, total, page, limit, *explain, tuple(warnings), counts, undated
        )

    def _describe(self, node: wq.Query) -> str:
        """The query as text, with each group token shown as its group's label.

        One pass over the text's "=..." tokens, so it costs the same with
        100,000 groups as with ten.
        """
        matcher = self._analyzer.matcher

        def label(match: re.Match[str]) -> str:
            name = matcher.label(match.group(0))
            return match.group(0) if name is None else f"<{name} group>"

        return _GROUP_TOKEN.sub(label, str(node))

    def _hit(
        self, hit: Any, rank: int, score: float | None, wanted: dict[str, set[str]] | None
    ) -> Hit:
        """A result as the public value; ``wanted`` None means no snippet is made."""
        stored = hit.fields()
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
        if not terms or not text:
            return []
        return [
            (start, end, term)
            for term, _pos, start, end in self._analyzer.terms(text)
            if term in terms
        ]

    def get(self, doc_id: str) -> Article:
        """Return the stored article with this id; DocumentNotFoundError if there is none."""
        with self._whoosh() as searcher:
            stored = searcher.document(id=doc_id)
        if stored is None:
            raise DocumentNotFoundError(doc_id)
        return document_to_article(stored)

    def stats(self) -> IndexStats:
        """Summarise the index: documents, outlets, date range, size and last update."""
        with self._whoosh() as searcher:
            sources: dict[str, int] = {}
            documents, first, last = _scan_columns(searcher.reader(), sources)
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
        """Close every per-thread Whoosh searcher and the index."""
        self._closed = True
        with self._lock:
            for searcher in self._open_searchers:
                searcher.close()
            self._open_searchers.clear()
        self._ix.close()

    def __enter__(self) -> Searcher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
