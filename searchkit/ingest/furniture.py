"""Remove page furniture from a parsed page before looking for the article.

Elements go when ``rules.py`` says so by tag name, ARIA role or class/id
token, or when they are hidden from readers. An element that itself holds
the best-scoring text (see ``container.best_text_element``), or that has more
than ``ARTICLE_TEXT_GUARD`` characters of paragraph text, is never removed by
a class/id or structural rule: "has-sidebar" on the page wrapper or a
``<form>`` around a whole ASP.NET page must not take the story with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bs4 import BeautifulSoup, Tag

from searchkit.ingest.rules import ATTRIBUTE_RULES, ROLE_RULES, TAG_RULES, Rule, first_match

ARTICLE_TEXT_GUARD = 1000
_NEVER_PROSE = frozenset(
    {"script", "style", "noscript", "template", "link", "meta", "svg", "canvas", "img",
     "picture", "video", "audio", "source", "iframe", "embed", "object", "button", "input",
     "select", "option", "textarea"}
)  # fmt: skip
_PROTECTED = frozenset({"html", "body", "main", "article"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_ARTICLE_BODY = re.compile(r"articlebody", re.IGNORECASE)


def drop_non_prose(soup: BeautifulSoup) -> None:
    """Remove scripts, styles, media and form controls: they never hold article text."""
    for element in _walk_keeping(soup, _is_non_prose):
        element.decompose()


def prune_page(
    soup: BeautifulSoup, protected: frozenset[int] = frozenset()
) -> list[tuple[str, Rule | None]]:
    """Remove boilerplate elements in place; return (tag name, rule) for each removal.

    ``protected`` holds ``id()`` s of elements never to remove: the ancestors
    of the best-scoring text, so a wrapper whose class says "sidebar" or
    "overlay" cannot take the story with it. The returned list lets tests and
    the benchmark see which rule removed what (``None``: hidden from readers).
    """
    drop_non_prose(soup)
    removed: list[tuple[str, Rule | None]] = []

    def should_remove(element: Tag) -> bool:
        name = str(element.name)
        reason = _removal_rule(element, name)
        if reason is False or name in _PROTECTED or id(element) in protected:
            return False
        if _holds_article(element):
            return False
        removed.append((name, reason if isinstance(reason, Rule) else None))
        return True

    for element in _walk_keeping(soup, should_remove):
        element.decompose()
    return removed


def _walk_keeping(root: Tag, remove: Callable[[Tag], bool]) -> list[Tag]:
    """Elements under ``root`` for which ``remove`` is true, outermost only, in document order.

    An explicit stack instead of recursion (pages can nest 10,000 deep), and
    nothing below a removed element is visited, so the walk stays linear.
    """
    chosen: list[Tag] = []
    stack: list[Tag] = [child for child in reversed(root.contents) if isinstance(child, Tag)]
    while stack:
        element = stack.pop()
        if remove(element):
            chosen.append(element)
            continue
        stack.extend(child for child in reversed(element.contents) if isinstance(child, Tag))
    return chosen


def _is_non_prose(element: Tag) -> bool:
    return element.name in _NEVER_PROSE


def _removal_rule(element: Tag, name: str) -> Rule | bool | None:
    """The rule that removes ``element``; None if it is hidden; False to keep it."""
    if _is_hidden(element):
        return None
    by_tag = first_match(TAG_RULES, name)
    if by_tag is not None:
        return by_tag
    role = element.get("role")
    if isinstance(role, str) and role.strip():
        by_role = first_match(ROLE_RULES, role.strip())
        if by_role is not None:
            return by_role
    labels = _class_and_id(element)
    if labels and not _ARTICLE_BODY.search(str(element.get("itemprop") or "")):
        by_attribute = first_match(ATTRIBUTE_RULES, labels)
        if by_attribute is not None:
            return by_attribute
    return False


def _is_hidden(element: Tag) -> bool:
    if element.has_attr("hidden") or element.get("aria-hidden") == "true":
        return True
    style = element.get("style")
    return isinstance(style, str) and bool(_HIDDEN_STYLE.search(style))


def _class_and_id(element: Tag) -> str:
    classes = element.get("class")
    parts = [str(c) for c in classes] if isinstance(classes, list) else []
    element_id = element.get("id")
    if isinstance(element_id, str):
        parts.append(element_id)
    return " ".join(parts).lower()


def _holds_article(element: Tag) -> bool:
    """True when ``element`` has more paragraph text than boilerplate ever has."""
    total = 0
    for paragraph in element.find_all("p"):
        total += len(paragraph.get_text())
        if total > ARTICLE_TEXT_GUARD:
            return True
    return False
