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


def furniture_rule(element: Tag) -> Rule | None:
    """The rule that marks ``element`` as page furniture, or None when it may hold the article.

    ``<html>``, ``<body>``, ``<main>`` and ``<article>`` are never marked by
    their class or id, and neither is an ``[itemprop=articleBody]`` element:
    publishers put page-type classes ("video", "has-comments") on them. Nor
    are links and inline formatting: a link classed "related-entity" inside
    a sentence is part of the sentence.
    """
    if element.has_attr("hidden") or element.get("aria-hidden") == "true":
        return HIDDEN_RULE
    style = element.get("style")
    if isinstance(style, str):
        by_style = first_match(STYLE_RULES, style)
        if by_style is not None:
            return by_style
    name = str(element.name)
    by_tag = _tag_rule(name)
    if by_tag is not None:
        return by_tag
    role = element.get("role")
    if isinstance(role, str) and role.strip():
        by_role = first_match(ROLE_RULES, role.strip())
        if by_role is not None:
            return by_role
    if name in _NEVER_MARKED or name in _INLINE:
        return None
    if _ARTICLE_BODY.search(str(element.get("itemprop") or "")):
        return None
    labels = class_and_id(element)
    return attribute_rule(labels) if labels else None


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
    classes = element.get("class")
    parts = [str(c) for c in classes] if isinstance(classes, list) else []
    element_id = element.get("id")
    if isinstance(element_id, str):
        parts.append(element_id)
    return _CAMEL_CASE.sub("-", " ".join(parts)).lower()


@lru_cache(maxsize=_LABEL_CACHE_SIZE)
def attribute_rule(labels: str) -> Rule | None:
    """The class/id rule matching ``labels`` (cached: pages repeat their class names)."""
    return first_match(ATTRIBUTE_RULES, labels) or first_match(WRAPPER_PRONE_RULES, labels)


@lru_cache(maxsize=256)
def _tag_rule(name: str) -> Rule | None:
    return first_match(TAG_RULES, name)
