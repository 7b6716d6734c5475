"""Terminal controls and invisible characters never survive ingest, whichever way they arrive.

Each case is a real file written to tmp_path and read with ``read_articles``:
HTML pages carry them as character references (``&#27;``), which the parser
decodes after the raw bytes were cleaned; JSON records as ``\\u001b`` escapes;
text captures as raw UTF-8 C1 characters, which the decoder used to keep.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import searchkit
from searchkit.characters import (
    DIRECTION_CONTROLS,
    INVISIBLE_CHARACTERS,
    TERMINAL_CONTROLS,
    clean_body,
    clean_line,
    clean_token,
    terminal_safe,
)

# ESC, BEL and the C1 controls, the characters a terminal acts on.
TERMINAL_BYTES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
PARAGRAPH = (
    "The harbour authority approved the new ferry timetable on Monday after a long public "
    "consultation with residents and the island councils."
)


def only_article(path: Path) -> searchkit.Article:
    items = list(searchkit.read_articles(path))
    assert len(items) == 1, items
    article = items[0]
    assert isinstance(article, searchkit.Article), article
    return article


def one_line_fields(article: searchkit.Article) -> dict[str, str | None]:
    return {
        "id": article.id,
        "title": article.title,
        "source": article.source,
        "author": article.author,
        "url": article.url,
    }


def assert_clean(article: searchkit.Article) -> None:
    for name, value in one_line_fields(article).items():
        assert value is None or not TERMINAL_BYTES.search(value), (name, value)
        assert value is None or not INVISIBLE.search(value), (name, value)
    assert not TERMINAL_BYTES.search(article.body), article.body


def test_html_character_references_are_removed_from_every_field(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><title>x</title>"
        '<meta property="og:title" content="Ferry &#27;[31mtimetable&#27;[0m &#x202e;txt.exe">'
        '<meta property="og:site_name" content="Harbour&#x200b; Herald&#27;]0;pwned&#7;">'
        '<meta name="author" content="Ann &#x9b;Lee">'
        '<link rel="canonical" href="https://herald.example/ferry&#27;[2J">'
        "</head><body><article>"
        f"<p>{PARAGRAPH} &#27;[2J Clear &#x9b;31m screen.</p><p>{PARAGRAPH}</p>"
        "</article></body></html>",
        encoding="utf-8",
    )
    article = only_article(page)
    assert_clean(article)
    assert article.title == "Ferry [31mtimetable[0m txt.exe"
    assert article.source == "Harbour Herald]0;pwned"
    assert article.author in (None, "Ann Lee")  # the byline rules may refuse it as a name
    assert article.url == "https://herald.example/ferry[2J"


def test_json_escapes_are_removed_from_every_field(tmp_path: Path) -> None:
    record = {
        "id": "wire-1\u001b]0;T\u0007\u200b",
        "title": "Ferry \u001b[31mtimetable\u001b[0m \u202eredaolnwod",
        "body": f"{PARAGRAPH}\u001b[2J\u009b31m\tTabbed\nnext line",
        "source": "BBC\u200b News",
        "author": "Jo \u009b2J Bloggs",
        "url": "https://wire.example/1\u001b[2J",
    }
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps(record) + "\n", encoding="utf-8")
    article = only_article(feed)
    assert_clean(article)
    assert article.id == "wire-1]0;T"
    assert article.source == "BBC News"
    assert article.title == "Ferry [31mtimetable[0m redaolnwod"
    assert "31m\tTabbed\n\nnext line" in article.body, "bodies keep tabs and newlines"


def test_text_capture_loses_raw_c1_controls_and_zero_width_spaces(tmp_path: Path) -> None:
    capture = tmp_path / "capture.txt"
    capture.write_text(
        f"Ferry \u009b31mtimetable\u009b0m agreed\nSource: Harbour\u200b Herald\n\n{PARAGRAPH}"
        "\u009b2J\n",
        encoding="utf-8",
    )
    article = only_article(capture)
    assert_clean(article)
    assert article.title == "Ferry 31mtimetable0m agreed"
    assert article.source == "Harbour Herald"


def test_a_record_id_of_only_invisible_characters_falls_back_to_a_made_id(
    tmp_path: Path,
) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps({"id": "\u200b\u001b", "title": "T", "body": PARAGRAPH}) + "\n")
    article = only_article(feed)
    assert article.id.startswith("feed-1-"), article.id


def test_a_title_of_only_controls_is_replaced_by_a_derived_title(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps({"title": "\u009b\u202e", "body": PARAGRAPH}) + "\n")
    article = only_article(feed)
    assert article.title_derived
    assert article.title and "\u009b" not in article.title and "\u202e" not in article.title


def test_the_content_hash_is_computed_from_the_cleaned_fields(tmp_path: Path) -> None:
    plain = tmp_path / "plain.jsonl"
    dirty = tmp_path / "dirty.jsonl"
    plain.write_text(json.dumps({"id": "a", "title": "Ferry", "body": PARAGRAPH}) + "\n")
    dirty.write_text(json.dumps({"id": "a", "title": "Fer\u200bry\u009b", "body": PARAGRAPH}))
    assert only_article(dirty).content_hash == only_article(plain).content_hash


@pytest.mark.parametrize(
    ("clean", "text", "expected"),
    [
        (clean_line, "a\tb\nc\r\x1b[2J  d", "a b c [2J d"),
        (clean_line, "BBC\u200b News\ufeff", "BBC News"),
        (clean_token, " id\x07-1\u2066 ", "id-1"),
        (clean_body, "one\r\ntwo\rthree\x1b\x9b\tfour", "one\ntwo\nthree\tfour"),
        (terminal_safe, "a\x1b]0;T\x07b\u202ec\td\n", "a\ufffd]0;T\ufffdb\ufffdc\td\n"),
    ],
)
def test_cleaning_functions(clean: object, text: str, expected: str) -> None:
    assert callable(clean)
    assert clean(text) == expected


def test_the_character_sets_cover_every_c0_c1_and_direction_control() -> None:
    def members(pairs: tuple[tuple[str, str], ...]) -> set[str]:
        found: set[str] = set()
        for chars, reason in pairs:
            assert reason, chars
            first, _, last = chars.partition("-") if len(chars) == 3 else (chars, "", chars)
            found.update(chr(code) for code in range(ord(first), ord(last) + 1))
        return found

    assert members(TERMINAL_CONTROLS) == {chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]}
    assert members(DIRECTION_CONTROLS) <= members(INVISIBLE_CHARACTERS)
    assert {"\u200b", "\u202e", "\u2066", "\ufeff"} <= members(INVISIBLE_CHARACTERS)
