"""Reading per-document column values across all segments of an index.

Whoosh's multi-segment column reader skips segments that lack a column and
then maps document numbers onto the wrong segment (or fails outright when no
segment has it), so columns are read segment by segment here instead.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from typing import Any


def live_column_values(
    reader: Any, fieldnames: Sequence[str], *, raw: Collection[str] = ()
) -> Iterator[tuple[Any, ...]]:
    """Yield one tuple of column values per live (not deleted) document.

    Documents without a value get the column's default; fields named in
    ``raw`` come back in Whoosh's sortable encoding instead of as Python
    values. Costs no stored-field loading, which is what makes incremental
    builds and `stats` cheap.
    """
    if reader.doc_count_all() == 0:
        return
    for segment_reader, _offset in reader.leaf_readers():
        columns = [
            segment_reader.column_reader(name, translate=name not in raw) for name in fieldnames
        ]
        for docnum in segment_reader.all_doc_ids():
            yield tuple(column[docnum] for column in columns)
