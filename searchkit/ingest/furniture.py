"""Which elements of a page are furniture (navigation, share bars, ads, comments), by rule.

Elements are marked, never removed: ``blocks.collect_blocks`` records on each
text block the marked ancestors and the rule that marked them, and
``container.py`` decides whether a mark counts (a wrapper whose class says
"has-sidebar" but that holds the headline does not). An element is marked
when ``rules.py`` says so by tag name, ARIA role, class/id token or inline
style, or when it is hidden from readers.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bs4 import Tag

from searchkit.ingest.rules import (
    ATTRIBUTE_RULES,
    HIDDEN_RULE,
    ROLE_RULES,
    STYLE_RULES,
    TAG_RULES,
    WRAPPER_PRONE_RULES,
    Rule,
    first_match,
)

_ARTICLE_BODY = re.compile(r"articlebody", re.IGNORECASE)
_NEVER_MARKED = frozenset({"html", "body", "main", "article"})
_INLINE = frozenset(
    {"a", "abbr", "b", "cite", "em", "i", "mark", "q", "small", "strong", "sub", "sup", "u"}
)
_LABEL_CACHE_SIZE = 4096
_CAMEL_CASE = re.compile(r"(?<=[a-z])(?=[A-Z])")
_ANY_ATTRIBUTE_RULE = re.compile(
    "|".join(f"(?:{rule.pattern.pattern})" for rule in (*ATTRIBUTE_RULES, *WRAPPER_PRONE_RULES)),
    re.IGNORECASE,
)
"""All class/id rules in one pattern: most class names match none, and one search says so."""


def furniture_rule(element: Tag) -> Rule | None:
    """The rule that marks ``element`` as page furniture, or None when it may hold the article.

    ``<html>``, ``<body>``, ``<main>`` and ``<article>`` are never marked by
    their class or id, and neither is an ``[itemprop=articleBody]`` element:
    publishers put page-type classes ("video", "has-comments") on them. Nor
    are links and inline formatting: a link classed "related-entity" inside
    a sentence is part of the sentence.
    """
    name = str(element.name)
    by_tag = _tag_rule(name)
    attributes = element.attrs
    if not attributes:
        return by_tag
    if "hidden" in attributes or attributes.get("aria-hidden") == "true":
        return HIDDEN_RULE
    style = attributes.get("style")
    if isinstance(style, str):
        by_style = first_match(STYLE_RULES, style)
        if by_style is not None:
            return by_style
    if by_tag is not None:
        return by_tag
    role = attributes.get("role")
    if isinstance(role, str) and role.strip():
        by_role = first_match(ROLE_RULES, role.strip())
        if by_role is not None:
            return by_role
    if name in _NEVER_MARKED or name in _INLINE:
        return None
    itemprop = attributes.get("itemprop")
    if isinstance(itemprop, str) and _ARTICLE_BODY.search(itemprop):
        return None
    raw = _raw_labels(element)
    return _labels_rule(raw) if raw else None


def is_attribute_rule(rule: Rule) -> bool:
    """True for rules matched on class/id tokens (those a headline-holding wrapper overrides)."""
    return rule in ATTRIBUTE_RULES or rule in WRAPPER_PRONE_RULES


def is_wrapper_prone(rule: Rule) -> bool:
    """True for class/id rules whose tokens also name page wrappers ("has-sidebar")."""
    return rule in WRAPPER_PRONE_RULES


def class_and_id(element: Tag) -> str:
    """An element's class names and id, lower-cased and joined by spaces.

    A camelCase change becomes a hyphen first ("newsCaption" -> "news-caption"),
    so camelCase names split into tokens as hyphenated ones do.
    """
    return _normalise_labels(_raw_labels(element))


def _raw_labels(element: Tag) -> str:
    classes = element.get("class")
    if isinstance(classes, list):
        classes = " ".join(str(c) for c in classes)
    element_id = element.get("id")
    parts = [part for part in (classes, element_id) if isinstance(part, str) and part]
    return " ".join(parts)


def _normalise_labels(raw: str) -> str:
    return _CAMEL_CASE.sub("-", raw).lower()


@lru_cache(maxsize=_LABEL_CACHE_SIZE)
def attribute_rule(labels: str) -> Rule | None:
    """The class/id rule matching normalised ``labels`` ("share-bar top")."""
    if not _ANY_ATTRIBUTE_RULE.search(labels):
        return None
    return first_match(ATTRIBUTE_RULES, labels) or first_match(WRAPPER_PRONE_RULES, labels)


@lru_cache(maxsize=_LABEL_CACHE_SIZE)
def _labels_rule(raw: str) -> Rule | None:
    """``attribute_rule`` of raw class/id text (cached: pages repeat their class names)."""
    return attribute_rule(_normalise_labels(raw))


@lru_cache(maxsize=256)
def _tag_rule(name: str) -> Rule | None:
    return first_match(TAG_RULES, name)
