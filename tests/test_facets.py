"""Facet counts and date histograms, checked against brute-force counts over the documents.

A real index on disk, in three commits (so several segments), with deletions
and a replacement: BBC News texts from ../shared when present (with outlets,
authors and dates assigned by a seeded draw, since the corpus has none), else
generated texts. 100 seeded queries with random filters compare
``facet_counts`` and ``histogram`` with counts made here from the articles
themselves: the analyzer's terms of each live article, the filter applied in
Python, buckets computed with ``datetime`` arithmetic.
"""

from __future__ import annotations

import random
import subprocess
import sys
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from query_output import json_hits, json_summary

import searchkit
from searchkit.engine.analysis import NewsAnalyzer, normalize_word

OUTLETS = ("North Post", "South Star", "East Wire", "West Gazette")
AUTHORS = ("Ann Lee", "Bo Chen", "Cy Diaz", "Di Evans", "Ed Fox")
FILLER = [
    "harbour",
    "ferry",
    "bridge",
    "tunnel",
    "canal",
    "pier",
    "dock",
    "lock",
    "council",
    "budget",
    "school",
    "rail",
    "storm",
    "flood",
    "court",
    "vote",
    "market",
    "bank",
    "price",
    "strike",
    "film",
    "album",
    "match",
    "league",
]
SHARED_BBC = Path(__file__).resolve().parents[2] / "shared" / "data" / "bbc"


def _texts() -> list[tuple[str, str, str]]:
    """(id, title, body) of the corpus: 700 BBC stories, or 700 generated ones."""
    if SHARED_BBC.is_dir():
        texts = []
        for path in sorted(SHARED_BBC.glob("*/*.txt"))[::3][:700]:
            raw = path.read_bytes().decode("utf-8", "replace").strip()
            title, _, body = raw.partition("\n")
            texts.append((f"bbc-{path.parent.name}-{path.stem}", title.strip(), body.strip()))
        return texts
    rnd = random.Random(3)
    return [
        (
            f"gen-{n}",
            " ".join(rnd.sample(FILLER, 3)),
            " ".join(rnd.choice(FILLER) for _ in range(rnd.randint(5, 40))),
        )
        for n in range(700)
    ]


def _articles() -> list[searchkit.Article]:
    rnd = random.Random(14)
    start = datetime(2019, 11, 20, tzinfo=timezone.utc)
    articles = []
    for doc_id, title, body in _texts():
        dated = rnd.random() < 0.85
        articles.append(
            searchkit.Article(
                id=doc_id,
                title=title,
                body=body,
                source=rnd.choice(OUTLETS) if rnd.random() < 0.95 else None,
                author=rnd.choice(AUTHORS) if rnd.random() < 0.7 else None,
                # Some just before midnight UTC: a bucket is a UTC day.
                published=start + timedelta(days=rnd.randint(0, 900), hours=rnd.choice((1, 23)))
                if dated
                else None,
            )
        )
    return articles


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[searchkit.Article]]:
    folder = tmp_path_factory.mktemp("facets") / "index"
    articles = _articles()
    third = len(articles) // 3
    with searchkit.Indexer(folder) as indexer:
        for article in articles[:third]:
            indexer.add(article)
    with searchkit.Indexer(folder) as indexer:
        for article in articles[third : 2 * third]:
            indexer.add(article)
    deleted = {a.id for a in articles[::17]}
    replaced = articles[5]
    with searchkit.Indexer(folder) as indexer:
        for article in articles[2 * third :]:
            indexer.add(article)
        for doc_id in deleted:
            indexer.delete(doc_id)
        # A replacement moves to another outlet, author and year.
        replaced = searchkit.Article(
            id=replaced.id,
            title=replaced.title,
            body=replaced.body,
            source="Late Courier",
            author="Zed Young",
            published=datetime(2023, 6, 1, 12, tzinfo=timezone.utc),
        )
        indexer.add(replaced)
    live = [a for a in articles if a.id not in deleted and a.id != replaced.id] + [replaced]
    return folder, live


def _bucket(day: date, interval: str) -> date:
    if interval == "day":
        return day
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return date(day.year, 1, 1)


def _queries(articles: list[searchkit.Article]) -> list[tuple[str, list[str], str]]:
    """(query text, the words' stems, "or"/"and") drawn from the articles' own words."""
    rnd = random.Random(100)
    words = sorted(
        {w for a in articles for w in f"{a.title} {a.body}".lower().split() if w.isalpha()}
        - {"and", "or", "not", "to"}
    )
    queries = []
    while len(queries) < 100:
        chosen = rnd.sample(words, rnd.choice((1, 2, 2, 3)))
        stems = [normalize_word(w) for w in chosen]
        if any(len(s) < 3 for s in stems):
            continue
        mode = "and" if len(chosen) > 1 and rnd.random() < 0.3 else "or"
        text = " AND ".join(chosen) if mode == "and" else " ".join(chosen)
        queries.append((text, stems, mode))
    return queries


def test_facets_and_histograms_equal_brute_force_counts_over_100_filtered_queries(
    corpus: tuple[Path, list[searchkit.Article]],
) -> None:
    folder, articles = corpus
    analyzer = NewsAnalyzer()
    terms = {
        a.id: {t for t, *_ in analyzer.terms(f"{a.title}\n{a.body}", aliases=False)}
        for a in articles
    }
    rnd = random.Random(5)
    checked_nonempty = 0
    with searchkit.Searcher(folder) as searcher:
        for text, stems, mode in _queries(articles):
            outlet = rnd.choice((None, None, *OUTLETS))
            since = rnd.choice((None, None, "2020-03", "2021"))
            until = rnd.choice((None, None, "2021-06-15", "2022"))
            interval = rnd.choice(("day", "week", "month", "year"))
            results = searcher.search(
                text,
                source=outlet,
                since=since,
                until=until,
                facet=("source", "author"),
                histogram=interval,
                limit=5,
                spelling=False,
            )
            low = date(*map(int, (since + "-01-01")[:10].split("-"))) if since else None
            matched = []
            for article in articles:
                have = terms[article.id]
                hit = (
                    all(s in have for s in stems)
                    if mode == "and"
                    else any(s in have for s in stems)
                )
                if not hit or (outlet and article.source != outlet):
                    continue
                if since or until:
                    if article.published is None:
                        continue
                    day = article.published.date()
                    if low and day < low:
                        continue
                    if until == "2022" and day > date(2022, 12, 31):
                        continue
                    if until == "2021-06-15" and day > date(2021, 6, 15):
                        continue
                matched.append(article)
            context = f"{text!r} source={outlet} since={since} until={until} by {interval}"
            assert results.total == len(matched), context
            sources = Counter(a.source for a in matched if a.source)
            authors = Counter(a.author for a in matched if a.author)
            assert dict(results.facet_counts["source"]) == dict(sources), context
            assert dict(results.facet_counts["author"]) == dict(authors), context
            assert dict(results.facets) == dict(sources), context
            expected = Counter(
                _bucket(a.published.date(), interval) for a in matched if a.published
            )
            timeline = results.histogram
            assert timeline is not None and timeline.interval == interval
            assert {b.start: b.count for b in timeline.buckets} == dict(expected), context
            assert [b.start for b in timeline.buckets] == sorted(expected), context
            assert timeline.undated == sum(1 for a in matched if a.published is None), context
            checked_nonempty += bool(matched)
    assert checked_nonempty >= 50  # most queries, filtered as they are, match something


def test_facets_count_every_match_not_only_the_page(
    corpus: tuple[Path, list[searchkit.Article]],
) -> None:
    folder, _articles = corpus
    word = FILLER[0] if not SHARED_BBC.is_dir() else "government"
    with searchkit.Searcher(folder) as searcher:
        first = searcher.search(word, facet="author", histogram="year", limit=1)
        later = searcher.search(word, facet="author", histogram="year", limit=3, page=2)
    assert first.total > 3
    assert sum(first.facet_counts["author"].values()) <= first.total
    assert first.facet_counts == later.facet_counts
    assert first.histogram == later.histogram
    total_dated = sum(b.count for b in first.histogram.buckets) if first.histogram else 0
    assert first.histogram is not None and total_dated + first.histogram.undated == first.total


def test_bad_facet_and_histogram_values_are_query_errors(
    corpus: tuple[Path, list[searchkit.Article]],
) -> None:
    folder, _articles = corpus
    with searchkit.Searcher(folder) as searcher:
        with pytest.raises(searchkit.QueryError, match="histogram must be one of"):
            searcher.search("rail", histogram="decade")
        with pytest.raises(searchkit.QueryError, match="facet must be one of"):
            searcher.search("rail", facet="title")
        legacy = searcher.search("rail", facets=True)
    assert dict(legacy.facets) == dict(legacy.facet_counts["source"])


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "searchkit", *args], capture_output=True, text=True, timeout=120
    )


def test_the_cli_prints_facets_and_bars_and_a_json_summary_equal_to_the_api(
    corpus: tuple[Path, list[searchkit.Article]],
) -> None:
    folder, _articles = corpus
    word = FILLER[0] if not SHARED_BBC.is_dir() else "government"
    options = ["--facet", "source", "--facet", "author", "--histogram", "month"]
    as_json = _cli("query", word, "--index", str(folder), "--limit", "3", "--json", *options)
    assert as_json.returncode == 0, as_json.stderr
    hits, summary = json_hits(as_json.stdout), json_summary(as_json.stdout)
    assert len(hits) == 3
    with searchkit.Searcher(folder) as searcher:
        results = searcher.search(word, facet=("source", "author"), histogram="month")
    assert summary["total"] == results.total
    assert summary["facets"] == {k: dict(v) for k, v in results.facet_counts.items()}
    assert results.histogram is not None
    assert summary["histogram"] == results.histogram.to_dict()
    assert summary["histogram"]["buckets"][0]["label"] == results.histogram.label(
        results.histogram.buckets[0].start
    )
    text = _cli("query", word, "--index", str(folder), "--limit", "1", *options)
    assert text.returncode == 0, text.stderr
    assert "by outlet:" in text.stdout and "by author:" in text.stdout
    assert "matches by month:" in text.stdout
    first = results.histogram.buckets[0]
    row = f"  {results.histogram.label(first.start)}  "
    assert any(line.startswith(row) and "#" in line for line in text.stdout.splitlines())
    assert f"undated: {results.histogram.undated:,}" in text.stdout


@pytest.mark.parametrize(
    ("option", "value"), [("--histogram", "decade"), ("--histogram", ""), ("--facet", "title")]
)
def test_a_bad_facet_or_histogram_value_is_a_usage_error(
    corpus: tuple[Path, list[searchkit.Article]], option: str, value: str
) -> None:
    folder, _articles = corpus
    result = _cli("query", "rail", "--index", str(folder), option, value)
    assert result.returncode == 2
    assert option in result.stderr
    assert result.stdout == ""
