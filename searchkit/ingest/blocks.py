"""Flatten an HTML tree into text blocks (paragraphs, headings, list items) in reading order.

One iterative walk over the tree, never recursion (pages nested 10,000 levels
deep must not overflow the stack), and never a ``get_text()`` per element, so
the work stays linear in the size of the page. Each block remembers the
element that holds it and how much of its text sits inside links, which is
what the container scoring and the boilerplate filters in ``html.py`` need.
"""

from __future__ import annotations

from dataclasses import dataclass

from bs4.element import CData, NavigableString, PageElement, Tag

from searchkit.ingest.normalize import collapse_whitespace

BLOCK_TAGS = frozenset(
    {
        "address", "article", "blockquote", "body", "caption", "center", "dd", "details",
        "div", "dl", "dt", "fieldset", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "html",
        "li", "main", "ol", "p", "pre", "section", "summary", "table", "tbody", "td",
        "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


@dataclass(frozen=True)
class Block:
    """One run of text between block boundaries, with the element that holds it."""

    text: str
    owner: Tag
    link_chars: int

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

    def add_text(self, text: str, *, in_link: bool) -> None:
        self._parts.append(text)
        if in_link:
            self._link_parts.append(text)

    def flush(self, owner: Tag) -> None:
        if not self._parts:
            return
        text = collapse_whitespace("".join(self._parts))
        if text:
            link_text = collapse_whitespace(" ".join(self._link_parts))
            self.blocks.append(Block(text, owner, min(len(link_text), len(text))))
        self._parts.clear()
        self._link_parts.clear()


def collect_blocks(root: Tag) -> list[Block]:
    """Every non-empty text block under ``root``, in document order.

    A ``<br>`` ends a block too, so pages that separate paragraphs with line
    breaks instead of ``<p>`` still yield one block per paragraph.
    """
    collector = _Collector()
    owners: list[Tag] = [root]
    link_depth = 0
    stack: list[tuple[PageElement, bool]] = [(root, False)]
    while stack:
        node, closing = stack.pop()
        if isinstance(node, NavigableString):
            if type(node) is NavigableString or isinstance(node, CData):
                collector.add_text(str(node), in_link=link_depth > 0)
            continue
        if not isinstance(node, Tag):
            continue
        name = node.name
        if closing:
            if name == "a":
                link_depth -= 1
            if name in BLOCK_TAGS and node is not root:
                collector.flush(owners.pop())
            continue
        if name == "br":
            collector.flush(owners[-1])
            continue
        if name in BLOCK_TAGS and node is not root:
            collector.flush(owners[-1])
            owners.append(node)
        if name == "a":
            link_depth += 1
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node.contents))
    collector.flush(owners[-1])
    return collector.blocks
