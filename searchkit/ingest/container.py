"""Find the part of a page that holds the article, and keep only its blocks.

The publisher's own markers come first: an ``[itemprop=articleBody]`` element,
or the ``<article>`` around the best-scoring text. Without them the blocks are
scored as readability-style extractors do: every prose-like block (long
enough, few links) gives points (1 + commas + length/100, at most 3 for
length) to its parent and half as many to its grandparent; the best element,
corrected for its own link density, wins, together with siblings that score
at least a fifth as well (bodies split over several ``<div>`` s).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bs4 import Tag

from searchkit.ingest.blocks import Block

MIN_PROSE_CHARS = 25
MAX_PROSE_LINK_DENSITY = 0.5
SIBLING_SHARE = 0.2
MIN_SIBLING_SCORE = 10.0
MIN_ARTICLE_BODY_CHARS = 150
_ARTICLE_BODY = re.compile(r"articlebody", re.IGNORECASE)
_CANDIDATES_CHECKED = 5


def article_blocks(blocks: list[Block]) -> list[Block]:
    """The blocks that belong to the article container (all blocks if none stands out)."""
    if not blocks:
        return []
    scores = _score_parents(blocks)
    if not scores:
        return blocks
    best = _best_candidate(scores, blocks)
    marked = _marked_container(best, blocks)
    containers = [marked] if marked is not None else _with_siblings(best, scores)
    members = _element_ids(containers)
    return [block for block in blocks if id(block.owner) in members]


def best_text_element(blocks: list[Block]) -> Tag | None:
    """The element holding the best-scoring prose, before any pruning (None if no prose)."""
    scores = _score_parents(blocks)
    return _best_candidate(scores, blocks) if scores else None


def ancestor_ids(element: Tag | None) -> frozenset[int]:
    """``id()`` of ``element`` and all its ancestors (the elements pruning must spare)."""
    return frozenset(id(node) for node in _ancestors_and_self(element)) if element else frozenset()


def _score_parents(blocks: list[Block]) -> dict[int, tuple[Tag, float]]:
    scores: dict[int, tuple[Tag, float]] = {}
    for block in blocks:
        if len(block.text) < MIN_PROSE_CHARS or block.link_density > MAX_PROSE_LINK_DENSITY:
            continue
        points = 1.0 + block.text.count(",") + min(len(block.text) / 100.0, 3.0)
        parent = block.owner.parent
        for share in (1.0, 0.5):
            if not isinstance(parent, Tag):
                break
            _, current = scores.get(id(parent), (parent, 0.0))
            scores[id(parent)] = (parent, current + points * share)
            parent = parent.parent
    return scores


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
    """The publisher-marked article container: articleBody, else the <article> around ``best``.

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
    page = best
    while isinstance(page.parent, Tag):
        page = page.parent
    marked = page.find_all(True, attrs={"itemprop": _ARTICLE_BODY}, limit=10)
    sized = [
        (_text_size(element, blocks), element) for element in marked if isinstance(element, Tag)
    ]
    sized = [
        (size, element)
        for size, element in sized
        if size >= MIN_ARTICLE_BODY_CHARS or any(parent is best for parent in element.parents)
    ]
    if sized:
        return max(sized, key=lambda item: item[0])[1]
    for element in _ancestors_and_self(best):
        if element.name == "article":
            return element
    return None


def _with_siblings(best: Tag, scores: dict[int, tuple[Tag, float]]) -> list[Tag]:
    parent = best.parent
    if not isinstance(parent, Tag):
        return [best]
    best_score = scores[id(best)][1]
    threshold = max(MIN_SIBLING_SCORE, best_score * SIBLING_SHARE)
    chosen: list[Tag] = []
    for sibling in parent.children:
        if not isinstance(sibling, Tag):
            continue
        if sibling is best or scores.get(id(sibling), (sibling, 0.0))[1] >= threshold:
            chosen.append(sibling)
    return chosen


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
