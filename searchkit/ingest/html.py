"""Extract the article (text and metadata) from one HTML page, in memory.

The pipeline, each step a pure function of the previous one's output:
cut inert markup (scripts, styles, comments) -> parse with BeautifulSoup + lxml
-> read metadata (JSON-LD first) -> flatten into blocks, each carrying the
furniture marks of its ancestors (``blocks.py``, ``furniture.py``) -> keep the
article container's unmarked blocks (``container.py``) -> drop boilerplate
blocks by text (``clean_blocks``) -> join paragraphs.
"""

from __future__ import annotations

import logging
import re
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning

from searchkit.errors import IngestError
from searchkit.ingest.blocks import Block, collect_blocks
from searchkit.ingest.container import choose_article_blocks
from searchkit.ingest.dates import is_dateline
from searchkit.ingest.decoding import NotTextError, decode_bytes, strip_control_characters
from searchkit.ingest.furniture import furniture_rule
from searchkit.ingest.identity import content_article_id, file_article_id, url_article_id
from searchkit.ingest.metadata import clean_author, read_metadata
from searchkit.ingest.normalize import comparison_key, join_paragraphs, word_count
from searchkit.ingest.rules import BYLINE_PREFIX, LINE_RULES, SECTION_END_RULES, first_match
from searchkit.models import Article

logger = logging.getLogger("searchkit")

MAX_LINK_DENSITY = 0.5
MAX_SECTION_HEADING_WORDS = 8
MAX_BYLINE_WORDS = 12
MAX_REPEATABLE_WORDS = 20
MIN_BODY_BEFORE_SECTION_END = 150
MAX_TITLE_CHARS = 300


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
    markup: str | bytes, *, path: str | None = None, url: str | None = None
) -> Article:
    """Turn one HTML page into an Article; raise IngestError if it holds no article text.

    Pure apart from resolving ``path`` (used for the id and ``Article.path``):
    it never reads files, so benchmarks and crawlers can hand it pages they
    hold in memory. ``url`` is where the page came from, when known; it wins
    over the URL the page declares. Bytes are decoded honouring
    ``<meta charset>``. Only IngestError escapes, whatever the input.
    """
    where = path or url or "<html>"
    try:
        text = decode_bytes(markup, markup=True) if isinstance(markup, bytes) else markup
        page = clean_page(strip_control_characters(text), url=url)
    except NotTextError as exc:
        raise IngestError(where, str(exc)) from None
    except RecursionError:
        raise IngestError(where, "the page is nested too deeply to parse") from None
    except Exception as exc:
        logger.debug("unexpected failure parsing %s", where, exc_info=True)
        raise IngestError(
            where, f"could not parse the page ({type(exc).__name__}: {exc})"
        ) from None
    if not page.body:
        raise IngestError(where, "no article text found in the page")
    resolved = str(Path(path).resolve()) if path else None
    if resolved:
        article_id = file_article_id(resolved)
    elif page.url:
        article_id = url_article_id(page.url)
    else:
        article_id = content_article_id(page.title, page.body)
    article = Article(
        id=article_id,
        title=page.title,
        body=page.body,
        url=page.url,
        source=page.source,
        published=page.published,
        author=page.author,
        path=resolved,
    )
    return article.with_content_hash()


def clean_page(markup: str, *, url: str | None = None) -> CleanPage:
    """The article inside ``markup``: metadata plus body paragraphs (may be empty)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(strip_inert_markup(markup), "lxml")
    metadata = read_metadata(soup, page_url=url)
    root = soup.body or soup
    blocks = choose_article_blocks(collect_blocks(root, furniture_rule))
    title = metadata.title or _fallback_title(blocks)
    paragraphs, byline = clean_blocks(blocks, title)
    if not title and paragraphs:
        title = paragraphs[0]
    return CleanPage(
        title=title[:MAX_TITLE_CHARS],
        body=join_paragraphs(paragraphs),
        url=metadata.url,
        source=metadata.source,
        published=metadata.published,
        author=metadata.author or byline,
    )


_INERT_MARKUP = re.compile(
    r"<(script|style|svg|noscript|template)\b[^>]*>.*?</\1\s*>|<!--.*?-->",
    re.IGNORECASE | re.DOTALL,
)


def strip_inert_markup(markup: str) -> str:
    """Remove scripts (but not JSON-LD), styles, inline SVG, templates and comments.

    None of them is visible prose, and they are often half of a page's
    bytes: cutting them before parsing roughly halves BeautifulSoup's work.
    JSON-LD scripts stay, since metadata is read from them.
    """
    return _INERT_MARKUP.sub(_keep_json_ld, markup)


def _keep_json_ld(match: re.Match[str]) -> str:
    text = match.group(0)
    opening = text[: text.find(">") + 1].lower() if match.group(1) else ""
    return text if "ld+json" in opening else ""


def clean_blocks(blocks: list[Block], title: str) -> tuple[list[str], str | None]:
    """Drop boilerplate blocks; return the article paragraphs and any byline found among them.

    A block goes when it is mostly links, repeats the headline, matches a
    ``LINE_RULES`` label, is a byline or a bare dateline, or repeats a short
    block already kept. A short ``SECTION_END_RULES`` heading ("Related
    stories") ends the article once some text has been kept.
    """
    title_key = comparison_key(title) if title else ""
    paragraphs: list[str] = []
    seen: set[str] = set()
    byline: str | None = None
    kept_chars = 0
    for block in blocks:
        text = block.text
        key = comparison_key(text)
        words = word_count(text)
        if not key or block.link_density > MAX_LINK_DENSITY:
            continue
        if words <= MAX_SECTION_HEADING_WORDS and first_match(SECTION_END_RULES, text):
            if kept_chars >= MIN_BODY_BEFORE_SECTION_END:
                break
            continue
        if key == title_key or first_match(LINE_RULES, text):
            continue
        if words <= MAX_BYLINE_WORDS and BYLINE_PREFIX.match(text):
            byline = byline or clean_author(text)
            continue
        if is_dateline(text):
            continue
        if key in seen and words <= MAX_REPEATABLE_WORDS:
            continue
        seen.add(key)
        paragraphs.append(text)
        kept_chars += len(text)
    return paragraphs, byline


def _fallback_title(blocks: list[Block]) -> str:
    for block in blocks:
        if block.is_heading:
            return block.text
    return ""
