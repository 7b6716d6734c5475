"""Authors without junk: photo credits, pronouns, date words, desks and the outlet's own name."""

from __future__ import annotations

import pytest

from searchkit.ingest.authors import clean_author


@pytest.mark.parametrize(
    ("byline", "outlet", "expected"),
    [
        ("OUR", None, None),
        ("Staff Photo By Kathy Anderson", None, None),
        ("STAFF PHOTO BY KATHY ANDERSON", None, None),
        ("| By Melissa Jenkins", None, "Melissa Jenkins"),
        ("\u2022 By Melissa Jenkins", None, "Melissa Jenkins"),
        ("By Jane Doe and by John Roe", None, "Jane Doe, John Roe"),
        ("Friday", None, None),
        ("Wire Services", None, None),
        ("The Sports Network", None, None),
        ("PA Sport/Sportal", None, None),
        ("CBSNews", "CBS News", None),
        ("Mirjam Swanson The Press-enterprise", "The Press-Enterprise", "Mirjam Swanson"),
        ("Marc Kaufman WASHINGTON POST", "The Washington Post", "Marc Kaufman"),
        ("JEFFREY McMURRAY", None, "Jeffrey McMurray"),
        ("Name  *", None, None),
    ],
)
def test_junk_is_not_an_author(byline: str, outlet: str | None, expected: str | None) -> None:
    assert clean_author(byline, outlet=outlet) == expected
