"""Near-duplicate signatures and the incremental duplicate grouper (searchkit.duplicates)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from searchkit import extract
from searchkit.duplicates import (
    NUM_PERM,
    DuplicateGrouper,
    signature,
    similarity,
)

REPO = Path(__file__).resolve().parent.parent


def _bodies() -> list[str]:
    """The cleaned bodies of the repository's own sample pages (original text, not shared data)."""
    paths = sorted((REPO / "corpus" / "captures").glob("*.txt")) + sorted(
        (REPO / "corpus" / "html").glob("*.html")
    )
    return [extract(path).body for path in paths]


BODIES = _bodies()


def _syndicated(body: str, seed: int) -> str:
    """A wire copy as another outlet prints it: header, footer, one word in 50 changed."""
    rng = random.Random(seed)
    words = body.split(" ")
    for _ in range(len(words) // 50):
        words[rng.randrange(len(words))] = "amended"
    return (
        "Harbour Daily | World news\n\n" + " ".join(words) + "\n\nShare this story. Harbour Daily."
    )


def test_a_signature_is_bytes_of_fixed_length_and_identical_text_is_similarity_one() -> None:
    sig = signature(BODIES[0])
    assert isinstance(sig, bytes) and len(sig) == 4 * NUM_PERM
    assert similarity(sig, signature(BODIES[0]) or b"") == 1.0


def test_copies_score_high_and_different_articles_low() -> None:
    for i, body in enumerate(BODIES):
        copy = signature(_syndicated(body, i))
        assert copy is not None
        assert similarity(signature(body) or b"", copy) >= 0.6
    sigs = [signature(body) or b"" for body in BODIES]
    for i in range(len(sigs)):
        for j in range(i + 1, len(sigs)):
            assert similarity(sigs[i], sigs[j]) < 0.2


@pytest.mark.parametrize(
    "body", ["", "   \n\n ", "Breaking news.", "one two three four five six seven"]
)
def test_an_empty_or_too_short_body_gets_no_signature_and_joins_nothing(body: str) -> None:
    assert signature(body) is None
    grouper = DuplicateGrouper()
    grouper.add("first", signature(BODIES[0]))
    assert grouper.add("short", signature(body)) is None
    assert grouper.group_of("short") is None


def test_the_signature_is_the_same_in_another_process() -> None:
    """Signatures are stored in the index, so they must not depend on the process (hash seeds)."""
    code = (
        "import sys; from searchkit.duplicates import signature; "
        "sys.stdout.write(signature(sys.stdin.read()).hex())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        input=BODIES[1],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
    )
    assert bytes.fromhex(out.stdout) == signature(BODIES[1])


def test_copies_join_the_first_copy_group_and_other_articles_get_their_own() -> None:
    grouper = DuplicateGrouper()
    originals = [grouper.add(f"a{i}", signature(body)) for i, body in enumerate(BODIES)]
    assert len(set(originals)) == len(BODIES)
    for i, body in enumerate(BODIES):
        assert grouper.add(f"copy{i}", signature(_syndicated(body, 100 + i))) == originals[i]


def test_removing_the_first_member_keeps_the_group_for_the_others_and_new_copies() -> None:
    grouper = DuplicateGrouper()
    group = grouper.add("first", signature(BODIES[2]))
    assert grouper.add("second", signature(_syndicated(BODIES[2], 1))) == group
    assert grouper.remove("first") == group
    assert grouper.group_of("second") == group
    assert grouper.add("third", signature(_syndicated(BODIES[2], 2))) == group
    assert grouper.group_size(group) == 2


def test_an_edited_article_that_is_no_longer_a_copy_leaves_the_group() -> None:
    grouper = DuplicateGrouper()
    group = grouper.add("a", signature(BODIES[3]))
    grouper.add("b", signature(BODIES[3]))
    assert grouper.add("b", signature(BODIES[4])) != group
    assert grouper.group_size(group) == 1


def test_the_state_survives_json_and_the_grouper_carries_on(tmp_path: Path) -> None:
    grouper = DuplicateGrouper()
    groups = {f"a{i}": grouper.add(f"a{i}", signature(body)) for i, body in enumerate(BODIES)}
    path = tmp_path / "duplicates.json"
    path.write_text(json.dumps(grouper.to_state()), encoding="utf-8")
    restored = DuplicateGrouper.from_state(json.loads(path.read_text(encoding="utf-8")))
    assert {key: restored.group_of(key) for key in groups} == groups
    assert restored.add("copy", signature(_syndicated(BODIES[5], 9))) == groups["a5"]
    fresh = restored.add("new", signature(BODIES[0] + " " + BODIES[1][::-1]))
    assert fresh not in groups.values()


def test_ten_thousand_copies_form_one_group_and_each_compares_a_bounded_number() -> None:
    grouper = DuplicateGrouper()
    base = BODIES[6]
    rng = random.Random(7)
    words = base.split(" ")
    group = grouper.add("copy0", signature(base))
    for n in range(1, 10_000):
        edited = list(words)
        edited[rng.randrange(len(edited))] = f"w{n}"
        assert grouper.add(f"copy{n}", signature(" ".join(edited))) == group
    assert grouper.group_size(group) == 10_000
    grouper.remove("copy0")
    assert grouper.group_of("copy9999") == group


def test_a_wrong_length_signature_is_refused() -> None:
    with pytest.raises(ValueError, match="bytes"):
        similarity(b"abc", b"abc")
