"""Tests for searchkit.ingest.text: cleaning plain-text page captures, on made-up and real ones."""

from __future__ import annotations

import itertools
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


def test_ui_labels_and_related_stories_block_are_dropped() -> None:
    text = (
        "Ferry Route Opens\n\nFerry Route Opens\n\nThe first boat sailed at dawn.\n\n"
        "Advertisement\n\nRead more\n\nPassengers cheered on the pier.\n\n"
        "Related stories\n\nMarina Closes For Storm\n\nMarina Closes For Storm\n\n"
        "Boat owners were told to move their vessels before...\n"
    )
    assert clean_capture(text).body == (
        "The first boat sailed at dawn.\n\nPassengers cheered on the pier."
    )


def test_empty_and_title_only_captures() -> None:
    assert clean_capture("").title == ""
    only_title = clean_capture("Just A Title\n\n")
    assert only_title.title == "Just A Title" and only_title.body == ""


def test_url_and_source_lines() -> None:
    capture = clean_capture("A Title\nSource: Harbour Daily\nURL: https://hd.example/a\n\nText.")
    assert capture.source == "Harbour Daily"
    assert capture.url == "https://hd.example/a"
    assert capture.body == "Text."


# The two real captures in ../shared/seeds, described by line number only (their text is
# research data and stays out of the repository). Line 1 is the headline; every other
# non-empty line is either article text, kept in order, or page chrome, dropped.
SEED_LINES = {
    "000_": {
        # 5-7: "Trim Correspondents" / "New Update" badges glued to a repeated headline;
        # 9: the headline again. 13 "Why this matters:" and 27 "Key Takeaways" with its
        # bullets 29-33 are article content.
        "kept": [3, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 30, 31, 32, 33],
        "dropped": [5, 6, 7, 9],
    },
    "001_": {
        # 17 "Share this page:"; 19 "Related content" and the teasers after it: each
        # title twice (21/23, 26/28, 31/33) and a snippet cut short with "…" (25, 30, 35).
        "kept": [3, 5, 7, 9, 11, 13, 15],
        "dropped": [17, 19, 21, 23, 25, 26, 28, 30, 31, 33, 35],
    },
}


def _seed(seeds_dir: Path, prefix: str) -> Path:
    matches = sorted(seeds_dir.glob(f"{prefix}*.txt"))
    if not matches:
        pytest.skip(f"seed {prefix}* is not in ../shared/seeds")
    return matches[0]


def _numbered_lines(path: Path) -> dict[int, str]:
    lines = path.read_text(encoding="utf-8").split("\n")
    return {n: " ".join(line.split()) for n, line in enumerate(lines, start=1) if line.strip()}


@pytest.mark.parametrize("prefix", sorted(SEED_LINES))
def test_seed_lines_are_all_accounted_for(seeds_dir: Path, prefix: str) -> None:
    numbers = set(_numbered_lines(_seed(seeds_dir, prefix)))
    expected = SEED_LINES[prefix]
    assert numbers == {1, *expected["kept"], *expected["dropped"]}


@pytest.mark.parametrize("prefix", sorted(SEED_LINES))
def test_seed_title_is_its_first_line(seeds_dir: Path, prefix: str) -> None:
    path = _seed(seeds_dir, prefix)
    assert extract(path).title == _numbered_lines(path)[1]


@pytest.mark.parametrize("prefix", sorted(SEED_LINES))
def test_seed_body_is_exactly_the_kept_lines_in_order(seeds_dir: Path, prefix: str) -> None:
    path = _seed(seeds_dir, prefix)
    lines = _numbered_lines(path)
    body_lines = [" ".join(line.split()) for line in extract(path).body.split("\n") if line]
    assert body_lines == [lines[n] for n in SEED_LINES[prefix]["kept"]]


@pytest.mark.parametrize("prefix", sorted(SEED_LINES))
def test_seed_dropped_lines_are_nowhere_in_the_body(seeds_dir: Path, prefix: str) -> None:
    path = _seed(seeds_dir, prefix)
    lines = _numbered_lines(path)
    body = " ".join(extract(path).body.split())
    kept_text = " ".join(lines[n] for n in SEED_LINES[prefix]["kept"])
    for number in SEED_LINES[prefix]["dropped"]:
        if lines[number] not in kept_text:  # a repeated headline may also open a kept line
            assert lines[number] not in body, f"line {number} of {path.name} was kept"


@pytest.mark.parametrize("prefix", sorted(SEED_LINES))
def test_seed_paragraphs_follow_the_capture_blocks(seeds_dir: Path, prefix: str) -> None:
    path = _seed(seeds_dir, prefix)
    kept = SEED_LINES[prefix]["kept"]
    paragraphs = extract(path).body.split("\n\n")
    # Lines in one block (no blank line between them: the bullet list) form one paragraph.
    runs = 1 + sum(1 for a, b in itertools.pairwise(kept) if b != a + 1)
    assert len(paragraphs) == runs
    assert "\n\n\n" not in extract(path).body
