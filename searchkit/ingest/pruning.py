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
    for element in soup.find_all(_NEVER_PROSE):
        if isinstance(element, Tag) and not element.decomposed:
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
    for element in soup.find_all(True):
        if not isinstance(element, Tag) or element.decomposed:
            continue
        name = str(element.name)
        reason = _removal_rule(element, name)
        if reason is False or name in _PROTECTED or id(element) in protected:
            continue
        if _holds_article(element):
            continue
        element.decompose()
        removed.append((name, reason if isinstance(reason, Rule) else None))
    return removed


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
