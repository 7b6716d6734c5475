"""Tests for HTML extraction: metadata, pruning, container choice and block filtering."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from bs4 import BeautifulSoup

from searchkit.errors import IngestError
from searchkit.ingest import extract_html
from searchkit.ingest.authors import clean_author
from searchkit.ingest.blocks import collect_blocks
from searchkit.ingest.filtering import byline_of, judge_blocks
from searchkit.ingest.furniture import class_and_id, furniture_rule
from searchkit.ingest.markup import strip_inert_markup
from searchkit.ingest.metadata import read_metadata

PARAGRAPHS = [
    "The council voted on Tuesday to open a ferry route between the two piers, officials said.",
    "Commuters, who lose an hour a day on the bridge, welcomed the plan at a packed meeting.",
    "The first boats will sail in June, and tickets will cost the same as a bus fare, "
    "the harbour master said.",
]

PAGE = f"""<!DOCTYPE html>
<html><head>
<meta charset="utf-8">
<title>Council approves ferry route | Harbour Daily</title>
<meta property="og:site_name" content="Harbour Daily">
<meta property="article:published_time" content="2024-05-10T08:00:00+00:00">
<link rel="canonical" href="https://hd.example/news/ferry-route">
<script>var tracking = "Advertisement text in a script";</script>
<style>.x {{ color: red }}</style>
</head><body>
<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
<div class="cookie-banner">We use cookies to improve your experience. Accept?</div>
<article>
  <header><h1>Council approves ferry route</h1>
    <p class="byline">By <a href="/staff/jane">Jane Doe</a></p></header>
  <div class="share-bar"><a href="#">Facebook</a> <a href="#">Twitter</a></div>
  <p>{PARAGRAPHS[0]}</p>
  <div class="ad-slot">Advertisement</div>
  <p>{PARAGRAPHS[1]}</p>
  <h2>What happens next</h2>
  <ul><li>Boats sail from the north pier.</li><li>Timetables follow in May.</li></ul>
  <p>{PARAGRAPHS[2]}</p>
  <div class="newsletter-signup"><p>Sign up for our morning newsletter, free every day.</p></div>
  <footer>Tags: <a href="/t/ferries">ferries</a></footer>
</article>
<aside class="related-stories"><h3>Related stories</h3>
  <p><a href="/a">Storm closes the marina for a week after heavy winds</a></p></aside>
<div id="comments"><p>Great news, finally, about time this happened in our town!</p></div>
<footer class="site-footer">© 2024 Harbour Daily. All rights reserved.</footer>
</body></html>"""


def test_page_metadata() -> None:
    article = extract_html(PAGE)
    assert article.title == "Council approves ferry route"
    assert article.source == "Harbour Daily"
    assert article.url == "https://hd.example/news/ferry-route"
    assert article.author == "Jane Doe"
    assert article.published == datetime(2024, 5, 10, 8, 0, tzinfo=timezone.utc)


def test_page_body_keeps_article_drops_furniture() -> None:
    body = extract_html(PAGE).body
    paragraphs = body.split("\n\n")
    assert paragraphs == [
        PARAGRAPHS[0],
        PARAGRAPHS[1],
        "What happens next",
        "Boats sail from the north pier.",
        "Timetables follow in May.",
        PARAGRAPHS[2],
    ]


def test_id_and_path_from_path_argument(tmp_path: object) -> None:
    article = extract_html(PAGE, path="/tmp/news/Ferry Route.html")
    assert article.path == "/tmp/news/Ferry Route.html"
    assert article.id.startswith("ferry-route-")
    without_path = extract_html(PAGE)
    assert without_path.path is None
    assert without_path.id.startswith("ferry-route-")
    assert article.content_hash == without_path.content_hash


def test_url_argument_wins_over_declared_url() -> None:
    assert extract_html(PAGE, url="https://mirror.example/x").url == "https://mirror.example/x"


def test_bytes_input_honours_meta_charset() -> None:
    page = PAGE.replace('charset="utf-8"', 'charset="windows-1252"').replace(
        "welcomed the plan", "welcomed the “plan” \u2013 café"
    )
    article = extract_html(page.encode("cp1252"))
    assert "welcomed the “plan” \u2013 café" in article.body


def test_json_ld_beats_other_metadata() -> None:
    page = """<html><head><title>Wrong | Site</title>
    <script type="application/ld+json">{"@context": "https://schema.org", "@graph": [
      {"@type": "WebSite", "name": "Northgate"},
      {"@type": "NewsArticle", "headline": "Right headline", "datePublished": "2023-01-02",
       "author": [{"@type": "Person", "name": "Ann Lee"}, {"name": "Bo Chan"}],
       "publisher": {"@type": "Organization", "name": "Northgate Observer"},
       "url": "https://no.example/right"}]}</script></head>
    <body><h1>Other</h1><p>Body text that is long enough to count as a paragraph here.</p></body>
    </html>"""
    article = extract_html(page)
    assert article.title == "Right headline"
    assert article.author == "Ann Lee, Bo Chan"
    assert article.source == "Northgate Observer"
    assert article.url == "https://no.example/right"
    assert article.published == datetime(2023, 1, 2, tzinfo=timezone.utc)


def test_broken_json_ld_is_ignored() -> None:
    page = (
        '<script type="application/ld+json">{"headline": </script><title>Title words - Site</title>'
        "<p>Some article text that is long enough to keep, really it is.</p>"
    )
    assert extract_html(page).title == "Title words"


def test_time_element_and_meta_author() -> None:
    page = (
        '<meta name="author" content="By Sam Roe"><h1>A headline here</h1>'
        '<time datetime="2022-03-04T05:06:07Z">March 4</time>'
        "<p>Some article text that is long enough to keep, really it is.</p>"
    )
    article = extract_html(page)
    assert article.author == "Sam Roe"
    assert article.published == datetime(2022, 3, 4, 5, 6, 7, tzinfo=timezone.utc)


def test_item_prop_article_body_is_preferred() -> None:
    long_text = "Teaser text with commas, many commas, and more commas, for scoring. " * 8
    page = f"""<html><body><div class="col"><p>{long_text}</p><p>{long_text}</p></div>
    <div itemprop="articleBody"><p>{PARAGRAPHS[0]}</p><p>{PARAGRAPHS[1]}</p>
    <p>{PARAGRAPHS[2]} {PARAGRAPHS[2]}</p></div></body></html>"""
    body = extract_html(page).body
    assert body.startswith(PARAGRAPHS[0]) and "Teaser text" not in body


def test_divs_split_article_is_joined_and_link_lists_dropped() -> None:
    chunk = "".join(f"<p>{text}</p>" for text in PARAGRAPHS)
    links = "".join(
        f'<li><a href="/{n}">Another headline number {n} here</a></li>' for n in range(9)
    )
    page = f"""<html><body><div id="main"><div class="part">{chunk}</div>
    <div class="part">{chunk.replace("the", "a")}</div></div>
    <div><ul>{links}</ul></div></body></html>"""
    body = extract_html(page).body
    assert body.count("\n\n") == 5
    assert "Another headline" not in body


def test_section_end_heading_stops_the_article() -> None:
    page = f"""<body><div><p>{PARAGRAPHS[0]}</p><p>{PARAGRAPHS[1]}</p>
    <h3>More stories</h3><p>A teaser paragraph about something else entirely, long enough.</p>
    </div></body>"""
    assert "teaser" not in extract_html(page).body


def test_page_without_text_raises() -> None:
    with pytest.raises(IngestError, match="no article text"):
        extract_html("<html><head><title>Empty</title></head><body><nav>x</nav></body></html>")


def test_title_falls_back_to_heading_then_text() -> None:
    assert (
        extract_html("<body><h2>Sub head</h2><p>Text of the page.</p></body>").title == "Sub head"
    )
    assert extract_html("<body><p>Only text here.</p></body>").title == "Only text here."


@pytest.mark.parametrize(
    ("byline", "expected"),
    [
        ("By Jane Doe", "Jane Doe"),
        ("By JANE DOE and John Roe | Updated May 1", "Jane Doe, John Roe"),
        ("Written by: Ana de la Cruz", "Ana de la Cruz"),
        ("By", None),
        ("Staff", None),
        ("Reuters Staff", None),
        ("3 Minute Read", None),
        ("By the time the ferry arrived", None),
        ("https://facebook.com/someone", None),
        (None, None),
    ],
)
def test_clean_author(byline: str | None, expected: str | None) -> None:
    assert clean_author(byline) == expected


def test_title_suffix_is_stripped_only_when_short() -> None:
    soup = BeautifulSoup("<title>A long headline about ferries - Harbour Daily</title>", "lxml")
    assert read_metadata(soup).title == "A long headline about ferries"
    assert read_metadata(soup).source == "Harbour Daily"
    soup = BeautifulSoup(
        "<title>Ferries - a long explanation of why they matter now</title>", "lxml"
    )
    assert read_metadata(soup).title == "Ferries - a long explanation of why they matter now"


def test_collect_blocks_splits_on_blocks_and_breaks() -> None:
    soup = BeautifulSoup(
        "<div>one <b>two</b><br>three<p>four <a href='#'>five</a></p>six</div>", "lxml"
    )
    blocks = collect_blocks(soup.body or soup)
    assert [block.text for block in blocks] == ["one two", "three", "four five", "six"]
    assert blocks[2].link_chars == len("five")


def test_deeply_nested_page_does_not_recurse() -> None:
    page = "<html><body>" + "<div>" * 10_000 + PARAGRAPHS[0] + "</div>" * 10_000 + "</body></html>"
    assert extract_html(page).body == PARAGRAPHS[0]


LONG = [
    "The council voted on Tuesday to open a ferry route between the two piers, officials said, "
    "after a year of public meetings, surveys and a trial run in the summer months.",
    "Commuters, who lose an hour a day on the bridge, welcomed the plan at a packed meeting, "
    "and the harbour master promised timetables before the first boats sail in June.",
]
STORY = "".join(f"<p>{text}</p>" for text in LONG)


def test_comment_thread_longer_than_the_story_is_not_chosen() -> None:
    comment = "<p>I agree, but who was in charge of the ferry plans, and why so late, honestly?</p>"
    page = f"""<html><body><h1>Ferry route opens</h1><div class="story">{STORY}</div>
    <div id="commentsContainer">{comment * 12}</div></body></html>"""
    body = extract_html(page).body
    assert body.startswith(LONG[0]) and "I agree" not in body


def test_wrapper_with_a_furniture_class_keeps_the_story() -> None:
    page = f"""<html><body><div class="page has-sidebar"><h1>Ferry route opens</h1>
    <div class="content">{STORY}</div></div><div class="sidebar"><p>{LONG[1][::-1]}</p></div>
    </body></html>"""
    assert extract_html(page).body == "\n\n".join(LONG)


def test_paywall_box_holding_most_of_the_story_is_kept() -> None:
    page = f"""<html><body><div class="article-body"><p>{LONG[0]}</p>
    <div class="paywall"><p>{LONG[1]}</p><p>{LONG[1].upper()}</p></div></div></body></html>"""
    assert extract_html(page).body.count("\n\n") == 2


def test_teasers_cut_short_do_not_win_over_a_short_story() -> None:
    teaser = (
        "<li><a href='/x'>Another story headline</a> A teaser paragraph about something else, "
        "with commas, many commas, and more words that stop in the middle of a…</li>"
    )
    page = f"""<html><body><ul class="ticker">{teaser * 10}</ul>
    <div class="main">{STORY}</div></body></html>"""
    assert extract_html(page).body == "\n\n".join(LONG)


def test_the_article_holding_the_headline_beats_teaser_articles() -> None:
    teaser = f"<article class='post'><p>{LONG[1]} {LONG[0]}</p></article>"
    page = f"""<html><body><article class="post main"><h1>Ferry route opens</h1>
    <p>{LONG[0]}</p></article><section>{teaser * 4}</section></body></html>"""
    assert extract_html(page).body == LONG[0]


def test_captions_credits_and_gallery_counters_are_dropped() -> None:
    page = f"""<html><body><div class="body"><p>{LONG[0]}</p>
    <div><img src="a.jpg" alt="The north pier at dawn"><span>The north pier at dawn</span></div>
    <span class="newsCaption">Boats at the pier (Image: Harbour Daily)</span>
    <div>Image 2 of 5</div><p>{LONG[1]}</p>
    <p>Reporting by Jane Doe; editing by John Roe</p>
    <p>Follow the author on Twitter at @janedoe.</p></div></body></html>"""
    assert extract_html(page).body == "\n\n".join(LONG)


def test_printed_addresses_and_link_rich_sentences_are_text() -> None:
    linked = (
        "The <a href='/c'>council</a> and the <a href='/h'>harbour master</a> agreed with the "
        "<a href='/u'>ferry workers union</a> on Tuesday."
    )
    page = f"""<html><body><div class="body">{STORY}<p>{linked}</p>
    <p><a href="https://ferries.example/timetable">https://ferries.example/timetable</a></p>
    <p><a href="/more">Read the timetable</a></p></div></body></html>"""
    body = extract_html(page).body
    assert "ferry workers union" in body and "https://ferries.example/timetable" in body
    assert "Read the timetable" not in body


def test_headline_h1_inside_the_container_is_dropped_even_when_reworded() -> None:
    page = f"""<html><head><meta property="og:title" content="Ferry route is approved"></head>
    <body><div class="body"><h1>Council opens ferry route</h1>{STORY}
    <h2>What happens next</h2><p>{LONG[1][::-1]}</p></div></body></html>"""
    body = extract_html(page).body
    assert body.startswith(LONG[0]) and "What happens next" in body


def test_menus_footers_and_controls_never_reach_the_parser() -> None:
    page = f"""<html><body><nav><ul><li><a href="/">Home</a><nav>inner</nav></li></ul>
    Menu text</nav><div class="body">{STORY}</div><footer><p>{LONG[1][::-1]}</p></footer>
    <select><option>One</option></select></body></html>"""
    assert extract_html(page).body == "\n\n".join(LONG)


def test_judge_blocks_gives_a_reason_for_every_dropped_block() -> None:
    soup = BeautifulSoup(
        f"<div><h1>Ferry</h1><p>By Jane Doe</p>{STORY}<p>Advertisement</p>"
        "<h3>Related stories</h3><p>Another story, with text that is long enough.</p></div>",
        "lxml",
    )
    verdicts = judge_blocks(collect_blocks(soup.body or soup), "Ferry")
    reasons = [verdict.dropped for verdict in verdicts]
    assert reasons[0] == "repeats the headline"
    assert reasons[1] == "byline"
    assert reasons[2] is None and reasons[3] is None
    assert reasons[4] == "ad label"
    assert reasons[5] is not None and reasons[5].startswith("section end")
    assert reasons[6] is not None and reasons[6].startswith("after a section end")
    assert byline_of(verdicts) == "Jane Doe"


def test_blocks_carry_their_furniture_marks() -> None:
    soup = BeautifulSoup(
        "<div class='share-bar'><p>Share</p></div><p>Text</p><span class='caption'>Pier</span>",
        "lxml",
    )
    blocks = collect_blocks(soup.body or soup, furniture_rule)
    assert [block.text for block in blocks] == ["Share", "Text", "Pier"]
    assert blocks[0].marks and blocks[0].marks[0][1].reason == "share links and social buttons"
    assert blocks[1].marks == ()
    assert blocks[2].marks and "caption" in blocks[2].marks[0][1].reason


JSON_LD = '<script type="application/ld+json">{}</script>'


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("<p>a</p><script>var x = '<p>b</p>';</script><p>c</p>", "<p>a</p><p>c</p>"),
        (JSON_LD, JSON_LD),
        ("<p>a</p><!-- <p>b</p> --><style>p {}</style>", "<p>a</p>"),
        ("<nav><nav>x</nav>y</nav><p>a</p>", "<p>a</p>"),
        ("<p>a</p><nav>never closed<p>b</p>", "<p>a</p><nav>never closed<p>b</p>"),
        ("<navigation-bar>kept</navigation-bar>", "<navigation-bar>kept</navigation-bar>"),
        ("<NAV class='x'>menu</NAV><footer>f</footer>", ""),
    ],
)  # fmt: skip
def test_strip_inert_markup(markup: str, expected: str) -> None:
    assert strip_inert_markup(markup) == expected


def test_camel_case_class_names_split_into_tokens() -> None:
    markup = "<div class='newsCaption'>x</div><div id='commentsContainer'>y</div>"
    soup = BeautifulSoup(markup, "lxml")
    caption, comments = soup.find_all("div")
    assert class_and_id(caption) == "news-caption"
    assert furniture_rule(caption) is not None and furniture_rule(comments) is not None
