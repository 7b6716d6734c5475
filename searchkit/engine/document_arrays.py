"""Per-segment arrays read from the stored fields: author codes and the typed-word vocabulary.

The postings hold stems ("elect" for "election"), but did-you-mean must offer
words as people type them, and the author facet needs each document's author,
which is a text field without a column. Both come from one pass over a
segment's stored fields when its arrays are built (``build_arrays``), so they
are exact for the segment's documents, are rebuilt whenever segments merge,
and cost nothing at query time beyond mapping the file.

* ``author_codes`` (one per document, -1 without an author) point into
  ``author_blob``/``author_offsets``, as ``source_codes`` do for outlets.
* ``word_blob``/``word_offsets``/``word_df``: the segment's typed words (folded,
  unstemmed, alphabetic, not stopwords, three letters or more), sorted, with
  how many of the segment's documents hold each. Deleted documents still
  count here until their segment is merged away; callers that need a live
  answer check a word's stem against the postings.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np

from searchkit.engine.analysis import STOPWORDS, fold_word
from searchkit.synonyms import WORD

MIN_WORD_LENGTH = 3
"""Shorter words are left out of the vocabulary (the speller never corrects them)."""


def typed_words(text: str) -> set[str]:
    """The distinct words of ``text`` as the vocabulary holds them: folded, unstemmed.

    The index's own tokenisation (``WORD``), lowercased and accent-folded;
    only alphabetic words of three letters or more that are not stopwords,
    since only those are ever suggested.
    """
    found: set[str] = set()
    for word in set(WORD.findall(text.lower())):
        if len(word) < MIN_WORD_LENGTH or word in STOPWORDS:
            continue
        if not word.isascii():
            word = fold_word(word)
        if word.isalpha():
            found.add(word)
    return found


def _blob(values: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
    """UTF-8 blob and offsets of ``values`` (the layout ``source_names`` reads)."""
    encoded = [value.encode("utf-8") for value in values]
    blob = b"".join(encoded)
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(value) for value in encoded], out=offsets[1:])
    return (np.frombuffer(blob, dtype=np.uint8) if blob else np.zeros(0, np.uint8)), offsets


def stored_field_arrays(reader: Any) -> dict[str, np.ndarray]:
    """The author codes and the typed-word vocabulary of a segment (a SegmentReader).

    Deleted documents are read too: the arrays describe the segment as
    written, and the live mask comes from the commit (see ``engine.arrays``).
    """
    doc_count = reader.doc_count_all()
    codes = np.full(doc_count, -1, dtype=np.int32)
    authors: dict[str, int] = {}
    words: Counter[str] = Counter()
    for docnum in range(doc_count):
        stored = reader.stored_fields(docnum)
        author = stored.get("author")
        if author:
            codes[docnum] = authors.setdefault(str(author), len(authors))
        words.update(typed_words(f"{stored.get('title', '')}\n{stored.get('body', '')}"))
    author_blob, author_offsets = _blob(authors)
    ordered = sorted(words)
    word_blob, word_offsets = _blob(ordered)
    return {
        "author_codes": codes,
        "author_blob": author_blob,
        "author_offsets": author_offsets,
        "word_blob": word_blob,
        "word_offsets": word_offsets,
        "word_df": np.fromiter((words[w] for w in ordered), np.int32, len(ordered)),
    }


def blob_strings(blob: bytes, offsets: np.ndarray) -> list[str]:
    """The strings a blob and its offsets hold, in order."""
    bounds = offsets.tolist()
    return [blob[a:b].decode("utf-8") for a, b in itertools.pairwise(bounds)]


def merged_vocabulary(segments: Iterable[Any]) -> dict[str, int]:
    """The typed words of every segment's arrays with their summed document frequencies.

    Segments whose arrays file predates the vocabulary add nothing.
    """
    merged: dict[str, int] = {}
    for arrays in segments:
        if arrays.word_df is None:
            continue
        words = arrays.typed_words()
        if not merged:
            merged = dict(zip(words, arrays.word_df.tolist(), strict=True))
            continue
        for word, df in zip(words, arrays.word_df.tolist(), strict=True):
            merged[word] = merged.get(word, 0) + df
    return merged
