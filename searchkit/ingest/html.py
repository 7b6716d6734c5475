"""Extract the article (text and metadata) from one HTML page, in memory.

The pipeline, each step a pure function of the previous one's output:
cut inert markup (scripts, styles, comments, menus: ``markup.py``) -> parse with
BeautifulSoup + lxml -> read metadata (JSON-LD first) -> flatten into blocks, each
carrying the furniture marks of its ancestors (``blocks.py``, ``furniture.py``) ->
keep the article container's unmarked blocks (``container.py``) -> drop
boilerplate blocks by text (``filtering.py``) -> join paragraphs.
"""

from __future__ import annotations

import logging
import re
import warnings
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning

from searchkit.characters import clean_line
from searchkit.errors import IngestError
from searchkit.ingest.blocks import Block, collect_blocks
from searchkit.ingest.container import choose_article_blocks
from searchkit.ingest.dates import date_from_url
from searchkit.ingest.decoding import NotTextError, decode_bytes, strip_control_characters
from searchkit.ingest.filtering import byline_of, judge_blocks
from searchkit.ingest.furniture import furniture_rule
from searchkit.ingest.headline_area import byline_near_headline, dateline_near_headline
from searchkit.ingest.identity import content_article_id, file_article_id, url_article_id
from searchkit.ingest.markup import strip_inert_markup
from searchkit.ingest.metadata import read_metadata
from searchkit.ingest.normalize import finish_article, join_paragraphs
from searchkit.ingest.page_date import choose_date, find_page_date
from searchkit.ingest.urls import saved_from_url
from searchkit.models import Article

logger = logging.getLogger("searchkit")

MAX_TITLE_CHARS = 300
# The largest real page we measured has about 1,400 tags once scripts and menus are
# cut; parse time and memory grow with the tag count (a 19 MB page of unclosed cells
# took 57 s and 3 GB), so pages beyond this bound are refused rather than parsed.
MAX_MARKUP_TAGS = 50_000
_TAG_START = re.compile(r"<[A-Za-z]")


class PageTooComplexError(ValueError):
    """A page with more markup than any article page needs; parsing it would cost too much."""


@dataclass(frozen=True)
class CleanPage:
    """What one page yields before it becomes an Article (no id or path yet)."""

    title: str
    body: str
    url: str | None
    source: str | None
    published: datetime | None
    author: str | None


def extract_html(
    markup: str | bytes,
    *,
    path: str | None = None,
    url: str | None = None,
    fallback_url: str | None = None,
    charset: str | None = None,
) -> Article:
    """Turn one HTML page into an Article; raise IngestError if it holds no article text.

    Pure apart from resolving ``path`` (used for the id and ``Article.path``):
    it never reads files, so benchmarks and crawlers can hand it pages they
    hold in memory. ``url`` is where the page came from, when known; it wins
    over the URL the page declares. ``fallback_url`` (a WARC record's URL,
    the user's URL map) is used only when the page declares none and has no
    "saved from url=" comment (``urls.py``). Bytes are decoded with
    ``charset`` (an HTTP header's) when given, else honouring ``<meta
    charset>``. Only IngestError escapes, whatever the input.
    """
    where = path or url or "<html>"
    try:
        if isinstance(markup, bytes):
            text = decode_bytes(markup, markup=True, charset=charset)  # controls removed
        else:
            text = strip_control_characters(markup)
        page = clean_page(text, url=url, fallback_url=fallback_url)
    except (NotTextError, PageTooComplexError) as exc:
        raise IngestError(where, str(exc)) from None
    except RecursionError:
        raise IngestError(where, "the page is nested too deeply to parse") from None
    except Exception as exc:
        logger.debug("unexpected failure parsing %s", where, exc_info=True)
        raise IngestError(
            where, f"could not parse the page ({type(exc).__name__}: {exc})"
        ) from None
    resolved = str(Path(path).resolve()) if path else None
    article = finish_article(
        Article(
            id="",
            title=page.title,
            body=page.body,
            url=page.url,
            source=page.source,
            published=page.published,
            author=page.author,
            path=resolved,
        )
    )
    if not article.body:
        raise IngestError(where, "no article text found in the page")
    if resolved:
        article_id = file_article_id(resolved)
    elif article.url:
        article_id = url_article_id(article.url)
    else:
        article_id = content_article_id(article.title, article.body)
    return replace(article, id=article_id)


def clean_page(
    markup: str, *, url: str | None = None, fallback_url: str | None = None
) -> CleanPage:
    """The article inside ``markup``: metadata plus body paragraphs (may be empty)."""
    fallback_url = saved_from_url(markup) or fallback_url
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        stripped = strip_inert_markup(markup)
        tags = sum(1 for _ in _TAG_START.finditer(stripped))
        if tags > MAX_MARKUP_TAGS:
            raise PageTooComplexError(
                f"the page has {tags:,} tags, more than the {MAX_MARKUP_TAGS:,} searchkit parses"
            )
        soup = BeautifulSoup(stripped, "lxml", multi_valued_attributes=None)
    metadata = read_metadata(soup, page_url=url, fallback_url=fallback_url)
    root = soup.body or soup
    page_blocks = collect_blocks(root, furniture_rule)
    blocks = choose_article_blocks(page_blocks)
    # Titles are chosen as they will be stored: a heading of control characters only is none.
    title = clean_line(metadata.title or "") or clean_line(_fallback_title(blocks))
    verdicts = judge_blocks(blocks, title)
    paragraphs = [verdict.block.text for verdict in verdicts if verdict.kept]
    source = metadata.source
    return CleanPage(
        title=title[:MAX_TITLE_CHARS],
        body=join_paragraphs(paragraphs),
        url=metadata.url,
        source=source,
        published=choose_date(
            metadata.published or dateline_near_headline(page_blocks),
            find_page_date(markup, metadata.url),
            date_from_url(metadata.url),
        ),
        author=metadata.author
        or byline_of(verdicts, source)
        or byline_near_headline(page_blocks, source),
    )


def _fallback_title(blocks: list[Block]) -> str:
    for block in blocks:
        if block.is_heading:
            return block.text
    return ""
