"""Alias search end to end through the library: real files in, ranked hits out.

Runs on the product's own corpus/ (every variant of a group finds every
article that uses any variant, and never the decoys) and on the two real
seed captures in ../shared/seeds.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import searchkit
from searchkit.synonyms import builtin_groups

MANIFEST = Path(__file__).parent / "data" / "corpus_manifest.json"
GROUPS = {group.label: [v.text for v in group.variants] for group in builtin_groups()}


@pytest.fixture(scope="module")
def corpus_index(tmp_path_factory: pytest.TempPathFactory, repo_root: Path) -> Path:
    index = tmp_path_factory.mktemp("corpus-index")
    report = searchkit.build_index([repo_root / "corpus"], index)
    assert report.failed == 0, report.failures
    return index


def titles_using(group_label: str) -> set[str]:
    variants = set(GROUPS[group_label])
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return {entry["title"] for entry in manifest if variants & set(entry["aliases"])}


@pytest.mark.parametrize(
    ("group", "query"),
    [
        ("ISKP", "Daesh"),
        ("ISKP", "ISIS-K"),
        ("ISKP", "IS-Khorasan"),
        ("ISKP", "Islamic State Khorasan Province"),
        ("ISKP", "ISKP"),
        ("TTP", "TTP"),
        ("TTP", "Tehreek-e-Taliban Pakistan"),
        ("TTP", "Tehrik-i-Taliban Pakistan"),
        ("TTP", "Pakistani Taliban"),
        ("TTP", "pakistani taliban"),
    ],
)
def test_any_variant_finds_exactly_the_group_articles(
    corpus_index: Path, group: str, query: str
) -> None:
    expected = titles_using(group)
    assert len(expected) >= 2
    with searchkit.Searcher(corpus_index) as searcher:
        found = {hit.title for hit in searcher.search(query, limit=50)}
    assert found == expected


def test_no_synonyms_finds_only_the_literal_variant(corpus_index: Path) -> None:
    with searchkit.Searcher(corpus_index) as searcher:
        with_aliases = searcher.search("Daesh", limit=50).total
        literal = searcher.search("Daesh", limit=50, use_synonyms=False).total
    assert 0 < literal < with_aliases


def test_decoy_region_page_is_not_an_iskp_hit(corpus_index: Path) -> None:
    with searchkit.Searcher(corpus_index) as searcher:
        region = {hit.id for hit in searcher.search("Khorasan", limit=50)}
        group = {hit.id for hit in searcher.search("ISIS-K", limit=50)}
    decoys = {doc_id for doc_id in region if doc_id.startswith("northgate-khorasan")}
    assert decoys, "the decoy page mentions Khorasan as a region"
    assert not decoys & group


@pytest.fixture(scope="module")
def seeds_index(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path) -> Path:
    corpus = tmp_path_factory.mktemp("seeds")
    for seed in seeds_dir.glob("*.txt"):
        shutil.copy(seed, corpus / seed.name)
    index = tmp_path_factory.mktemp("seeds-index")
    report = searchkit.build_index([corpus], index)
    assert (report.added, report.failed) == (2, 0)
    return index


def test_daesh_finds_both_seeds(seeds_index: Path, seeds_dir: Path) -> None:
    # Only one seed says "Daesh"; the other names the group as ISIS-K.
    with searchkit.Searcher(seeds_index) as searcher:
        found = {Path(hit.path).name for hit in searcher.search("Daesh") if hit.path}
    assert found == {seed.name for seed in seeds_dir.glob("*.txt")}


@pytest.mark.parametrize("teaser_only_word", ["Indonesia", "North Waziristan"])
def test_words_only_in_related_teasers_find_no_seed(
    seeds_index: Path, teaser_only_word: str
) -> None:
    with searchkit.Searcher(seeds_index) as searcher:
        assert searcher.search(f'"{teaser_only_word}"').total == 0


def test_incremental_rerun_on_seeds_changes_nothing(seeds_index: Path, seeds_dir: Path) -> None:
    with searchkit.Searcher(seeds_index) as searcher:
        hit = searcher.search("Daesh").hits[0]
        assert hit.path is not None
        report = searchkit.build_index([Path(hit.path).parent], seeds_index)
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 0, 0, 2)
