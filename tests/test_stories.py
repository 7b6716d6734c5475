"""Story grouping (searchkit.stories): same event within a time window, incremental and stable."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from searchkit import Article, extract
from searchkit.stories import (
    MemoryCandidates,
    StoryGrouper,
    key_terms,
)

REPO = Path(__file__).resolve().parent.parent
UNRELATED_SAME_SUBJECT = "meridian-us-pakistan-border-training.html"
"""The corpus article closest to the seeds' event: the US and Pakistan again, on border
training in 2025, a different event from the 2024 counterterrorism dialogue."""


def _corpus() -> list[Article]:
    paths = sorted((REPO / "corpus" / "captures").glob("*.txt"))
    paths += sorted((REPO / "corpus" / "html").glob("*.html"))
    return [extract(path) for path in paths]


CORPUS = _corpus()
DAY = datetime(2024, 5, 17, 9, 0, tzinfo=timezone.utc)


def _add(grouper: StoryGrouper, article: Article, **changes: object) -> int:
    article = replace(article, **changes)  # type: ignore[arg-type]
    return grouper.add(article.id, article.title, article.body, article.published)


def _follow_up(article: Article, n: int) -> Article:
    """A later write-up of the same event: its second half, rewritten lead, new id."""
    paragraphs = article.body.split("\n\n")
    half = paragraphs[len(paragraphs) // 2 :]
    return replace(
        article,
        id=f"{article.id}-follow-up-{n}",
        title=f"Update {n}: {article.title}",
        body="\n\n".join(["Officials gave more details on Thursday.", *half]),
    )


@pytest.fixture(scope="module")
def seeds(seeds_dir: Path) -> list[Article]:
    return [extract(path) for path in sorted(seeds_dir.glob("*.txt"))]


def test_the_two_seed_captures_fall_in_one_story_and_no_corpus_article_joins_it(
    seeds: list[Article],
) -> None:
    grouper = StoryGrouper()
    corpus_stories = {a.id: _add(grouper, a) for a in CORPUS}
    first = _add(grouper, seeds[0])
    assert _add(grouper, seeds[1]) == first
    assert first not in corpus_stories.values()
    # and an unrelated article arriving after the story exists stays out of it too
    unrelated = next(a for a in CORPUS if a.path and a.path.endswith(UNRELATED_SAME_SUBJECT))
    assert _add(grouper, unrelated, id="late-copy-of-unrelated") != first


def test_seeds_and_an_unrelated_article_of_the_same_day_dated_alike(seeds: list[Article]) -> None:
    """Dated the same day, the window cannot keep the unrelated article out: the content must."""
    grouper = StoryGrouper()
    unrelated = next(a for a in CORPUS if a.path and a.path.endswith(UNRELATED_SAME_SUBJECT))
    other = _add(grouper, unrelated, published=DAY)
    first = _add(grouper, seeds[0], published=DAY)
    second = _add(grouper, seeds[1], published=DAY + timedelta(hours=5))
    assert first == second != other


def test_follow_ups_join_within_the_window_and_not_beyond_it() -> None:
    article = CORPUS[3]
    grouper = StoryGrouper()
    story = _add(grouper, article, published=DAY)
    assert _add(grouper, _follow_up(article, 1), published=DAY + timedelta(days=2)) == story
    assert _add(grouper, _follow_up(article, 2), published=DAY + timedelta(days=9)) != story


def test_the_window_is_a_setting() -> None:
    article = CORPUS[4]
    grouper = StoryGrouper(window_days=14)
    story = _add(grouper, article, published=DAY)
    assert _add(grouper, _follow_up(article, 1), published=DAY + timedelta(days=9)) == story


def test_undated_articles_join_on_content_alone() -> None:
    article = CORPUS[5]
    grouper = StoryGrouper()
    story = _add(grouper, article, published=DAY)
    assert _add(grouper, _follow_up(article, 1), published=None) == story
    others = {
        _add(grouper, a, published=None, id=a.id + "-undated") for a in CORPUS if a is not article
    }
    assert story not in others


def test_different_events_get_different_stories() -> None:
    grouper = StoryGrouper()
    stories = [_add(grouper, a, published=DAY) for a in CORPUS]
    # Two corpus pieces on IS-Khorasan finance and travel are related, not one event:
    # at most one such pair may share a story.
    assert len(set(stories)) >= len(CORPUS) - 1


def test_a_copy_joins_its_duplicate_group_story_whatever_its_text() -> None:
    grouper = StoryGrouper()
    story = grouper.add("original", CORPUS[0].title, CORPUS[0].body, DAY, duplicate_group=7)
    assert (
        grouper.add("copy", "Short teaser", "See the full report.", DAY, duplicate_group=7) == story
    )
    assert (
        grouper.add("unrelated", CORPUS[1].title, CORPUS[1].body, DAY, duplicate_group=8) != story
    )


def test_a_story_keeps_its_id_as_it_grows_and_after_its_first_article_goes() -> None:
    article = CORPUS[6]
    grouper = StoryGrouper()
    story = _add(grouper, article, published=DAY)
    for n in range(1, 4):
        follow = _follow_up(article, n)
        assert _add(grouper, follow, published=DAY + timedelta(hours=n)) == story
    assert grouper.remove(article.id) == story
    assert grouper.story_of(f"{article.id}-follow-up-1") == story
    assert _add(grouper, _follow_up(article, 9), published=DAY + timedelta(hours=9)) == story
    assert grouper.story_size(story) == 4


def test_the_state_survives_json_with_the_memory_source(tmp_path: Path) -> None:
    grouper = StoryGrouper()
    assigned = {a.id: _add(grouper, a, published=DAY) for a in CORPUS}
    path = tmp_path / "stories.json"
    path.write_text(
        json.dumps({"grouper": grouper.to_state(), "source": grouper.source.to_state()}),  # type: ignore[attr-defined]
        encoding="utf-8",
    )
    saved = json.loads(path.read_text(encoding="utf-8"))
    restored = StoryGrouper.from_state(
        saved["grouper"], MemoryCandidates.from_state(saved["source"])
    )
    assert {key: restored.story_of(key) for key in assigned} == assigned
    follow = _follow_up(CORPUS[7], 1)
    assert _add(restored, follow, published=DAY) == assigned[CORPUS[7].id]
    assert (
        _add(restored, CORPUS[0], id="new-event", body="Completely different text " * 20)
        not in assigned.values()
    )


class RecordingSource(MemoryCandidates):
    """A candidate source that records the grouper's questions (as an index would see them)."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[tuple[dict[str, float], datetime | None, datetime | None, int]] = []

    def candidates(
        self,
        terms: dict[str, float],
        start: datetime | None,
        end: datetime | None,
        limit: int,  # type: ignore[override]
    ) -> list[str]:
        self.asked.append((dict(terms), start, end, limit))
        return super().candidates(terms, start, end, limit)


def test_the_grouper_asks_its_source_for_key_terms_within_the_window() -> None:
    source = RecordingSource()
    grouper = StoryGrouper(source)
    _add(grouper, CORPUS[8], published=DAY)
    _add(grouper, CORPUS[9], published=None)
    (terms, start, end, limit), (_, undated_start, undated_end, _) = source.asked
    assert start == DAY - timedelta(days=3) and end == DAY + timedelta(days=3)
    assert undated_start is None and undated_end is None
    assert 0 < len(terms) <= 12 and limit > 0
    assert all(term.startswith(("w:", "e:")) for term in terms)


def test_key_terms_find_names_but_not_in_capitalised_headlines() -> None:
    terms = key_terms(
        "Ebbers denies fraud",
        "Former WorldCom chief Bernie Ebbers told the court in New York on Monday"
        " that he knew nothing.",
    )
    assert "e:bernie ebbers" in terms and "e:new york" in terms and "e:worldcom" in terms
    assert "e:monday" not in terms and "e:former" not in terms
    assert "w:fraud" in terms and terms["w:fraud"] > terms["w:court"]  # the title counts double
    assert not [t for t in key_terms("CHRYSLER TO BUY AMC", "") if t.startswith("e:")]
    assert not [t for t in key_terms("US And Pakistan Vow Cooperation", "") if t.startswith("e:")]


def test_a_story_of_many_near_copies_stays_one_story() -> None:
    article = CORPUS[10]
    grouper = StoryGrouper()
    story = _add(grouper, article, published=DAY)
    for n in range(2000):
        follow = replace(_follow_up(article, n), published=DAY + timedelta(minutes=n))
        assert grouper.add(follow.id, follow.title, follow.body, follow.published) == story
    assert grouper.story_size(story) == 2001
