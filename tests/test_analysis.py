from __future__ import annotations

import pickle

from searchkit.engine.analysis import STOPWORDS, NewsAnalyzer, normalize_word
from searchkit.synonyms import resolve_groups

ANALYZER = NewsAnalyzer(resolve_groups())


def index_terms(text: str) -> list[tuple[str, int]]:
    return [(term, pos) for term, pos, _, _ in ANALYZER.terms(text)]


def query_terms(text: str) -> list[str]:
    return [term for term, _, _, _ in ANALYZER.terms(text, replace_spans=True)]


def test_us_is_not_a_stopword() -> None:
    assert "us" not in STOPWORDS
    assert [t for t, _ in index_terms("US troops")] == ["us", "troop"]


def test_stemming_and_accent_folding() -> None:
    assert normalize_word("Running") == "run"
    assert normalize_word("Café") == "cafe"


def test_hyphenated_alias_gets_group_token_at_its_last_kept_word() -> None:
    assert index_terms("ISIS-K fighters") == [("isi", 0), ("=iskp", 0), ("fighter", 1)]


def test_alias_of_only_dropped_fragments_takes_its_own_position() -> None:
    assert index_terms("talks with IS-K today") == [("talk", 0), ("=iskp", 1), ("today", 2)]


def test_multiword_alias_spans_the_whole_variant() -> None:
    stream = ANALYZER("Tehreek-e-Taliban Pakistan said", chars=True, positions=True)
    assert [(t.text, t.pos) for t in stream][-2:] == [("=ttp", 2), ("said", 3)]


def test_alias_token_char_range_covers_the_variant() -> None:
    text = "a threat from Tehrik-i-Taliban Pakistan today"
    spans = [(s, e) for term, _, s, e in ANALYZER.terms(text) if term == "=ttp"]
    assert [text[s:e] for s, e in spans] == ["Tehrik-i-Taliban Pakistan"]


def test_query_side_replaces_the_span_with_the_group_token() -> None:
    assert query_terms("Pakistani Taliban attacks") == ["=ttp", "attack"]
    assert query_terms("Daesh") == ["=iskp"]


def test_decoys_do_not_produce_group_tokens() -> None:
    decoys = [
        "Khorasan is a historic region",
        "ISIS and the Khorasan road",
        "this is K-pop",
        "the Afghan Taliban in Kabul",
        "is k",
    ]
    for text in decoys:
        assert not [t for t in query_terms(text) if t.startswith("=")], text
        assert not [t for t, _ in index_terms(text) if t.startswith("=")], text


def test_separator_kind_must_match_the_variant() -> None:
    # "IS-K" is hyphenated in the alias list; words separated by a space are not it.
    assert "=iskp" not in query_terms("the answer is K")
    assert "=iskp" in query_terms("IS\u2013K")  # an en dash counts as a hyphen


def test_no_query_aliases_keeps_plain_words() -> None:
    plain = NewsAnalyzer(resolve_groups(), query_aliases=False)
    assert [t.text for t in plain("Pakistani Taliban", mode="query")] == ["pakistani", "taliban"]


def test_analyzer_survives_pickling() -> None:
    clone = pickle.loads(pickle.dumps(ANALYZER))
    assert clone == ANALYZER
    assert [t.text for t in clone("Daesh", mode="query")] == ["=iskp"]


def test_dotted_acronyms_become_one_term() -> None:
    # Alone each letter is too short to index, so "U.N." used to vanish from queries.
    assert query_terms("U.N. talks") == ["un", "talk"]
    assert query_terms("u.s . aid") == ["us", "aid"]
    assert [t for t, _ in index_terms("The U.S.A. team")] == ["usa", "team"]


def test_acronym_char_range_covers_every_letter() -> None:
    ((term, _, start, end),) = list(ANALYZER.terms("U.N."))
    assert (term, "U.N."[start:end]) == ("un", "U.N")


def test_lone_letters_still_vanish() -> None:
    assert query_terms("vitamin D and U. N. Owen") == ["vitamin", "owen"]


def test_function_words_are_stopwords_but_news_names_are_not() -> None:
    assert query_terms("over some of the territories") == ["territori"]
    assert {"who", "us", "it", "may", "will", "don"}.isdisjoint(STOPWORDS)


def test_spans_finds_exactly_what_full_analysis_finds() -> None:
    """The fast snippet path and the full analyzer agree, acronyms and alias groups included."""
    import random

    from searchkit.engine.analysis import NewsAnalyzer
    from searchkit.synonyms import parse_synonyms

    with_letters = NewsAnalyzer(
        parse_synonyms("Islamic State, ISIS, Daesh\nUnited Nations, U.N.\n")
    )
    without_letters = NewsAnalyzer(parse_synonyms("Islamic State, ISIS, Daesh, ISIS-K\n"))
    rng = random.Random(4)
    vocabulary = [
        "Border",
        "security",
        "borders",
        "U.S.",
        "U.N.",
        "ISIS",
        "Islamic",
        "State",
        "us",
        "café",
        "Cafe",
        "running",
        "runs",
        "the",
        "a",
        "5",
        "2024",
        "e.g.",
        "x.y",
        "Daesh",
    ]
    for number in range(600):
        analyzer = with_letters if number % 2 else without_letters
        text = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 25)))
        every = {term for term, _p, _s, _e in analyzer.terms(text)}
        wanted = (
            set(rng.sample(sorted(every), min(len(every), rng.randint(1, 3)))) if every else set()
        )
        expected = [(s, e, t) for t, _p, s, e in analyzer.terms(text) if t in wanted]
        assert analyzer.spans(text, wanted) == expected, (text, wanted)


def test_spans_agree_with_full_analysis_on_real_text() -> None:
    """Over real stories (BBC when ../shared is there), for words drawn from each text."""
    import random
    from pathlib import Path

    from test_reliability_support import source_texts

    from searchkit.engine.analysis import NewsAnalyzer
    from searchkit.synonyms import load_synonyms

    default = Path(__file__).resolve().parents[1] / "searchkit" / "data" / "synonyms.txt"
    analyzer = NewsAnalyzer(load_synonyms(default))
    rng = random.Random(8)
    for _name, data in source_texts(80, seed=2):
        text = data.decode("utf-8", "replace")
        every = sorted({term for term, _p, _s, _e in analyzer.terms(text)})
        for _ in range(5):
            wanted = set(rng.sample(every, min(len(every), rng.randint(1, 6))))
            expected = [(s, e, t) for t, _p, s, e in analyzer.terms(text) if t in wanted]
            assert analyzer.spans(text, wanted) == expected
