"""Page titles: the headline without site and section text, and the outlet beside it."""

from __future__ import annotations

import pytest

from searchkit.ingest import extract_html
from searchkit.ingest.titles import site_keys, split_title

BODY = " ".join(["The council approved the new harbour budget after a long debate."] * 6)


def _page(title: str, heading: str | None = None) -> str:
    h1 = f"<h1>{heading}</h1>" if heading else ""
    return (
        f"<html><head><title>{title}</title></head><body><article>{h1}"
        f"<p>{BODY}</p></article></body></html>"
    )


def test_site_name_before_the_headline_is_the_outlet_not_the_title() -> None:
    article = extract_html(
        _page("Berkshire Eagle Online - Kerry endorses Obama"),
        url="http://www.berkshireeagle.com/ci_8000000",
    )
    assert article.title == "Kerry endorses Obama"
    assert article.source == "The Berkshire Eagle"


def test_site_prefix_is_cut_even_when_the_host_is_unknown_to_the_table() -> None:
    article = extract_html(
        _page("Harbourtown Gazette - Kerry endorses Obama"),
        url="http://www.harbourtowngazette.example/story/1",
    )
    assert article.title == "Kerry endorses Obama"
    assert article.source == "Harbourtown Gazette"


@pytest.mark.parametrize(
    ("title", "host", "headline"),
    [
        ("icScotland - Ryan dismayed by Gloucester", "icscotland.icnetwork.co.uk",
         "Ryan dismayed by Gloucester"),
        ("Kenya talks resume_English_Xinhua", "news.xinhuanet.com", "Kenya talks resume"),
        ("Chelsea hoping to sign Anelka - Soccer - Sport - Breaking News - Belfast Telegraph",
         "belfasttelegraph.co.uk", "Chelsea hoping to sign Anelka"),
        ("The Hindu : Business : BSNL offers insurance cover", "hindu.com",
         "BSNL offers insurance cover"),
        ("SFGate: World Views : Another political murder in Lebanon", "sfgate.com",
         "Another political murder in Lebanon"),
        ("Ministers face dilemma over funding (from The Herald )", "theherald.co.uk",
         "Ministers face dilemma over funding"),
        ("Algeria: Al-Qaeda claims northern attack", "adnkronos.com",
         "Algeria: Al-Qaeda claims northern attack"),
    ],
)  # fmt: skip
def test_site_and_section_segments_are_cut(title: str, host: str, headline: str) -> None:
    assert split_title(title, site_keys([], host)).headline == headline


def test_a_title_that_is_only_site_text_gives_way_to_the_heading() -> None:
    article = extract_html(
        _page("Sportal > Golf > Latest News", heading="Gamez the man to catch"),
        url="http://www.sportal.com.au/golf-news-display.aspx?articleid=1",
    )
    assert article.title == "Gamez the man to catch"


def test_a_logo_heading_is_not_the_title() -> None:
    article = extract_html(
        _page("Agency backs embryo research - NG News", heading="NEWS"),
        url="http://www.ngnews.ca/index.cfm?sid=1",
    )
    assert article.title == "Agency backs embryo research"


@pytest.mark.parametrize(
    "head",
    [
        '<title>Council approves harbour budget</titavaScript" src="x.js"></script>',
        '<title>Harbour Daily library-->\n<script src="x.js"></script>',
    ],
)
def test_a_damaged_title_tag_does_not_swallow_the_page(head: str) -> None:
    """Crawled pages lose bytes: an unclosed ``<title>`` must not hide the article."""
    page = f"<html><head>{head}</head><body><article><p>{BODY}</p></article></body></html>"
    article = extract_html(page, url="http://www.harbour-daily.example/budget")
    assert "harbour budget after a long debate" in article.body
    assert "x.js" not in article.title and "<" not in article.title
