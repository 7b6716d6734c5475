"""Publication dates our rules cannot see are found by htmldate; its day wins a disagreement."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from searchkit.ingest import extract_html
from searchkit.ingest.page_date import choose_date

BODY = " ".join(["The council approved the new harbour budget after a long debate."] * 6)


def test_a_date_written_only_in_the_page_text_is_found() -> None:
    page = (
        "<html><head><title>Council approves harbour budget</title></head><body>"
        f"<div class='story'><p>{BODY}</p><p>{BODY}</p></div>"
        "<div class='info'>Article from 12 March 2019, updated later</div></body></html>"
    )
    article = extract_html(page, url="http://www.harbour-daily.example/council-budget")
    assert article.published is not None
    assert article.published.date().isoformat() == "2019-03-12"


def test_choose_date_keeps_the_declared_time_when_the_day_agrees() -> None:
    declared = datetime(2019, 3, 12, 17, 45, tzinfo=timezone(timedelta(hours=1)))
    found = datetime(2019, 3, 12, tzinfo=timezone.utc)
    assert choose_date(declared, found) == declared


def test_choose_date_takes_the_found_day_when_they_disagree() -> None:
    declared = datetime(2018, 1, 1, 9, 0, tzinfo=timezone.utc)
    found = datetime(2019, 3, 12, tzinfo=timezone.utc)
    assert choose_date(declared, found) == found
    assert choose_date(declared, None) == declared
    assert choose_date(None, found) == found


def test_choose_date_keeps_a_declared_date_the_url_confirms() -> None:
    declared = datetime(2019, 11, 18, 12, 0, tzinfo=timezone.utc)
    found = datetime(2019, 10, 13, tzinfo=timezone.utc)
    url_date = datetime(2019, 11, 18, tzinfo=timezone.utc)
    assert choose_date(declared, found, url_date) == declared


@pytest.mark.parametrize(
    ("declared", "kept"),
    [
        (datetime(2019, 11, 19, 10, 36, tzinfo=timezone.utc), True),
        (datetime(2019, 11, 19, 18, 11, tzinfo=timezone(timedelta(hours=2))), True),
        (datetime(2019, 11, 19, tzinfo=timezone.utc), True),
        (datetime(2019, 11, 19, 23, 1, tzinfo=timezone.utc), False),
        (datetime(2019, 11, 19, 2, 25, tzinfo=timezone.utc), False),
    ],
)
def test_one_day_apart_the_declared_day_wins_only_when_it_is_the_local_day(
    declared: datetime, kept: bool
) -> None:
    found = datetime(2019, 11, 20, tzinfo=timezone.utc)
    assert choose_date(declared, found) == (declared if kept else found)
