"""Index-time grouping: each article's ``duplicate_group`` and ``story_id``, kept with the index.

An Indexer assigns both at commit, in the order documents are handed to the
index (deletions first), with ``searchkit.duplicates.DuplicateGrouper`` and
``searchkit.stories.StoryGrouper``; the numbers are stored in each document,
so they are committed, or lost, exactly with it.

The groupers' state has to survive between runs as the documents do. It is
saved after every commit, under the write lock, as ``searchkit-groups.json``
tagged with the commit's generation. A writer that finds the tag equal to the
committed generation resumes from it; otherwise (a kill between the commit and
the state file, an index built before grouping existed, a damaged file) the
state is recovered from the committed documents themselves: signatures are a
function of the body, groups and stories are the stored numbers, profiles are
recomputed in document order. Either way every committed document keeps its
numbers and new articles are placed among them.

Rules: an article whose body is too short to sign (``duplicates.MIN_WORDS``)
joins nothing, no duplicate group and no story. Undated articles may join a
story on content alone, above the stricter undated threshold (see
``searchkit.stories``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from searchkit.duplicates import DuplicateGrouper, signature
from searchkit.stories import MemoryCandidates, StoryGrouper

log = logging.getLogger("searchkit")

STATE_VERSION = 1


@dataclass(frozen=True)
class StoredGroups:
    """One committed document as recovery reads it: text, date and its stored numbers."""

    id: str
    title: str
    body: str
    published: datetime | None
    duplicate_group: int | None
    story_id: int | None


class Grouping:
    """The two groupers of one index, assigning numbers to articles as they are committed."""

    def __init__(self, duplicates: DuplicateGrouper, stories: StoryGrouper) -> None:
        self.duplicates = duplicates
        self.stories = stories

    @classmethod
    def fresh(cls) -> Grouping:
        """Groupers for an empty index."""
        return cls(DuplicateGrouper(), StoryGrouper(MemoryCandidates()))

    def assign(
        self, article_id: str, title: str, body: str, published: datetime | None
    ) -> tuple[int | None, int | None]:
        """Place one article (replacing an earlier version); returns (duplicate group, story).

        Both are None when the body has no signature: an empty or near-empty
        body would otherwise look like a copy of every other one.
        """
        sig = signature(body)
        if sig is None:
            self.remove(article_id)
            return None, None
        group = self.duplicates.add(article_id, sig)
        story = self.stories.add(article_id, title, body, published, group)
        return group, story

    def remove(self, article_id: str) -> None:
        """Forget a deleted article; its groups and stories keep their numbers."""
        self.duplicates.remove(article_id)
        self.stories.remove(article_id)

    def to_state(self) -> dict[str, Any]:
        """Everything needed to resume, as JSON values."""
        source = self.stories.source
        assert isinstance(source, MemoryCandidates)
        return {
            "version": STATE_VERSION,
            "duplicates": self.duplicates.to_state(),
            "stories": self.stories.to_state(),
            "candidates": source.to_state(),
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> Grouping:
        """Resume from ``to_state``'s values (ValueError/KeyError/TypeError if malformed)."""
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"unknown grouping state version {state.get('version')!r}")
        source = MemoryCandidates.from_state(state["candidates"])
        return cls(
            DuplicateGrouper.from_state(state["duplicates"]),
            StoryGrouper.from_state(state["stories"], source),
        )

    @classmethod
    def recover(cls, documents: Iterable[StoredGroups]) -> Grouping:
        """Rebuild the groupers from committed documents (in index order), keeping their numbers.

        A document stored without numbers (an index written before grouping)
        is placed as if newly added.
        """
        grouping = cls.fresh()
        for doc in documents:
            sig = signature(doc.body)
            if sig is None:
                continue
            if doc.duplicate_group is None or doc.story_id is None:
                grouping.assign(doc.id, doc.title, doc.body, doc.published)
                continue
            grouping.duplicates.restore(doc.id, sig, doc.duplicate_group)
            grouping.stories.restore(
                doc.id, doc.title, doc.body, doc.published, doc.duplicate_group, doc.story_id
            )
        return grouping

    def mismatches(self, documents: Iterable[StoredGroups]) -> list[str]:
        """Where committed documents' stored numbers differ from this state (empty: none).

        How the crash tests check that a kill never leaves documents and the
        state the next writer resumes from disagreeing.
        """
        problems: list[str] = []
        seen = 0
        for doc in documents:
            has_signature = signature(doc.body) is not None
            group = self.duplicates.group_of(doc.id)
            story = self.stories.story_of(doc.id)
            if has_signature:
                seen += 1
            if group != doc.duplicate_group:
                problems.append(f"{doc.id}: duplicate group {doc.duplicate_group} vs {group}")
            if story != doc.story_id:
                problems.append(f"{doc.id}: story {doc.story_id} vs {story}")
        if seen != len(self.duplicates):
            problems.append(f"the state holds {len(self.duplicates)} articles, the index {seen}")
        return problems
