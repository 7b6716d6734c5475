"""Find the part of a page that holds the article, and keep only its blocks.

First the furniture marks (``furniture.py``) are applied strictly: a block
inside a marked element does not count, unless the marked element holds the
page's headline (a wrapper classed "has-sidebar" is no sidebar). Then the
publisher's own markers come first: an ``[itemprop=articleBody]`` element, or
the ``<article>`` around the best-scoring text. Without them the blocks are
scored as readability-style extractors do: every prose-like block (long
enough, few links) gives points (1 + commas + length/100, at most 3 for
length) to its container (the parent of a paragraph, or the ``<div>`` the
text sits in directly) and half as many to the container's parent; the best element,
corrected for its own link density, wins, together with siblings that score
at least a fifth as well (bodies split over several ``<div>`` s). When the
strict reading leaves almost nothing, the marks on the ancestors of the
best-scoring text are ignored and the choice is made again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bs4 import Tag

from searchkit.ingest.blocks import BLOCK_TAGS, Block
from searchkit.ingest.furniture import is_attribute_rule, is_wrapper_prone
from searchkit.ingest.normalize import ends_like_sentence

MIN_PROSE_CHARS = 25
MAX_PROSE_LINK_DENSITY = 0.5
SIBLING_SHARE = 0.2
MIN_SIBLING_SCORE = 10.0
MIN_ARTICLE_BODY_CHARS = 150
MIN_STRICT_CHARS = 200
MIN_LONE_PARAGRAPH_CHARS = 80
MAX_LONE_PARAGRAPH_LINK_DENSITY = 0.25
WRAPPER_PROSE_SHARE = 0.5
PARAGRAPH_TAGS = frozenset(
    {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "dd", "dt", "blockquote", "address",
     "figcaption", "caption", "summary", "th"}
)  # fmt: skip
"""Blocks owned by these are paragraphs: their parent is the container that scores.
Text sitting directly in a ``<div>`` or ``<td>`` that also holds block elements scores
for that element itself; a ``<div>`` holding only inline content is a paragraph."""
_ARTICLE_BODY = re.compile(r"articlebody", re.IGNORECASE)
_CANDIDATES_CHECKED = 5
_TRUNCATED = re.compile(r"(\.\.\.|\u2026)\W{0,2}$")


def choose_article_blocks(blocks: list[Block]) -> list[Block]:
    """The blocks of the article: inside its container and not marked as furniture."""
    shield = _headline_ancestors(blocks) | _wrappers(blocks)
    strict = [block for block in blocks if not _is_furniture(block, shield)]
    chosen = article_blocks(strict)
    if sum(len(block.text) for block in chosen) >= MIN_STRICT_CHARS:
        return chosen
    best = best_text_element(blocks)
    if best is None:
        return chosen
    lenient = [block for block in blocks if not _is_furniture(block, ancestor_ids(best))]
    fallback = article_blocks(lenient)
    return fallback if _chars(fallback) > _chars(chosen) else chosen


def article_blocks(blocks: list[Block]) -> list[Block]:
    """The blocks that belong to the article container (all blocks if none stands out)."""
    if not blocks:
        return []
    scores = _score_parents(blocks)
    if not scores:
        return blocks
    best = _best_candidate(scores, blocks)
    marked = _marked_container(best, blocks)
    containers = [marked] if marked is not None else _with_siblings(best, scores, blocks)
    members = _element_ids(containers)
    return [block for block in blocks if id(block.owner) in members]


def best_text_element(blocks: list[Block]) -> Tag | None:
    """The element holding the best-scoring prose, marks ignored (None if no prose)."""
    scores = _score_parents(blocks)
    return _best_candidate(scores, blocks) if scores else None


def ancestor_ids(element: Tag | None) -> frozenset[int]:
    """``id()`` of ``element`` and all its ancestors."""
    return frozenset(id(node) for node in _ancestors_and_self(element)) if element else frozenset()


def _wrappers(blocks: list[Block]) -> frozenset[int]:
    """Elements marked by a wrapper-prone rule that hold most of the prose around them.

    "Around them" is the subtree of their nearest ancestor holding other
    prose too: a paywall ``<div>`` holding most of a story body, or a
    "has-sidebar" page wrapper, holds most of that prose; a real sidebar or
    a media list beside the story does not.
    """
    marked: dict[int, Tag] = {}
    for block in blocks:
        for element, rule in block.marks:
            if is_wrapper_prone(rule):
                marked[id(element)] = element
    if not marked:
        return frozenset()
    prose = _prose_chars(blocks)
    wrappers = set()
    for key, element in marked.items():
        own = prose.get(key, 0)
        around = own
        for ancestor in element.parents:
            around = prose.get(id(ancestor), 0)
            if around > own:
                break
        if own > around * WRAPPER_PROSE_SHARE:
            wrappers.add(key)
    return frozenset(wrappers)


def _prose_chars(blocks: list[Block]) -> dict[int, int]:
    """Characters of prose blocks inside each element (by ``id()``)."""
    chars: dict[int, int] = {}
    for block in blocks:
        if _is_prose(block):
            size = len(block.text)
            for element in _ancestors_and_self(block.owner):
                chars[id(element)] = chars.get(id(element), 0) + size
    return chars


def _is_prose(block: Block) -> bool:
    """Long enough, few links, and not a teaser cut short with an ellipsis."""
    return (
        len(block.text) >= MIN_PROSE_CHARS
        and block.link_density <= MAX_PROSE_LINK_DENSITY
        and not _TRUNCATED.search(block.text)
    )


def _is_furniture(block: Block, shield: frozenset[int]) -> bool:
    """True when a mark on the block counts (class/id marks on shielded wrappers do not)."""
    return any(
        not (id(element) in shield and is_attribute_rule(rule)) for element, rule in block.marks
    )


def _headline_ancestors(blocks: list[Block]) -> frozenset[int]:
    """Elements around the page's ``<h1>`` headlines: whatever their class says, not furniture."""
    shield: set[int] = set()
    for block in blocks:
        if block.owner.name == "h1":
            shield.update(id(node) for node in _ancestors_and_self(block.owner))
    return frozenset(shield)


def _chars(blocks: list[Block]) -> int:
    return sum(len(block.text) for block in blocks)


def _score_parents(blocks: list[Block]) -> dict[int, tuple[Tag, float]]:
    scores: dict[int, tuple[Tag, float]] = {}
    for block in blocks:
        if not _is_prose(block):
            continue
        points = 1.0 + block.text.count(",") + min(len(block.text) / 100.0, 3.0)
        parent = block.owner.parent if _is_paragraph(block.owner) else block.owner
        for share in (1.0, 0.5):
            if not isinstance(parent, Tag):
                break
            _, current = scores.get(id(parent), (parent, 0.0))
            scores[id(parent)] = (parent, current + points * share)
            parent = parent.parent
    return scores


def _is_paragraph(owner: Tag) -> bool:
    if owner.name in PARAGRAPH_TAGS:
        return True
    return not any(isinstance(child, Tag) and child.name in BLOCK_TAGS for child in owner.contents)


def _best_candidate(scores: dict[int, tuple[Tag, float]], blocks: list[Block]) -> Tag:
    ranked = sorted(scores.values(), key=lambda item: item[1], reverse=True)[:_CANDIDATES_CHECKED]
    density = _link_density_by_element([element for element, _ in ranked], blocks)
    best, _ = max(ranked, key=lambda item: item[1] * (1.0 - density.get(id(item[0]), 0.0)))
    return best


def _link_density_by_element(elements: list[Tag], blocks: list[Block]) -> dict[int, float]:
    densities: dict[int, float] = {}
    for element in elements:
        members = _element_ids([element])
        inside = [block for block in blocks if id(block.owner) in members]
        text = sum(len(block.text) for block in inside)
        links = sum(block.link_chars for block in inside)
        densities[id(element)] = links / text if text else 0.0
    return densities


def _marked_container(best: Tag, blocks: list[Block]) -> Tag | None:
    """The publisher-marked article container: articleBody, else an ``<article>``.

    The ``<article>`` is the one holding the headline when the best-scoring
    text lies outside it (teasers below a short story are often ``<article>``
    s too), else the one around the best-scoring text.

    An articleBody element inside ``best`` always counts; one elsewhere on
    the page only when it holds ``MIN_ARTICLE_BODY_CHARS`` of text (an empty
    or teaser-sized marker must not override the scoring).
    """
    bodies = [
        element
        for element in _ancestors_and_self(best)
        if _ARTICLE_BODY.search(str(element.get("itemprop") or ""))
    ]
    if bodies:
        return bodies[0]
    marked = _article_body_elements(blocks)
    sized = [
        (_text_size(element, blocks), element)
        for element in marked
        if any(parent is best for parent in element.parents)
        or _text_size(element, blocks) >= MIN_ARTICLE_BODY_CHARS
    ]
    if sized:
        return max(sized, key=lambda item: item[0])[1]
    around_best = next((e for e in _ancestors_and_self(best) if e.name == "article"), None)
    headline = _headline_article(blocks)
    if (
        headline is not None
        and not _is_inside(best, headline)
        and _text_size(headline, blocks) >= MIN_ARTICLE_BODY_CHARS
    ):
        return headline
    return around_best


def _headline_article(blocks: list[Block]) -> Tag | None:
    """The innermost ``<article>`` holding the page's first ``<h1>``, if any."""
    for block in blocks:
        if block.owner.name == "h1":
            return next((e for e in block.owner.parents if e.name == "article"), None)
    return None


def _is_inside(element: Tag, container: Tag) -> bool:
    return any(node is container for node in _ancestors_and_self(element))


def _article_body_elements(blocks: list[Block]) -> list[Tag]:
    """``[itemprop=articleBody]`` elements holding any of ``blocks``, in document order."""
    found: dict[int, Tag] = {}
    seen: set[int] = set()
    for block in blocks:
        for element in _ancestors_and_self(block.owner):
            if id(element) in seen:
                break
            seen.add(id(element))
            if _ARTICLE_BODY.search(str(element.get("itemprop") or "")):
                found[id(element)] = element
    return list(found.values())


def _with_siblings(
    best: Tag, scores: dict[int, tuple[Tag, float]], blocks: list[Block]
) -> list[Tag]:
    """``best`` and the siblings that score well, or that hold one prose paragraph themselves.

    The second kind is a lede set apart from the body ("<div class=summary>"
    before "<div class=text>"): one block of sentence prose with few links.
    """
    parent = best.parent
    if not isinstance(parent, Tag):
        return [best]
    best_score = scores[id(best)][1]
    threshold = max(MIN_SIBLING_SCORE, best_score * SIBLING_SHARE)
    own_blocks: dict[int, list[Block]] = {}
    for block in blocks:
        if block.owner.parent is parent:
            own_blocks.setdefault(id(block.owner), []).append(block)
    chosen: list[Tag] = []
    for sibling in parent.children:
        if not isinstance(sibling, Tag):
            continue
        scores_well = scores.get(id(sibling), (sibling, 0.0))[1] >= threshold
        if sibling is best or scores_well or _is_lone_paragraph(own_blocks.get(id(sibling), [])):
            chosen.append(sibling)
    return chosen


def _is_lone_paragraph(blocks: list[Block]) -> bool:
    if len(blocks) != 1:
        return False
    block = blocks[0]
    return (
        len(block.text) >= MIN_LONE_PARAGRAPH_CHARS
        and block.link_density <= MAX_LONE_PARAGRAPH_LINK_DENSITY
        and ends_like_sentence(block.text)
        and not _TRUNCATED.search(block.text)
    )


def _text_size(element: Tag, blocks: list[Block]) -> int:
    members = _element_ids([element])
    return sum(len(block.text) for block in blocks if id(block.owner) in members)


def _ancestors_and_self(element: Tag) -> Iterable[Tag]:
    current: Tag | None = element
    while isinstance(current, Tag):
        yield current
        current = current.parent


def _element_ids(roots: list[Tag]) -> set[int]:
    ids: set[int] = set()
    for root in roots:
        ids.add(id(root))
        ids.update(id(node) for node in root.descendants if isinstance(node, Tag))
    return ids
