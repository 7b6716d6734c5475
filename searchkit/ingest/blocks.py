"""Flatten an HTML tree into text blocks (paragraphs, headings, list items) in reading order.

One iterative walk over the tree, never recursion (pages nested 10,000 levels
deep must not overflow the stack), and never a ``get_text()`` per element, so
the work stays linear in the size of the page. Each block remembers the
element that holds it, how much of its text sits inside links, and which of
its ancestors page-furniture rules mark (``furniture.py``): the container
scoring and the boilerplate filters in ``html.py`` decide what those marks
mean, so the tree itself is never modified.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bs4.element import CData, NavigableString, PageElement, Tag

from searchkit.ingest.normalize import collapse_whitespace
from searchkit.ingest.rules import Rule

BLOCK_TAGS = frozenset(
    {
        "address", "article", "blockquote", "body", "caption", "center", "dd", "details",
        "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2",
        "h3", "h4", "h5", "h6", "header", "hr", "html", "li", "main", "nav", "ol", "p", "pre",
        "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
        "aside",
    }
)  # fmt: skip
HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
SKIPPED_TAGS = frozenset(
    {"script", "style", "noscript", "template", "link", "meta", "svg", "canvas", "img",
     "picture", "video", "audio", "source", "iframe", "embed", "object", "button", "input",
     "select", "option", "textarea", "head", "title", "math"}
)  # fmt: skip
"""Elements whose content is never visible prose: the walk does not enter them."""
IMAGE_TAGS = frozenset({"img", "picture", "video", "iframe", "embed", "object", "canvas", "svg"})

_SHOWN_ADDRESS = re.compile(r"\s*(https?://|www\.|[\w.+-]+@[\w-]+\.)\S*\s*$", re.IGNORECASE)
"""Link text that spells out its address ("http://...", "name@host.org") is printed
content, like any other text; it does not count as link text."""

Mark = tuple[Tag, Rule]
MarkRule = Callable[[Tag], "Rule | None"]


@dataclass(frozen=True)
class Block:
    """One run of text between block boundaries, with the element that holds it.

    ``marks`` lists the block's ancestors (outermost first, the owner
    included) that a furniture rule matched, with the rule; an empty tuple
    means no rule objects to the block. ``image_text`` is set when an image
    came between the previous block and this one: its alt text, or "" when
    it has none (a caption that repeats its image's alt text is no prose).
    """

    text: str
    owner: Tag
    link_chars: int
    marks: tuple[Mark, ...] = ()
    image_text: str | None = None

    @property
    def tag(self) -> str:
        """Name of the holding element ("p", "h2", "li", "div"...)."""
        return str(self.owner.name)

    @property
    def is_heading(self) -> bool:
        """True for h1-h6 blocks (subheads are kept, repeated headlines are not)."""
        return self.owner.name in HEADING_TAGS

    @property
    def link_density(self) -> float:
        """Share of the block's characters that are link text (navigation is nearly all links)."""
        return self.link_chars / len(self.text) if self.text else 0.0


class _Collector:
    """Accumulates inline text until a block boundary, then emits a Block."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self._parts: list[str] = []
        self._link_parts: list[str] = []
        self.image_text: str | None = None

    def add_text(self, text: str, *, in_link: bool) -> None:
        self._parts.append(text)
        if in_link and not _SHOWN_ADDRESS.match(text):
            self._link_parts.append(text)

    def flush(self, owner: Tag, marks: tuple[Mark, ...]) -> None:
        if not self._parts:
            return
        text = collapse_whitespace("".join(self._parts))
        if text:
            link_text = collapse_whitespace(" ".join(self._link_parts)) if self._link_parts else ""
            link_chars = min(len(link_text), len(text))
            self.blocks.append(Block(text, owner, link_chars, marks, self.image_text))
            self.image_text = None
        self._parts.clear()
        self._link_parts.clear()


def _no_marks(_: Tag) -> Rule | None:
    return None


def collect_blocks(root: Tag, mark: MarkRule = _no_marks) -> list[Block]:
    """Every non-empty text block under ``root``, in document order.

    A ``<br>`` ends a block too, so pages that separate paragraphs with line
    breaks instead of ``<p>`` still yield one block per paragraph. ``mark``
    names the furniture rule an element matches (or None); every block
    carries the marks of its ancestors, and a marked element always starts
    a block of its own, so a caption span never merges into the prose
    around it.
    """
    collector = _Collector()
    owners: list[Tag] = [root]
    marks: list[tuple[Mark, ...]] = [()]
    link_depth = 0
    stack: list[tuple[PageElement, bool]] = [(root, False)]
    while stack:
        node, closing = stack.pop()
        if isinstance(node, NavigableString):
            if type(node) is NavigableString or isinstance(node, CData):
                collector.add_text(node, in_link=link_depth > 0)
            continue
        if not isinstance(node, Tag):
            continue
        name = node.name
        if closing:
            if name == "a":
                link_depth -= 1
            if owners[-1] is node and node is not root:
                collector.flush(owners.pop(), marks[-1])
            current = marks[-1]
            if current and current[-1][0] is node:
                marks.pop()
            continue
        if name in SKIPPED_TAGS:
            if name in IMAGE_TAGS:
                alt = node.get("alt")
                collector.image_text = collapse_whitespace(alt) if isinstance(alt, str) else ""
            continue
        if name == "br":
            collector.flush(owners[-1], marks[-1])
            continue
        rule = mark(node)
        if (name in BLOCK_TAGS or rule is not None) and node is not root:
            collector.flush(owners[-1], marks[-1])
            owners.append(node)
        if rule is not None:
            marks.append((*marks[-1], (node, rule)))
        if name == "a":
            link_depth += 1
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node.contents))
    collector.flush(owners[-1], marks[-1])
    return collector.blocks
