"""Duplicate groups and stories in a real index: collapsing, copies, stories, more like this.

Groups are assigned at commit (searchkit.grouping) and stored in each document;
these tests build real indexes on disk and go through the Searcher and the CLI.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from query_output import json_hits, json_summary

from searchkit import (
    Article,
    DocumentNotFoundError,
    Indexer,
    Searcher,
    StoryNotFoundError,
    extract,
)
from searchkit.engine.storage import GROUPS_TAG_FILE

REPO = Path(__file__).resolve().parent.parent
DAY = datetime(2024, 5, 17, 9, 0, tzinfo=timezone.utc)

WIRE = (
    "Volcano erupts on the island of Stromboli, sending lava down its northern slope "
    "and forcing the evacuation of two villages near the crater. Ferries stood by in the "
    "harbour while scientists measured the ash column above the summit."
)
FOLLOW_UP = (
    "Ash from the Stromboli volcano closed airports in Sicily on Saturday as the "
    "eruption went on for a second day; scientists said the lava flow had slowed and "
    "evacuated villagers could return home by Monday."
)
OTHER = (
    "The city council approved a new budget for school buildings, with money for "
    "roofs, heating and playgrounds, after a long debate about rising costs."
)


def _article(doc_id: str, body: str, source: str, published: datetime | None = DAY) -> Article:
    return Article(doc_id, f"Report {doc_id}", body, source=source, published=published)


@pytest.fixture()
def wire_index(tmp_path: Path) -> Path:
    """One wire text in three outlets, a follow-up of the same event, an unrelated story."""
    index = tmp_path / "index"
    with Indexer(index) as indexer:
        indexer.add(_article("wire-ap", WIRE, "Alpha Wire"))
        indexer.add(_article("wire-bbc", WIRE, "Beta News"))
        indexer.add(_article("wire-cnn", "BREAKING. " + WIRE + " More to follow.", "Gamma Post"))
        indexer.add(_article("follow-up", FOLLOW_UP, "Delta Times", DAY + timedelta(days=1)))
        indexer.add(_article("council", OTHER, "Local"))
    return index


def test_copies_collapse_into_one_result_listing_the_others(wire_index: Path) -> None:
    with Searcher(wire_index) as searcher:
        collapsed = searcher.search("stromboli lava")
        every = searcher.search("stromboli lava", collapse=False)
    assert collapsed.total == every.total == 4  # total counts documents either way
    assert collapsed.groups == 2 and every.groups is None
    assert len(collapsed.hits) == 2 and len(every.hits) == 4
    wire = next(hit for hit in collapsed if hit.id.startswith("wire-"))
    assert wire.id == next(h.id for h in every if h.id.startswith("wire-"))  # the best copy
    assert sorted([wire.id, *wire.copies]) == ["wire-ap", "wire-bbc", "wire-cnn"]
    outlets = {"wire-ap": "Alpha Wire", "wire-bbc": "Beta News", "wire-cnn": "Gamma Post"}
    assert list(wire.copy_sources) == [outlets[c] for c in wire.copies]
    for hit in every:  # each copy still names the others
        if hit.id.startswith("wire-"):
            assert sorted([hit.id, *hit.copies]) == ["wire-ap", "wire-bbc", "wire-cnn"]
        else:
            assert hit.copies == ()


def test_copies_outside_the_filter_are_not_listed(wire_index: Path) -> None:
    with Searcher(wire_index) as searcher:
        results = searcher.search("stromboli lava", source="Beta News")
    assert [(hit.id, hit.copies) for hit in results] == [("wire-bbc", ())]


def test_a_new_copy_joins_its_group_and_the_group_outlives_its_first_member(
    wire_index: Path,
) -> None:
    with Indexer(wire_index) as indexer:
        indexer.delete("wire-ap")
        indexer.add(_article("wire-late", WIRE, "Late"))
    with Searcher(wire_index) as searcher:
        hit = next(h for h in searcher.search("stromboli lava") if h.id.startswith("wire-"))
        group = {hit.id, *hit.copies}
    assert group == {"wire-bbc", "wire-cnn", "wire-late"}


def test_an_empty_body_gets_no_group_and_no_story(tmp_path: Path) -> None:
    index = tmp_path / "index"
    with Indexer(index) as indexer:
        indexer.add(_article("empty-1", "", "Alpha Wire"))
        indexer.add(_article("empty-2", "", "Beta News"))
        indexer.add(_article("short", "Stromboli lava.", "Gamma Post"))
    with Searcher(index) as searcher:
        hits = searcher.search("report", collapse=True, limit=10).hits
        assert len(hits) == 3
        assert all(hit.copies == () and hit.story_id is None for hit in hits)
        assert len(searcher.search("report", by_story=True).hits) == 3


def test_feedback_counts_a_duplicate_group_once(tmp_path: Path) -> None:
    """Five copies at the top of the first pass must not be the whole relevance model."""
    index = tmp_path / "index"
    fillers = [
        f"Filler story {n} about {word} markets, trade figures and weather in the region."
        for n, word in enumerate(["grain", "coffee", "steel", "cotton", "timber", "copper"] * 3)
    ]
    copy = "Geyser geyser geyser erupted near the zebra reserve, the zebra herds fled the steam."
    others = [
        "The geyser field drew tourists; airports added flights for the geyser season.",
        "Airports near the geyser valley expected record flights this summer.",
        "Geyser experts met at the airports conference to plan flights for visitors.",
    ]
    with Indexer(index) as indexer:
        for n in range(5):
            indexer.add(Article(f"copy-{n}", "Geyser", copy, source=f"Outlet {n}"))
        for n, text in enumerate(others):
            indexer.add(Article(f"other-{n}", "Geyser news", text))
        for n, text in enumerate(fillers):
            indexer.add(Article(f"filler-{n}", "Markets", text))
    with Searcher(index) as searcher:
        expanded = searcher.search("geyser", collapse=False).expanded_query
    assert "feedback(" in expanded
    feedback = expanded.split("feedback(", 1)[1]
    assert "airport" in feedback or "flight" in feedback, expanded


@pytest.fixture(scope="module")
def seeds(seeds_dir: Path) -> list[Article]:
    return [extract(path) for path in sorted(seeds_dir.glob("*.txt"))]


def _corpus() -> list[Article]:
    paths = sorted((REPO / "corpus" / "captures").glob("*.txt"))
    paths += sorted((REPO / "corpus" / "html").glob("*.html"))
    return [extract(path) for path in paths]


def test_the_seed_captures_share_a_story_no_corpus_article_joins(
    tmp_path: Path, seeds: list[Article]
) -> None:
    index = tmp_path / "index"
    corpus = _corpus()
    unrelated = next(
        a for a in corpus if a.path and a.path.endswith("us-pakistan-border-training.html")
    )
    with Indexer(index) as indexer:
        for article in corpus:
            indexer.add(article)
    with Indexer(index) as indexer:  # the seeds arrive in a later run
        for article in seeds:
            indexer.add(article)
        # the unrelated article, dated the seeds' day: the window cannot keep it out
        indexer.add(replace(unrelated, id="unrelated-same-day", published=seeds[0].published))
    with Searcher(index) as searcher:
        story_ids = {
            hit.id: hit.story_id
            for hit in searcher.search("pakistan OR the OR a", limit=100, collapse=False)
        }
        seed_story = {story_ids[s.id] for s in seeds}
        assert len(seed_story) == 1 and None not in seed_story
        (number,) = seed_story
        members = [article.id for article in searcher.story(number).articles]
    assert sorted(members) == sorted(s.id for s in seeds)
    assert story_ids["unrelated-same-day"] != number


@pytest.fixture()
def story_index(tmp_path: Path) -> Path:
    index = tmp_path / "index"
    with Indexer(index) as indexer:
        indexer.add(_article("later", FOLLOW_UP, "Delta Times", DAY + timedelta(days=1)))
        indexer.add(_article("first", WIRE, "Alpha Wire", DAY))
        indexer.add(_article("copy", WIRE, "Beta News", DAY + timedelta(hours=2)))
        indexer.add(_article("undated", "Unrelated. " + OTHER, "Local", None))
    return index


def test_a_story_lists_its_articles_in_time_order(story_index: Path) -> None:
    with Searcher(story_index) as searcher:
        hit = searcher.search("stromboli").hits[0]
        story = searcher.story(hit.story_id or 0)
        same = searcher.story(str(hit.story_id))
    assert story == same
    assert [a.id for a in story.articles] == ["first", "copy", "later"]
    assert story.outlets == ("Alpha Wire", "Beta News", "Delta Times")
    assert story.first == DAY and story.last == DAY + timedelta(days=1)


def test_by_story_gives_one_result_per_story_with_a_summary(story_index: Path) -> None:
    with Searcher(story_index) as searcher:
        results = searcher.search("stromboli OR council", by_story=True)
    assert results.total == 4 and results.groups == 2
    wire = next(hit for hit in results if hit.story and hit.story.articles)
    assert wire.story is not None
    assert wire.story.articles == 2
    assert set(wire.story.outlets) == {"Alpha Wire", "Beta News", "Delta Times"}
    assert (wire.story.first, wire.story.last) == (DAY, DAY + timedelta(days=1))


def test_unknown_story_raises_naming_it(story_index: Path) -> None:
    with Searcher(story_index) as searcher:
        for wrong in (999, "nope", 0, -1):
            with pytest.raises(
                StoryNotFoundError, match=repr(str(wrong)) if isinstance(wrong, str) else str(wrong)
            ):
                searcher.story(wrong)


def test_similar_finds_the_same_subject_without_the_articles_own_copies(
    story_index: Path,
) -> None:
    with Searcher(story_index) as searcher:
        similar = [hit.id for hit in searcher.similar("first", limit=5)]
        assert similar[0] == "later"  # the follow-up, not the article's own copy
        assert "copy" not in similar and "first" not in similar
        with pytest.raises(DocumentNotFoundError, match="no-such-id"):
            searcher.similar("no-such-id")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "searchkit", *args], capture_output=True, text=True, timeout=120
    )


def test_cli_story_similar_and_query_options(story_index: Path) -> None:
    index = str(story_index)
    query = _cli("query", "stromboli", "--index", index)
    assert query.returncode == 0, query.stderr
    assert "+1 copy: " in query.stdout
    every = _cli("query", "stromboli", "--index", index, "--all-copies", "--json")
    records = json_hits(every.stdout)
    assert json_summary(every.stdout)["groups"] is None
    assert sorted(r["id"] for r in records) == ["copy", "first", "later"]
    assert {r["id"]: r["copies"] for r in records}["first"] == ["copy"]
    by_story = _cli("query", "stromboli", "--index", index, "--by-story")
    lines = by_story.stdout.splitlines()
    assert len(lines) == 2, by_story.stdout  # the summary, then one story
    assert "+2 articles from 3 outlets | 2024-05-17 to 2024-05-18" in lines[1]
    story_id = str(records[0]["story_id"])
    story = _cli("story", story_id, "--index", index)
    assert story.returncode == 0, story.stderr
    assert [line.split(" | ")[1] for line in story.stdout.splitlines()[1:]] == [
        "Alpha Wire",
        "Beta News",
        "Delta Times",
    ]
    similar = _cli("similar", "first", "--index", index, "--json")
    assert next(json.loads(line)["id"] for line in similar.stdout.splitlines()) == "later"
    for command in (["story", "4242"], ["similar", "missing-id"]):
        failed = _cli(*command, "--index", index)
        assert failed.returncode == 1
        assert command[1] in failed.stderr and "Traceback" not in failed.stderr


def test_state_and_recovery_agree_and_a_stale_state_is_recovered(story_index: Path) -> None:
    """A kill between the commit and the state file leaves a state for an older commit:
    the next writer must recover from the documents and place new articles the same way."""
    recovered = story_index.parent / "recovered"
    shutil.copytree(story_index, recovered)
    (recovered / GROUPS_TAG_FILE).write_text("0 0\n", "ascii")  # valid for another commit
    for index in (story_index, recovered):
        with Indexer(index) as indexer:
            assert indexer.grouping_mismatches() == []
            indexer.add(_article("copy-2", WIRE, "Epsilon Daily", DAY + timedelta(hours=5)))
            indexer.add(_article("other-2", OTHER, "Local 2", DAY))
    placed = []
    for index in (story_index, recovered):
        with Searcher(index) as searcher:
            hits = searcher.search("stromboli OR council", collapse=False, limit=20).hits
            placed.append(sorted((h.id, tuple(sorted(h.copies)), h.story_id) for h in hits))
        with Indexer(index) as indexer:
            assert indexer.grouping_mismatches() == []
    assert placed[0] == placed[1]


@pytest.mark.slow
def test_a_story_of_ten_thousand_copies_stays_cheap_to_show(tmp_path: Path) -> None:
    """10,000 copies: one duplicate group, one story; collapsing, story and similar all work.

    (Timing lives in benchmarks/README.md; here the behaviour is checked.)
    """
    index = tmp_path / "index"
    count = 10_000
    with Indexer(index) as indexer:
        indexer.add_many(
            _article(f"c{n:05d}", WIRE, f"Outlet {n % 50}", DAY + timedelta(seconds=n))
            for n in range(count)
        )
        indexer.add(_article("follow-up", FOLLOW_UP, "Delta Times", DAY + timedelta(days=1)))
    with Searcher(index) as searcher:
        results = searcher.search("stromboli")
        assert results.total == count + 1 and results.groups == 2
        wire = next(hit for hit in results if hit.id.startswith("c"))
        assert len(wire.copies) == count - 1
        story = searcher.story(wire.story_id or 0)
        # (the follow-up stays out: in this index its shared words are in every document)
        assert len(story.articles) == count
        assert [a.id for a in story.articles[:2]] == ["c00000", "c00001"]
        assert next(hit.id for hit in searcher.similar("c00000")) == "follow-up"
    listed = _cli("story", str(wire.story_id), "--index", str(index))
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == count + 1
