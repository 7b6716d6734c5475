"""Many alias groups: merging is transitive and linear, and queries look variants up by word.

A user's synonyms file can hold tens of thousands of groups (a gazetteer, a
list of company names). Merging them and answering queries must not scan
every group for every group or every query; the hang guards below run the
work in a child process and fail if it does not end in tens of seconds
(a quadratic merge of 50,000 groups took over twenty minutes).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import searchkit
from searchkit.query import AliasRewriter
from searchkit.synonyms import AliasGroup, merge_groups, parse_synonyms

HANG_GUARD_SECONDS = 90


def texts(groups: tuple[AliasGroup, ...]) -> list[list[str]]:
    return [[v.text for v in g.variants] for g in groups]


def test_merge_joins_groups_through_a_later_bridge() -> None:
    # "b1, a2" shares a variant with both earlier groups: all three name one thing.
    merged = merge_groups(parse_synonyms("a1, a2\nb1, b2\nc1, c2\nb1, a2"))
    assert texts(merged) == [["a1", "a2", "b1", "b2"], ["c1", "c2"]]
    tokens = [group.token for group in merged]
    assert len(set(tokens)) == len(tokens)


def test_merge_keeps_the_earliest_label_and_first_appearance_order() -> None:
    merged = merge_groups(parse_synonyms("x1, x2\ny1, y2\ny2, x2, z1\nz1, w1"))
    assert [g.label for g in merged] == ["x1"]
    assert texts(merged) == [["x1", "x2", "y1", "y2", "z1", "w1"]]


def test_each_variant_ends_up_in_exactly_one_group() -> None:
    lines = [f"v{n}, v{n + 1}" for n in range(0, 40, 3)] + ["v1, v39", "v13, v30"]
    merged = merge_groups(parse_synonyms("\n".join(lines)))
    seen = [text for group in texts(merged) for text in group]
    assert len(seen) == len(set(seen))


SCALE_CHILD = """
import sys
from searchkit.query import AliasRewriter
from searchkit.synonyms import merge_groups, parse_synonyms

count = int(sys.argv[1])
lines = [f"Vorb{n} Talka, Vorb{n}-Q, Zq{n}x" for n in range(count)]
lines += [f"Zq{n}x, Pel{n}" for n in range(0, count, 10)]  # every tenth group extended
groups = merge_groups(parse_synonyms("\\n".join(lines)))
assert len(groups) == count, len(groups)
rewriter = AliasRewriter(groups, ())
for n in range(0, count, count // 50):
    query = f"news about vorb{n}  talka today"
    assert rewriter.rewrite(query) == f'news about "vorb{n}  talka" today', query
print("ok")
"""


def test_fifty_thousand_groups_merge_and_rewrite_queries_without_hanging() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCALE_CHILD, "50000"],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_SECONDS,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


INDEX_CHILD = """
import sys
from pathlib import Path
import searchkit

work = Path(sys.argv[1])
count = int(sys.argv[2])
lines = [f"Vorb{n} Talka, Vorb{n}-Q, Zq{n}x" for n in range(count)]
(work / "aliases.txt").write_text("\\n".join(lines), encoding="utf-8")
(work / "corpus").mkdir()
probes = range(0, count, count // 20)
for n in probes:
    (work / "corpus" / f"p{n}.txt").write_text(f"Probe {n}\\n\\nThe ferry Vorb{n}-Q docked.")
searchkit.build_index([work / "corpus"], work / "index", synonyms=work / "aliases.txt")
for _open in range(3):  # every `searchkit query` opens the index
    with searchkit.Searcher(work / "index") as searcher:
        for n in probes:
            titles = [hit.title for hit in searcher.search(f"zq{n}x")]
            assert titles == [f"Probe {n}"], (n, titles)
        assert searcher.stats().synonym_groups == count + 7  # and the built-in groups
print("ok")
"""


@pytest.mark.slow
def test_a_hundred_thousand_groups_index_and_answer_without_hanging(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", INDEX_CHILD, str(tmp_path), "100000"],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_SECONDS,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


# ---------------------------------------------------------------- the query rewriter


def reference_rewrite(groups_text: str, query_only_text: str, query: str) -> str:
    """The rewriter's contract written as one regex alternation (slow, but obviously right).

    A variant matches where its words appear, in any case, joined by its own
    kind of separator (one dash, one apostrophe, a run of whitespace), not glued
    to a hyphen or a word character; the longest variant wins; quoted text is
    left alone.
    """
    kinds = {"-": "[-\u2010\u2011\u2012\u2013\u2014]", " ": r"\s+", "'": "['\u2019\u02bc`]"}
    patterns: list[tuple[int, str, str | None]] = []
    for group in parse_synonyms(groups_text):
        for v in group.variants:
            if len(v.words) > 1:
                patterns.append((len(v.words), pattern_of(v.words, v.separators, kinds), None))
    for group in parse_synonyms(query_only_text):
        expansion = "(" + " OR ".join(f'"{v.text}"' for v in group.variants) + ")"
        for v in group.variants:
            patterns.append((len(v.words), pattern_of(v.words, v.separators, kinds), expansion))
    if not patterns:
        return query
    patterns.sort(key=lambda item: -item[0])
    regex = re.compile("|".join(f"({p})" for _, p, _ in patterns), re.IGNORECASE)

    def replace(match: re.Match[str]) -> str:
        expansion = patterns[(match.lastindex or 1) - 1][2]
        return expansion if expansion is not None else f'"{match.group(0)}"'

    pieces = query.split('"')
    for index in range(0, len(pieces), 2):
        pieces[index] = regex.sub(replace, pieces[index])
    return '"'.join(pieces)


def pattern_of(words: tuple[str, ...], separators: tuple[str, ...], kinds: dict[str, str]) -> str:
    parts = [re.escape(words[0])]
    for separator, word in zip(separators, words[1:], strict=True):
        parts += [kinds[separator], re.escape(word)]
    return r"(?<![\w\-])" + "".join(parts) + r"(?![\w\-])"


VOCABULARY = ["isis", "k", "state", "khorasan", "tehreek", "e", "taliban", "al", "qaeda"]
SEPARATORS = ["-", " ", "'"]


@st.composite
def variant_text(draw: st.DrawFn) -> str:
    words = draw(st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=3))
    text = words[0]
    for word in words[1:]:
        text += draw(st.sampled_from(SEPARATORS)) + word
    return text


@st.composite
def synonyms_text(draw: st.DrawFn) -> str:
    lines = []
    for _ in range(draw(st.integers(0, 4))):
        names = draw(st.lists(variant_text(), min_size=2, max_size=3, unique=True))
        lines.append(", ".join(names))
    text = "\n".join(lines)
    try:
        parse_synonyms(text)
    except searchkit.SearchkitError:  # e.g. two names that differ only in case
        return ""
    return text


QUERY_PIECES = [*VOCABULARY, *(w.upper() for w in VOCABULARY), "-", " ", "  ", "'", '"', "\u2013"]


@settings(max_examples=300, deadline=None)
@given(
    index_text=synonyms_text(),
    query_text=synonyms_text(),
    query=st.lists(st.sampled_from(QUERY_PIECES), max_size=12).map("".join),
)
def test_rewriter_matches_its_regex_specification(
    index_text: str, query_text: str, query: str
) -> None:
    index_groups = merge_groups(parse_synonyms(index_text))
    query_groups = parse_synonyms(query_text)
    rewriter = AliasRewriter(index_groups, query_groups)
    # The reference merges nothing, so give it the merged index groups as lines.
    merged_text = "\n".join(", ".join(v.text for v in g.variants) for g in index_groups)
    assert rewriter.rewrite(query) == reference_rewrite(merged_text, query_text, query)


def test_rewriter_examples() -> None:
    groups = parse_synonyms("ISIS-K, Islamic State Khorasan\nTTP, Tehreek-e-Taliban Pakistan")
    extra = parse_synonyms("Pak Taliban, TTP")
    rewriter = AliasRewriter(groups, extra)
    assert rewriter.rewrite("islamic   STATE khorasan attack") == (
        '"islamic   STATE khorasan" attack'
    )
    assert rewriter.rewrite("anti-ISIS-K") == "anti-ISIS-K"  # glued to a hyphen
    assert rewriter.rewrite("ISIS\u2013K") == '"ISIS\u2013K"'  # an en dash is a dash
    assert rewriter.rewrite('"islamic state khorasan"') == '"islamic state khorasan"'
    assert rewriter.rewrite("pak taliban") == '("Pak Taliban" OR "TTP")'


# ---------------------------------------------------------------- through the library


def test_explain_names_each_group_by_its_own_label(tmp_path: Path) -> None:
    # Two groups whose tokens share a prefix ("=harbour" and "=harbour_board").
    synonyms = tmp_path / "synonyms.txt"
    synonyms.write_text("harbour, port\nharbour board, port authority\n", encoding="utf-8")
    index = tmp_path / "index"
    with searchkit.Indexer(index, synonyms=synonyms) as indexer:
        indexer.add(searchkit.Article("a", "Harbour board meets", "The harbour board met."))
    with searchkit.Searcher(index) as searcher:
        results = searcher.search("port authority")
        assert [hit.id for hit in results] == ["a"]
        assert "<harbour board group>" in results.expanded_query
        assert "<harbour group>_board" not in results.expanded_query
