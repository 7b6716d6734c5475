"""The array scorer: same matches and scores as Whoosh's matchers, exact after deletions,
and a missing or damaged arrays file is index damage."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from test_reliability_support import (
    check_arrays_match_segments,
    run_cli,
    source_texts,
)

from searchkit import Article, IndexCorruptError, Indexer, Searcher
from searchkit.engine.scorer import Scorer
from searchkit.query import parse_query

QUERY_SHAPES = (
    "{a} {b}",
    "{a} {b} {c}",
    "{a} OR {b}",
    "{a} AND {b}",
    "{a} NOT {b}",
    "+{a} {b}",
    "{a} -{b}",
    '"{a} {b}"',
    "{a}* {b}",
    "title:{a} {b}",
    "({a} OR {b}) AND {c}",
    "{a} ANDMAYBE {b}",
    "{a}^3 {b}",
)


@pytest.fixture(scope="module")
def news_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """An index of 600 real BBC stories (or generated text without ../shared), and its words."""
    directory = tmp_path_factory.mktemp("scorer") / "index"
    texts = source_texts(600, seed=3)
    words: list[str] = []
    with Indexer(directory) as indexer:
        for number, (_name, data) in enumerate(texts):
            title, _, body = data.decode("utf-8", "replace").partition("\n")
            indexer.add(Article(f"s{number}", title.strip(), body.strip(), source=f"o{number % 3}"))
            words.extend(w.lower() for w in body.split() if w.isalpha() and len(w) > 3)
    return directory, words


def _whoosh_and_arrays(searcher: Searcher, text: str, limit: int = 15) -> tuple[list, list]:
    """The same prepared query ranked by Whoosh's matchers and by the array scorer."""
    engine = searcher._engine
    whoosh_searcher, collection = engine._searcher()
    parsed = parse_query(text, engine.parser(True), searcher._rewriters[True])
    scorer = Scorer(collection, engine._ranker.settings)
    scored = engine._ranker.prepare(parsed.query, parsed.text, scorer, None, feedback=False)
    # Whoosh's matchers iterated exhaustively (its top-k search prunes, and its
    # pruning of unions is known to drop documents that belong in the top).
    every = []
    for leaf, offset in whoosh_searcher.leaf_searchers():
        matcher = scored.query.matcher(leaf, leaf.context())
        while matcher.is_active():
            every.append((offset + matcher.id(), matcher.score()))
            matcher.next()
    by_whoosh = sorted(every, key=lambda pair: (-pair[1], pair[0]))[:limit]
    by_arrays = scorer.top(scored.query, None, limit)
    total = len(list(whoosh_searcher.docs_for_query(parsed.query)))
    ids, _scores = scorer.flatten(scorer.evaluate(scored.base), None)
    return [by_whoosh, total], [by_arrays, len(ids)]


def test_the_array_scorer_ranks_and_counts_as_whoosh_does(news_index) -> None:
    """Every query shape (words, operators, phrases, wildcards, fields, boosts) over real
    text: the same documents in the same order with the same scores, and the same total."""
    directory, words = news_index
    rng = random.Random(11)
    checked = 0
    with Searcher(directory) as searcher:
        for shape in QUERY_SHAPES:
            for _ in range(8):
                a, b, c = rng.sample(words, 3)
                text = shape.format(a=a, b=b, c=c)
                (whoosh_top, whoosh_total), (array_top, array_total) = _whoosh_and_arrays(
                    searcher, text
                )
                assert [d for d, _ in array_top] == [d for d, _ in whoosh_top], text
                for (_, expected), (_, got) in zip(whoosh_top, array_top, strict=True):
                    assert got == pytest.approx(expected, rel=1e-9), text
                if "NOT" not in shape and "-" not in shape:
                    # Whoosh's AndNot matcher can let an excluded document through
                    # (seen on Reuters); its total there is not an oracle.
                    assert array_total == whoosh_total, text
                checked += 1
    assert checked == len(QUERY_SHAPES) * 8


def test_scores_after_deletions_equal_an_index_of_the_survivors(tmp_path: Path) -> None:
    """Statistics come from live documents: deleting documents gives exactly the scores of
    an index that never held them (Whoosh's own counts keep deleted documents until a merge)."""
    texts = [data.decode("utf-8", "replace") for _name, data in source_texts(60, seed=5)]
    articles = [
        Article(f"d{i}", t.partition("\n")[0], t.partition("\n")[2]) for i, t in enumerate(texts)
    ]
    with Indexer(tmp_path / "all") as indexer:
        for article in articles:
            indexer.add(article)
    with Indexer(tmp_path / "all") as indexer:
        for article in articles[::2]:
            indexer.delete(article.id)
    with Indexer(tmp_path / "survivors") as indexer:
        for article in articles[1::2]:
            indexer.add(article)
    words = texts[1].split()[3:6]
    with Searcher(tmp_path / "all") as after, Searcher(tmp_path / "survivors") as fresh:
        for query in (" ".join(words), words[0], f"{words[0]} OR {words[1]}"):
            got = [(h.id, h.score) for h in after.search(query, limit=20).hits]
            expected = [(h.id, h.score) for h in fresh.search(query, limit=20).hits]
            assert got == expected, query
            assert got


def _small_index(directory: Path) -> Path:
    with Indexer(directory) as indexer:
        indexer.add(Article("a", "Border talks", "Border security talks resumed on Monday."))
        indexer.add(Article("b", "Harbour works", "The harbour channel was dredged again."))
    return directory


@pytest.mark.parametrize("damage", ["missing", "cut short", "garbled header", "foreign"])
def test_a_missing_or_damaged_arrays_file_is_damage(tmp_path: Path, damage: str) -> None:
    index = _small_index(tmp_path / "index")
    (arrays,) = index.glob("*.skarrays")
    data = arrays.read_bytes()
    if damage == "missing":
        arrays.unlink()
    elif damage == "cut short":
        arrays.write_bytes(data[: len(data) // 2])
    elif damage == "garbled header":
        arrays.write_bytes(data[:20] + bytes([data[20] ^ 0x20]) + data[21:])
    else:
        # A well-formed arrays file of another index: its document count disagrees.
        with Indexer(tmp_path / "other") as indexer:
            for n in range(5):
                indexer.add(Article(f"x{n}", "Ferry", "ferry " * (n + 1)))
        (other,) = (tmp_path / "other").glob("*.skarrays")
        arrays.write_bytes(other.read_bytes())
    with Searcher(index) as searcher, pytest.raises(IndexCorruptError) as raised:
        searcher.search("border")
    assert "searchkit index --rebuild" in str(raised.value)
    result = run_cli(["query", "border", "--index", index])
    assert result.returncode == 1
    assert "damaged" in result.stderr and "--rebuild" in result.stderr
    assert "Traceback" not in result.stderr


def test_rebuild_repairs_a_missing_arrays_file(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "one.txt").write_text("Border talks\n\nBorder security talks resumed.\n")
    index = tmp_path / "index"
    assert run_cli(["index", corpus, "--index", index]).returncode == 0
    for arrays in index.glob("*.skarrays"):
        arrays.unlink()
    assert run_cli(["query", "border", "--index", index]).returncode == 1
    assert run_cli(["index", "--rebuild", corpus, "--index", index]).returncode == 0
    found = run_cli(["query", "border", "--index", index])
    assert found.returncode == 0 and "Border talks" in found.stdout
    check_arrays_match_segments(index)


@pytest.mark.parametrize("way", ["one process", "worker processes", "merged", "with deletions"])
def test_every_way_of_making_a_segment_writes_matching_arrays(tmp_path: Path, way: str) -> None:
    index = tmp_path / "index"
    texts = [data.decode("utf-8", "replace") for _name, data in source_texts(120, seed=9)]
    articles = [
        Article(f"d{i}", t.partition("\n")[0], t.partition("\n")[2]) for i, t in enumerate(texts)
    ]
    if way == "worker processes":
        with Indexer(index) as indexer:
            indexer.add_many(articles)
    else:
        for start in range(0, len(articles), 20 if way != "one process" else len(articles)):
            with Indexer(index) as indexer:
                for article in articles[start : start + 20 if way != "one process" else None]:
                    indexer.add(article)
        if way == "with deletions":
            with Indexer(index) as indexer:
                for article in articles[::3]:
                    indexer.delete(article.id)
    check_arrays_match_segments(index)
    with Searcher(index) as searcher:
        assert searcher.search(texts[1].split()[2]).total > 0


def test_cli_query_on_a_real_subprocess_uses_the_arrays(tmp_path: Path) -> None:
    """Removing the arrays makes the CLI say damaged: the query path really reads them."""
    index = _small_index(tmp_path / "index")
    ok = run_cli(["query", "harbour", "--index", index])
    assert ok.returncode == 0 and "Harbour works" in ok.stdout
    for arrays in index.glob("*.skarrays"):
        arrays.unlink()
    broken = run_cli(["query", "harbour", "--index", index])
    assert broken.returncode == 1, broken.stdout
