"""Folding whitespace in snippets: the fast path and the character walk give the same result.

``collapse`` translates a window in one call when no two whitespace characters
are adjacent and walks it character by character otherwise; both must equal a
plain regex fold, with highlight spans moved along.
"""

from __future__ import annotations

import random
import re
import sys

from searchkit.snippets import WHITESPACE, collapse


def test_whitespace_table_is_exactly_what_isspace_accepts() -> None:
    every = {chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace()}
    assert set(WHITESPACE) == every


def test_collapse_fast_and_slow_paths_agree_with_a_plain_fold() -> None:
    rnd = random.Random(3)
    pieces = ["ab", "c", " ", "  ", "\n", "\t", "\u00a0", "\r\n", "x y"]
    for _ in range(2000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 30)))
        start = rnd.randint(0, len(text))
        end = rnd.randint(start, len(text))
        folded, moved = collapse(text, start, end, [(start, end)])
        assert folded == re.sub(r"\s+", " ", text[start:end])
        assert moved == [(0, len(folded))]
