"""Unit tests for searchkit.ingest.rules: the tables are well-formed and say what they mean."""

from __future__ import annotations

import re

import pytest

from searchkit.ingest.furniture import attribute_rule
from searchkit.ingest.rules import (
    ATTRIBUTE_RULES,
    LINE_RULES,
    NOT_AUTHOR_RULES,
    ROLE_RULES,
    SECTION_END_RULES,
    STYLE_RULES,
    TAG_RULES,
    WRAPPER_PRONE_RULES,
    Rule,
    first_match,
)

TABLES = (
    TAG_RULES,
    ROLE_RULES,
    STYLE_RULES,
    ATTRIBUTE_RULES,
    WRAPPER_PRONE_RULES,
    LINE_RULES,
    SECTION_END_RULES,
    NOT_AUTHOR_RULES,
)


@pytest.mark.parametrize("table", TABLES)
def test_every_rule_has_a_one_line_reason(table: tuple[Rule, ...]) -> None:
    assert table, "a rule table is empty"
    for entry in table:
        assert entry.reason.strip() and "\n" not in entry.reason
        assert entry.pattern.flags & re.IGNORECASE


@pytest.mark.parametrize(
    "labels",
    [
        "share-bar",
        "post_social_links",
        "related-stories",
        "newsletter-signup",
        "cookie-banner",
        "ad-slot top",
        "comments",
        "breadcrumb",
        "site-footer",
        "sidebar",
    ],
)
def test_attribute_rules_catch_furniture(labels: str) -> None:
    assert attribute_rule(labels) is not None


@pytest.mark.parametrize("labels", ["header", "article-body", "story-text", "shadow", "headline"])
def test_attribute_rules_match_whole_tokens_only(labels: str) -> None:
    assert attribute_rule(labels) is None


@pytest.mark.parametrize(
    "line",
    [
        "Advertisement",
        "Share this page:",
        "New Update",
        "Read more",
        "3 min read",
        "Sign up for our daily newsletter",
        "© 2024 Harbour Daily",
    ],
)
def test_line_rules_catch_ui_labels(line: str) -> None:
    assert first_match(LINE_RULES, line) is not None


@pytest.mark.parametrize(
    "line",
    [
        "Why this matters: the cooperation is crucial.",
        "Key Takeaways",
        "The minister read more than forty statements into the record.",
    ],
)
def test_line_rules_spare_article_text(line: str) -> None:
    assert first_match(LINE_RULES, line) is None


@pytest.mark.parametrize(
    "line",
    [
        "Related content",
        "Related stories",
        "More from Harbour Daily",
        "You may also like",
        "Comments (12)",
    ],
)
def test_section_end_rules(line: str) -> None:
    assert first_match(SECTION_END_RULES, line) is not None


def test_first_match_respects_order() -> None:
    first = Rule(re.compile("a", re.I), "first")
    second = Rule(re.compile("a", re.I), "second")
    assert first_match((first, second), "a") is first


@pytest.mark.parametrize("labels", ["hidden-xs", "hidden-mobile", "field-label-hidden"])
def test_responsive_and_label_hidden_classes_are_shown_text(labels: str) -> None:
    assert attribute_rule(labels) is None


@pytest.mark.parametrize(
    ("labels", "table"),
    [
        ("has-sidebar", WRAPPER_PRONE_RULES),
        ("paywall", WRAPPER_PRONE_RULES),
        ("video-player", WRAPPER_PRONE_RULES),
        ("comments-area", ATTRIBUTE_RULES),
        ("related-posts", ATTRIBUTE_RULES),
    ],
)
def test_wrapper_prone_tokens_live_in_their_own_table(labels: str, table: tuple[Rule, ...]) -> None:
    assert attribute_rule(labels) in table


@pytest.mark.parametrize(
    "line",
    [
        "Image 2 of 5",
        "Reporting by Jane Doe; editing by John Roe",
        "Jane Doe contributed to this report.",
        "Follow Jane Doe on Twitter at @janedoe.",
    ],
)
def test_line_rules_catch_credits(line: str) -> None:
    assert first_match(LINE_RULES, line) is not None


@pytest.mark.parametrize(
    "name", ["Jerusalem Post Staff", "CNN Editor-at-large", "@handle", "3 min read"]
)
def test_not_author_rules(name: str) -> None:
    assert first_match(NOT_AUTHOR_RULES, name) is not None
