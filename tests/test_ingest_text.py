"""Tests for searchkit.ingest.text: cleaning plain-text page captures, on made-up and real ones."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from searchkit.ingest import extract
from searchkit.ingest.text import clean_capture

CAPTURE = """\
Harbour Council Approves New Ferry Route

By Jane Doe
Published: May 10, 2024

Advertisement
Harbour Council Approves New Ferry Route
Sea Desk
New Update

The council voted on Tuesday to open a ferry route between the two piers.

Why this matters: commuters lose an hour a day on the bridge.

Key Takeaways

  • The route opens in June.
  • Tickets cost the same as the bus.

Share this page:

Related content

Storm closes the marina for a week

Storm closes the marina for a week

Boat owners were told to move their vessels before the storm arrived and…
"""


def test_title_is_the_first_line() -> None:
    assert clean_capture(CAPTURE).title == "Harbour Council Approves New Ferry Route"


def test_byline_and_date_lines_become_fields() -> None:
    capture = clean_capture(CAPTURE)
    assert capture.author == "Jane Doe"
    assert capture.published == datetime(2024, 5, 10, tzinfo=timezone.utc)
    assert "By Jane Doe" not in capture.body and "Published" not in capture.body


def test_chrome_lines_and_related_teasers_are_dropped() -> None:
    body = clean_capture(CAPTURE).body
    for chrome in (
        "Advertisement",
        "Ferry Route\n",
        "Sea Desk",
        "New Update",
        "Share this page",
        "Related content",
        "Storm closes",
        "Boat owners",
    ):
        assert chrome not in body
    assert body.startswith("The council voted on Tuesday")


def test_article_content_is_kept_in_paragraphs() -> None:
    body = clean_capture(CAPTURE).body
    assert "Why this matters: commuters lose an hour a day on the bridge." in body
    assert (
        "Key Takeaways\n\n• The route opens in June.\n• Tickets cost the same as the bus." in body
    )


def test_label_beside_body_text_is_kept() -> None:
    body = clean_capture("Title Here\n\nFirst paragraph of the story.\nSea Desk\n").body
    assert "Sea Desk" in body


def test_teaser_tail_without_heading_is_dropped() -> None:
    text = (
        "Title Here\n\nThe story itself ends with a full sentence.\n\n"
        "Another Story Title\nIts teaser stops in the middle of a…\n"
    )
    assert clean_capture(text).body == "The story itself ends with a full sentence."


def test_empty_and_title_only_captures() -> None:
    assert clean_capture("").title == ""
    only_title = clean_capture("Just A Title\n\n")
    assert only_title.title == "Just A Title" and only_title.body == ""


def test_url_and_source_lines() -> None:
    capture = clean_capture("A Title\nSource: Harbour Daily\nURL: https://hd.example/a\n\nText.")
    assert capture.source == "Harbour Daily"
    assert capture.url == "https://hd.example/a"
    assert capture.body == "Text."


SEED_TITLES = {
    "000_": "US and Pakistan Vow Cooperation Against Militant Threats",
    "001_": "US and Pakistan Bolster Counterterrorism Efforts Against ISIS-K and TTP",
}


def _seed(seeds_dir: Path, prefix: str) -> Path:
    matches = sorted(seeds_dir.glob(f"{prefix}*.txt"))
    if not matches:
        pytest.skip(f"seed {prefix}* is not in ../shared/seeds")
    return matches[0]


@pytest.mark.parametrize(("prefix", "title"), sorted(SEED_TITLES.items()))
def test_seed_titles(seeds_dir: Path, prefix: str, title: str) -> None:
    assert extract(_seed(seeds_dir, prefix)).title == title


@pytest.mark.parametrize("prefix", sorted(SEED_TITLES))
def test_seed_boilerplate_is_gone(seeds_dir: Path, prefix: str) -> None:
    article = extract(_seed(seeds_dir, prefix))
    for chrome in (
        "Related content",
        "Share this page:",
        "New Update",
        "Indonesia",
        "North Waziristan",
        "Trim Correspondents",
    ):
        assert chrome not in article.body
    assert article.title not in article.body
    assert "…" not in article.body
    assert "\n\n\n" not in article.body


def test_seed_content_is_kept(seeds_dir: Path) -> None:
    first = extract(_seed(seeds_dir, "000_")).body
    assert "Why this matters: The cooperation between the US and Pakistan" in first
    assert "Key Takeaways" in first
    assert "• US has already trained over 300 Pakistani police" in first
    assert first.startswith("The US and Pakistan have pledged")
    second = extract(_seed(seeds_dir, "001_")).body
    assert second.startswith("Recently, the US and Pakistan have concluded")
    assert second.endswith("the Global Counterterrorism Forum.")
