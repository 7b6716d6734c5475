"""Property tests: whatever the input, the ingester answers with Articles or IngestError only."""

from __future__ import annotations

import contextlib
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from searchkit.errors import IngestError
from searchkit.ingest import extract_html, read_articles
from searchkit.models import Article, IngestFailure

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_TAGS = st.sampled_from(
    [
        "p",
        "div",
        "span",
        "a",
        "article",
        "nav",
        "h1",
        "li",
        "ul",
        "script",
        "br",
        "time",
        "meta",
        "title",
        "table",
        "td",
        "footer",
        "aside",
        "b",
    ]
)
_ATTRIBUTES = st.sampled_from(
    [
        "",
        ' class="share"',
        ' itemprop="articleBody"',
        ' role="navigation"',
        " hidden",
        ' datetime="2024-05-10"',
        ' class="related-stories"',
        ' property="og:title" content="T"',
        ' style="display:none"',
        ' href="#"',
    ]
)
_fragment = st.tuples(_TAGS, _ATTRIBUTES, st.text(max_size=40), st.booleans()).map(
    lambda part: f"<{part[0]}{part[1]}>{part[2]}" + (f"</{part[0]}>" if part[3] else "")
)
html_documents = st.lists(_fragment, max_size=25).map("".join)


def _check_article(article: Article) -> None:
    assert article.title and article.body
    assert article.content_hash
    assert article.published is None or article.published.tzinfo is not None


@FAST
@given(st.binary(max_size=2000))
def test_extract_html_on_arbitrary_bytes(data: bytes) -> None:
    with contextlib.suppress(IngestError):
        _check_article(extract_html(data))


@FAST
@given(st.text(max_size=2000))
def test_extract_html_on_arbitrary_text(text: str) -> None:
    with contextlib.suppress(IngestError):
        _check_article(extract_html(text))


@FAST
@given(html_documents)
def test_extract_html_on_tag_soup(markup: str) -> None:
    with contextlib.suppress(IngestError):
        _check_article(extract_html(markup, url="https://example.org/page"))


@FAST
@given(st.binary(max_size=2000), st.sampled_from([".html", ".txt", ".json", ".jsonl", ".pdf"]))
def test_read_articles_never_raises(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(data)
        for item in read_articles(path):
            assert isinstance(item, (Article, IngestFailure))
            if isinstance(item, Article):
                _check_article(item)
            else:
                assert item.reason


@FAST
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(
                st.sampled_from(
                    ["id", "title", "body", "text", "url", "published", "author", "source", "x"]
                ),
                inner,
                max_size=6,
            )
        ),
        max_leaves=20,
    )
)
def test_read_articles_on_arbitrary_json(value: object) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "records.json"
        path.write_text(json.dumps(value), encoding="utf-8")
        items = list(read_articles(path, None))
        assert items
        assert all(isinstance(item, (Article, IngestFailure)) for item in items)


def test_a_heading_of_control_characters_is_no_title() -> None:
    """Found by the tag-soup property: the h1 cleaned to nothing and left the title empty."""
    article = extract_html("<p>0<h1>\x80", url="https://example.org/page")
    assert article.title == "0"
    _check_article(article)
