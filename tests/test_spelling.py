"""Did-you-mean corrections over a vocabulary with document frequencies (searchkit.spelling)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from searchkit import extract
from searchkit.spelling import Speller, edit_distance, skeleton

REPO = Path(__file__).resolve().parent.parent

VOCABULARY = {
    "obama": 120,
    "oban": 2,
    "blair": 900,
    "blame": 150,
    "blare": 1,
    "election": 400,
    "elections": 150,
    "pakistan": 300,
    "tory": 40,
    "story": 500,
    "ore": 12,
    "are": 5000,
    "taliban": 80,
    "tony": 300,
}


def test_edit_distance_counts_insertions_deletions_substitutions_and_transpositions() -> None:
    assert edit_distance("obama", "obamma") == 1
    assert edit_distance("obama", "obma") == 1
    assert edit_distance("obama", "obamo") == 1
    assert edit_distance("obama", "oabma") == 1
    assert edit_distance("blair", "blare") == 2
    assert edit_distance("pakistan", "taliban") == 3  # past the limit of 2


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("obamma", "obama"),
        ("obma", "obama"),
        ("elction", "election"),
        ("pakistna", "pakistan"),
        ("talibn", "taliban"),
    ],
)
def test_an_absent_word_gets_its_nearest_common_spelling(typed: str, meant: str) -> None:
    assert Speller(VOCABULARY).correct(typed) == meant


def test_a_word_much_rarer_than_a_close_spelling_is_corrected_but_a_real_rare_word_is_not() -> None:
    speller = Speller(VOCABULARY)
    assert speller.correct("oban") == "obama" or speller.correct("oban") is None
    assert speller.correct("tory") is None  # 40 documents: a word in its own right
    assert speller.correct("ore") is None
    assert speller.correct("obama") is None


def test_a_sound_alike_spelling_two_edits_away_beats_a_rarer_one_edit_word() -> None:
    speller = Speller({k: v for k, v in VOCABULARY.items() if k != "blare"})
    assert skeleton("blare") == skeleton("blair") != skeleton("blame")
    assert speller.correct("blare") == "blair"
    assert speller.suggest(["tony", "blare"]) == ["tony", "blair"]


def test_nothing_to_suggest_for_known_short_or_unmatched_words() -> None:
    speller = Speller(VOCABULARY)
    assert speller.suggest(["obama", "election"]) is None
    assert speller.correct("ob") is None
    assert speller.correct("zzzzzzzz") is None
    assert speller.correct("2024") is None


def test_candidates_are_ordered_by_distance_then_frequency() -> None:
    found = Speller(VOCABULARY).candidates("elections")
    assert [word for word, _, _ in found] == ["election"]
    ranked = Speller({"cart": 5, "card": 50, "care": 20, "carts": 1}).candidates("carx")
    assert [word for word, _, _ in ranked][:3] == ["card", "care", "cart"]


def test_corrections_over_a_real_vocabulary_built_from_the_sample_corpus() -> None:
    df: Counter[str] = Counter()
    for path in sorted((REPO / "corpus").glob("*/*.*")):
        if path.suffix in {".html", ".txt"} and path.name != "README.md":
            article = extract(path)
            df.update(
                {w.lower() for w in re.findall(r"[A-Za-z]+", article.title + " " + article.body)}
            )
    speller = Speller(df)
    assert "pakistan" in df and "border" in df
    assert speller.correct("pakistn") == "pakistan"
    assert speller.correct("bordre") == "border"
    assert speller.suggest(["pakistan", "boder", "securty"]) == ["pakistan", "border", "security"]


def test_bbc_vocabulary_corrects_the_issue_examples(shared_dir: Path) -> None:
    bbc = shared_dir / "data" / "bbc"
    if not bbc.is_dir():
        pytest.skip("../shared/data/bbc is absent")
    df: Counter[str] = Counter()
    for path in bbc.glob("*/*.txt"):
        text = path.read_bytes().decode("latin-1").lower()
        df.update(set(re.findall(r"[a-z]+", text)))
    speller = Speller(df)
    assert speller.suggest(["tony", "blare"]) == ["tony", "blair"]
    assert speller.correct("elecion") == "election"


def test_without_the_deletion_map_every_lookup_finds_the_same_candidates() -> None:
    """``deletion_map=False`` probes insertions instead of a map: it must agree exactly."""
    import random

    words: Counter[str] = Counter()
    for path in sorted((REPO / "corpus").glob("*/*.*")):
        text = path.read_text(encoding="utf-8", errors="replace").lower()
        words.update(set(re.findall(r"[a-z]+", text)))
    mapped = Speller(words)
    probing = Speller(words, deletion_map=False)
    rnd = random.Random(9)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocabulary = sorted(w for w in words if len(w) >= 4)
    for word in rnd.sample(vocabulary, 300):
        i = rnd.randrange(len(word))
        typo = rnd.choice(
            (
                word[:i] + rnd.choice(letters) + word[i:],
                word[:i] + word[i + 1 :],
                word[:i] + rnd.choice(letters) + word[i + 1 :],
            )
        )
        assert probing.candidates(typo) == mapped.candidates(typo), typo
        assert probing.correct(typo) == mapped.correct(typo), typo
