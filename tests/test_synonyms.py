from __future__ import annotations

from pathlib import Path

import pytest

from searchkit.errors import SynonymError
from searchkit.synonyms import (
    builtin_groups,
    fingerprint,
    load_synonyms,
    merge_groups,
    parse_synonyms,
    resolve_groups,
)


def test_builtin_groups_cover_the_issue_aliases() -> None:
    groups = {g.label: {v.text for v in g.variants} for g in builtin_groups()}
    assert {"Daesh", "ISIS-K", "IS-Khorasan", "Islamic State Khorasan Province", "ISKP"} <= groups[
        "ISKP"
    ]
    assert {
        "TTP",
        "Tehreek-e-Taliban Pakistan",
        "Tehrik-i-Taliban Pakistan",
        "Pakistani Taliban",
    } <= groups["TTP"]


def test_variant_keeps_words_and_separator_kinds() -> None:
    (group,) = parse_synonyms("ISIS-K, Islamic State Khorasan, Jama'atu Sunna")
    isis_k, long_form, apostrophe = group.variants
    assert isis_k.words == ("isis", "k") and isis_k.separators == ("-",)
    assert long_form.separators == (" ", " ")
    assert apostrophe.words == ("jama", "atu", "sunna") and apostrophe.separators == ("'", " ")


def test_comments_and_blank_lines_are_ignored() -> None:
    groups = parse_synonyms("# heading\n\nfoo, bar  # trailing comment\n")
    assert [[v.text for v in g.variants] for g in groups] == [["foo", "bar"]]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("lonely", "at least two"),
        ("a, , b", "empty name"),
        ("foo => bar", "one-way"),
        ("foo, ---", "no letters"),
        ("Foo, foo", "at least two"),
    ],
)
def test_malformed_line_is_reported_with_its_number(line: str, reason: str) -> None:
    with pytest.raises(SynonymError) as caught:
        parse_synonyms(f"good, fine\n# comment\n{line}\n", "mine.txt")
    assert caught.value.line == 3
    assert reason in str(caught.value)
    assert "mine.txt, line 3" in str(caught.value)


def test_unreadable_file_is_a_synonym_error(tmp_path: Path) -> None:
    with pytest.raises(SynonymError, match="cannot read"):
        load_synonyms(tmp_path / "missing.txt")


def test_user_group_sharing_a_variant_extends_the_builtin_group(tmp_path: Path) -> None:
    extra = tmp_path / "extra.txt"
    extra.write_text("Daesh, Wilayat Khorasan\n", encoding="utf-8")
    groups = resolve_groups(extra)
    (iskp,) = [g for g in groups if g.label == "ISKP"]
    assert "Wilayat Khorasan" in {v.text for v in iskp.variants}
    assert len(groups) == len(builtin_groups())


def test_merge_keeps_disjoint_groups_apart() -> None:
    merged = merge_groups(parse_synonyms("a1, a2\nb1, b2\na2, a3"))
    assert [[v.text for v in g.variants] for g in merged] == [["a1", "a2", "a3"], ["b1", "b2"]]


def test_fingerprint_changes_with_the_groups() -> None:
    assert fingerprint(parse_synonyms("a1, a2")) != fingerprint(parse_synonyms("a1, a3"))
    assert fingerprint(parse_synonyms("a1, a2")) == fingerprint(parse_synonyms("a1,a2"))
