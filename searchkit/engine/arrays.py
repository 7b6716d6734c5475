"""Per-segment numpy arrays: what the scorer reads instead of Whoosh's posting lists.

Each Whoosh segment gets one arrays file, ``<segment id>.skarrays``, written in
the same commit as the segment (before the table of contents that names it, see
``SegmentArraysWriter``) and deleted with it: Whoosh's own clean-up removes every
``<segment id>.*`` file a commit no longer names. A file holds:

* the segment's text-field vocabulary, sorted (one blob of UTF-8 and offsets);
* for each term, its documents and term frequency in the title and in the body
  (compressed sparse rows, documents ascending), and its document frequencies;
* for each document, its field lengths as Whoosh stores them (the lossy
  one-byte encoding the old scorer normalised with), its exact lengths, and its
  terms with their counts (the forward index feedback reads).

Only live-document state is not here: deletions live in the commit's table of
contents, so the live mask is derived from it when a segment is opened and can
never disagree with the committed deletions.

The file is a small header (magic, version, a JSON directory of arrays and a
CRC of the directory) followed by the raw arrays, 64-byte aligned, so a reader
maps the file once and slices it without copying.
"""

from __future__ import annotations

import json
import mmap
import os
import struct
import zlib
from array import array as typed_array
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from searchkit.engine.document_arrays import blob_strings, stored_field_arrays

ARRAYS_SUFFIX = ".skarrays"
TEXT_FIELDS = ("title", "body")

_MAGIC = b"SKARRAY1"
_HEADER = struct.Struct("<8sQI")  # magic, directory length, directory CRC32
_ALIGN = 64
_MAX_TF = np.iinfo(np.uint16).max


class ArraysDamaged(Exception):
    """An arrays file is missing, cut short or not what its header says."""


class ArraysMissing(ArraysDamaged):
    """A segment's arrays file is not there (damage, or a segment a commit just replaced)."""


def arrays_filename(segment_id: str) -> str:
    """The arrays file of a segment: named so Whoosh lists and cleans it with the segment."""
    return f"{segment_id}{ARRAYS_SUFFIX}"


def _byte_to_length_table() -> np.ndarray:
    from whoosh.util.numeric import byte_to_length

    return np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)


class FieldPostings:
    """One text field's postings in a segment, sorted by term then document."""

    def __init__(self) -> None:
        self.terms: list[bytes] = []
        self.counts: list[int] = []
        # Typed arrays, not lists: 8 bytes a posting instead of about 40.
        self.docs = typed_array("q")
        self.weights = typed_array("d")

    def add_term(self, term: bytes, docs: Any, weights: Any) -> None:
        """Record one term's documents (ascending) and posting weights."""
        self.terms.append(term)
        self.counts.append(len(docs))
        self.docs.extend(docs)
        self.weights.extend(weights)


def read_segment_postings(reader: Any) -> dict[str, FieldPostings]:
    """A written segment's text-field postings, read back from its files.

    Reading a segment back block by block costs less than recording every
    posting as Whoosh writes it (measured on BBC, one process: +23% CPU for
    the build against +33%), and covers every way a segment is made.
    """
    collected: dict[str, FieldPostings] = {}
    for name in TEXT_FIELDS:
        postings = collected[name] = FieldPostings()
        if name not in reader.schema:
            continue
        for term in reader.lexicon(name):
            ids, weights = _read_postings(reader, name, term)
            postings.add_term(term, ids, weights)
    return collected


def _read_postings(reader: Any, fieldname: str, term: bytes) -> tuple[list[int], list[float]]:
    """All (document, weight) pairs of one term, read block by block."""
    # Not reader.postings(): in a segment with deletions it filters them out, and
    # the arrays keep every document (the live mask comes from the commit).
    matcher = reader._terms.matcher(fieldname, term, reader.schema[fieldname].format)
    ids: list[int] = []
    weights: list[float] = []  # one term's: short-lived
    # Whoosh's leaf matcher decodes a block at a time; reading its block arrays
    # directly is ten times faster than stepping through the postings.
    while matcher.is_active():
        if matcher._ids is None:
            matcher._read_ids()
        if matcher._weights is None:
            matcher._read_weights()
        ids.extend(matcher._ids)
        weights.extend(matcher._weights)
        matcher._next_block()
    return ids, weights


def coded_lengths(perdoc: Any, doc_count: int) -> dict[str, np.ndarray]:
    """Each text field's per-document length bytes, as Whoosh's per-document reader holds them."""
    found = {}
    for name in TEXT_FIELDS:
        column = perdoc._cached_reader(f"_{name}_len", _lengths_column()) if perdoc else None
        if column is None:  # no document of the segment has this field
            found[name] = np.zeros(doc_count, dtype=np.uint8)
        else:
            found[name] = np.fromiter((column[d] for d in range(doc_count)), np.uint8, doc_count)
    return found


def column_arrays(perdoc: Any, schema: Any, doc_count: int) -> dict[str, np.ndarray]:
    """Each document's outlet (a code into ``source_names``) and raw publication value.

    The publication value is Whoosh's sortable column encoding (0 for an
    undated document, as the schema's column default says), so date filters
    compare encoded bounds and sorting by it is sorting by date.
    """
    published = np.zeros(doc_count, dtype=np.int64)
    if perdoc is not None and perdoc.has_column("published"):
        column = perdoc.column_reader("published", schema["published"].column_type)
        published = np.fromiter((column[d] for d in range(doc_count)), np.int64, doc_count)
    codes = np.full(doc_count, -1, dtype=np.int32)
    names: dict[bytes, int] = {}
    if perdoc is not None and perdoc.has_column("source"):
        column = perdoc.column_reader("source", schema["source"].column_type)
        for docnum in range(doc_count):
            value = column[docnum]
            if value:
                codes[docnum] = names.setdefault(bytes(value), len(names))
    blob = b"".join(names)
    offsets = np.zeros(len(names) + 1, dtype=np.int64)
    np.cumsum([len(name) for name in names], out=offsets[1:])
    found: dict[str, np.ndarray] = {
        "published": published,
        "source_codes": codes,
        "source_blob": np.frombuffer(blob, dtype=np.uint8) if blob else np.zeros(0, np.uint8),
        "source_offsets": offsets,
    }
    # Each document's duplicate group and story (0: none), so collapsing and story
    # grouping at query time are array operations.
    for name, key in (("duplicate_group", "duplicate_groups"), ("story_id", "story_ids")):
        values = np.zeros(doc_count, dtype=np.int64)
        if perdoc is not None and perdoc.has_column(name) and name in schema:
            column = perdoc.column_reader(name, schema[name].column_type)
            values = np.fromiter((column[d] for d in range(doc_count)), np.int64, doc_count)
        found[key] = values
    return found


def build_arrays(reader: Any) -> dict[str, np.ndarray]:
    """The arrays of a written Whoosh segment (a SegmentReader), read back from its files."""
    doc_count = reader.doc_count_all()
    arrays = assemble_arrays(
        doc_count,
        read_segment_postings(reader),
        field_boosts(reader.schema),
        coded_lengths(reader._perdoc, doc_count),
    )
    arrays.update(column_arrays(reader._perdoc, reader.schema, doc_count))
    arrays.update(stored_field_arrays(reader))
    return arrays


def field_boosts(schema: Any) -> dict[str, float]:
    """The index-time boost each text field's posting weights carry (divided out here)."""
    return {
        name: (getattr(schema[name].format, "field_boost", 1.0) or 1.0) if name in schema else 1.0
        for name in TEXT_FIELDS
    }


def assemble_arrays(
    doc_count: int,
    collected: dict[str, FieldPostings],
    boosts: dict[str, float],
    coded: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """The arrays file's contents from a segment's text-field postings and length bytes."""
    vocabulary = sorted(set().union(*(collected[name].terms for name in TEXT_FIELDS)))
    term_index = {term: i for i, term in enumerate(vocabulary)}
    width = max(doc_count, 1)
    keys: dict[str, np.ndarray] = {}
    freqs: dict[str, np.ndarray] = {}
    for name in TEXT_FIELDS:
        postings = collected[name]
        rows = np.fromiter((term_index[t] for t in postings.terms), np.int64, len(postings.terms))
        per_posting = np.repeat(rows, np.asarray(postings.counts, dtype=np.int64))
        keys[name] = per_posting * width + np.frombuffer(postings.docs, dtype=np.int64)
        freqs[name] = np.frombuffer(postings.weights, dtype=np.float64) / boosts[name]
    every = np.concatenate([keys[name] for name in TEXT_FIELDS])
    unique, inverse = np.unique(every, return_inverse=True)
    tf = {}
    start = 0
    for name in TEXT_FIELDS:
        column = np.zeros(len(unique), dtype=np.uint16)
        count = len(keys[name])
        column[inverse[start : start + count]] = np.minimum(np.rint(freqs[name]), _MAX_TF)
        tf[name] = column
        start += count
    post_terms = unique // width
    post_docs = (unique % width).astype(np.int32)
    term_offsets = np.zeros(len(vocabulary) + 1, dtype=np.int64)
    np.cumsum(np.bincount(post_terms, minlength=len(vocabulary)), out=term_offsets[1:])

    arrays: dict[str, np.ndarray] = {
        "term_offsets": term_offsets,
        "post_docs": post_docs,
    }
    to_length = _byte_to_length_table()
    for name in TEXT_FIELDS:
        arrays[f"tf_{name}"] = tf[name]
        arrays[f"df_{name}"] = np.bincount(
            post_terms[tf[name] > 0], minlength=len(vocabulary)
        ).astype(np.int32)
        arrays[f"length_{name}"] = np.bincount(
            post_docs, weights=tf[name].astype(np.float64), minlength=doc_count
        ).astype(np.uint32)
        arrays[f"norm_length_{name}"] = to_length[coded[name]]
    order = np.lexsort((post_terms, post_docs))
    arrays["fwd_terms"] = post_terms[order].astype(np.int32)
    both = tf["title"][order].astype(np.uint32) + tf["body"][order]
    arrays["fwd_counts"] = np.minimum(both, _MAX_TF).astype(np.uint16)
    doc_offsets = np.zeros(doc_count + 1, dtype=np.int64)
    np.cumsum(np.bincount(post_docs, minlength=doc_count), out=doc_offsets[1:])
    arrays["doc_offsets"] = doc_offsets
    blob = b"".join(vocabulary)
    arrays["vocab_blob"] = np.frombuffer(blob, dtype=np.uint8) if blob else np.zeros(0, np.uint8)
    vocab_offsets = np.zeros(len(vocabulary) + 1, dtype=np.int64)
    np.cumsum([len(term) for term in vocabulary], out=vocab_offsets[1:])
    arrays["vocab_offsets"] = vocab_offsets
    arrays["doc_count"] = np.array([doc_count], dtype=np.int64)
    return arrays


def _lengths_column() -> Any:
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN

    return LENGTHS_COLUMN


def encode_arrays(arrays: dict[str, np.ndarray]) -> Iterator[bytes]:
    """The arrays file's bytes, header first, in pieces (no copy of the whole file)."""
    directory: dict[str, Any] = {}
    offset = 0
    for name, array in arrays.items():
        offset = -(-offset // _ALIGN) * _ALIGN
        directory[name] = [array.dtype.str, list(array.shape), offset]
        offset += array.nbytes
    text = json.dumps(directory, sort_keys=True).encode("ascii")
    head = _HEADER.pack(_MAGIC, len(text), zlib.crc32(text)) + text
    start = -(-len(head) // _ALIGN) * _ALIGN
    yield head + b"\0" * (start - len(head))
    written = 0
    for name, array in arrays.items():
        at = directory[name][2]
        yield b"\0" * (at - written)
        yield np.ascontiguousarray(array).tobytes()
        written = at + array.nbytes


def write_arrays(storage: Any, segment_id: str, arrays: dict[str, np.ndarray]) -> str:
    """Write a segment's arrays file through the index's storage; returns its file name.

    No temporary name is needed: the segment id is new, and no table of
    contents names the segment until the commit has flushed this file with
    the segment's others (see ``DurableCommits``).
    """
    name = arrays_filename(segment_id)
    stream = storage.create_file(name)
    try:
        for piece in encode_arrays(arrays):
            stream.write(piece)
    finally:
        stream.close()
    return name


@dataclass(frozen=True)
class SegmentArrays:
    """One segment's arrays, mapped read-only from its file."""

    doc_count: int
    term_offsets: np.ndarray
    post_docs: np.ndarray
    tf_title: np.ndarray
    tf_body: np.ndarray
    df_title: np.ndarray
    df_body: np.ndarray
    length_title: np.ndarray
    length_body: np.ndarray
    norm_length_title: np.ndarray
    norm_length_body: np.ndarray
    fwd_terms: np.ndarray
    fwd_counts: np.ndarray
    doc_offsets: np.ndarray
    vocab_blob: bytes
    vocab_offsets: np.ndarray
    published: np.ndarray
    source_codes: np.ndarray
    source_blob: bytes
    source_offsets: np.ndarray
    duplicate_groups: np.ndarray
    story_ids: np.ndarray
    # Read from the stored fields (engine/document_arrays.py); None in arrays files
    # written before they existed, which the readers of these fields allow for.
    author_codes: np.ndarray | None = None
    author_blob: bytes | None = None
    author_offsets: np.ndarray | None = None
    word_blob: bytes | None = None
    word_offsets: np.ndarray | None = None
    word_df: np.ndarray | None = None

    def term_id(self, term: str) -> int:
        """The term's row in this segment's vocabulary, or -1 (binary search over the blob)."""
        return _row_of(self.vocab_blob, self.vocab_offsets, term.encode("utf-8"))

    def source_names(self) -> list[str]:
        """The outlet names the ``source_codes`` point into."""
        return blob_strings(self.source_blob, self.source_offsets)

    def author_names(self) -> list[str]:
        """The author names the ``author_codes`` point into (empty in older files)."""
        if self.author_blob is None or self.author_offsets is None:
            return []
        return blob_strings(self.author_blob, self.author_offsets)

    def typed_words(self) -> list[str]:
        """The segment's typed-word vocabulary, sorted (empty in older files); see ``word_df``."""
        if self.word_blob is None or self.word_offsets is None:
            return []
        return blob_strings(self.word_blob, self.word_offsets)

    def has_typed_word(self, word: str) -> bool | None:
        """Whether a document of the segment holds ``word`` as typed (None: older file).

        A binary search over the sorted typed-word blob, so a query can ask
        without building the merged vocabulary.
        """
        if self.word_blob is None or self.word_offsets is None:
            return None
        return _row_of(self.word_blob, self.word_offsets, word.encode("utf-8")) >= 0

    def term_text(self, term_id: int) -> str:
        """The term at a vocabulary row."""
        start, end = int(self.vocab_offsets[term_id]), int(self.vocab_offsets[term_id + 1])
        return bytes(self.vocab_blob[start:end]).decode("utf-8")


def _row_of(blob: bytes, offsets: np.ndarray, wanted: bytes) -> int:
    """The row of ``wanted`` in a sorted blob of strings (``offsets`` bounding each), or -1."""
    low, high = 0, len(offsets) - 1
    while low < high:
        middle = (low + high) // 2
        if blob[int(offsets[middle]) : int(offsets[middle + 1])] < wanted:
            low = middle + 1
        else:
            high = middle
    if low < len(offsets) - 1 and blob[int(offsets[low]) : int(offsets[low + 1])] == wanted:
        return low
    return -1


_OPTIONAL = (
    "author_codes",
    "author_blob",
    "author_offsets",
    "word_blob",
    "word_offsets",
    "word_df",
)
"""Arrays an older file may lack (see ``SegmentArrays``)."""
_FIELDS = [name for name in SegmentArrays.__dataclass_fields__ if name != "doc_count"]


def load_arrays(folder: str, segment_id: str) -> SegmentArrays:
    """Map a segment's arrays file. Raises ArraysDamaged if it is missing or malformed."""
    path = os.path.join(folder, arrays_filename(segment_id))
    try:
        with open(path, "rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            if size < _HEADER.size:
                raise ArraysDamaged(f"{arrays_filename(segment_id)} is cut short")
            mapped = mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)
    except FileNotFoundError as exc:
        raise ArraysMissing(f"{arrays_filename(segment_id)} is missing") from exc
    magic, length, crc = _HEADER.unpack_from(mapped, 0)
    text = mapped[_HEADER.size : _HEADER.size + length]
    if magic != _MAGIC or len(text) != length or zlib.crc32(text) != crc:
        raise ArraysDamaged(f"{arrays_filename(segment_id)} has a damaged header")
    directory = json.loads(text)
    start = -(-(_HEADER.size + length) // _ALIGN) * _ALIGN
    buffer = memoryview(mapped)
    found: dict[str, Any] = {}
    for name in [*_FIELDS, "doc_count"]:
        if name not in directory:
            if name in _OPTIONAL:
                continue
            raise ArraysDamaged(f"{arrays_filename(segment_id)} has no {name}")
        dtype_text, shape, offset = directory[name]
        dtype = np.dtype(dtype_text)
        count = int(np.prod(shape)) if shape else 1
        begin = start + offset
        if begin + count * dtype.itemsize > size:
            raise ArraysDamaged(f"{arrays_filename(segment_id)} is cut short")
        found[name] = np.frombuffer(buffer, dtype=dtype, count=count, offset=begin)
    found["vocab_blob"] = found["vocab_blob"].tobytes()
    for name in ("source_blob", "author_blob", "word_blob"):
        if name in found:
            found[name] = found[name].tobytes()
    doc_count = int(found.pop("doc_count")[0])
    arrays = SegmentArrays(doc_count=doc_count, **found)
    _check_shapes(arrays, arrays_filename(segment_id))
    return arrays


def _check_shapes(arrays: SegmentArrays, name: str) -> None:
    """Refuse arrays whose parts do not fit together (a damaged or foreign file).

    Cheap whole-array checks (lengths, bounds), so that a damaged file is
    reported as damage when it is opened, not as an IndexError mid-query.
    """
    n = arrays.doc_count
    postings = len(arrays.post_docs)
    terms = len(arrays.vocab_offsets) - 1
    per_doc = (
        arrays.length_title,
        arrays.length_body,
        arrays.norm_length_title,
        arrays.norm_length_body,
        arrays.published,
        arrays.source_codes,
        arrays.duplicate_groups,
        arrays.story_ids,
    )
    problems = [
        len(arrays.term_offsets) != terms + 1,
        any(len(a) != postings for a in (arrays.tf_title, arrays.tf_body)),
        any(len(a) != terms for a in (arrays.df_title, arrays.df_body)),
        any(len(a) != n for a in per_doc),
        len(arrays.doc_offsets) != n + 1,
        len(arrays.fwd_terms) != postings or len(arrays.fwd_counts) != postings,
        terms >= 0 and int(arrays.vocab_offsets[-1]) != len(arrays.vocab_blob),
        int(arrays.term_offsets[-1]) != postings or int(arrays.doc_offsets[-1]) != postings,
        postings > 0 and (int(arrays.post_docs.min()) < 0 or int(arrays.post_docs.max()) >= n),
        postings > 0 and (int(arrays.fwd_terms.min()) < 0 or int(arrays.fwd_terms.max()) >= terms),
        bool(np.any(np.diff(arrays.term_offsets) < 0)),
        bool(np.any(np.diff(arrays.doc_offsets) < 0)),
        bool(np.any(np.diff(arrays.vocab_offsets) < 0)),
        int(arrays.source_offsets[-1]) != len(arrays.source_blob),
        n > 0 and int(arrays.source_codes.max()) >= len(arrays.source_offsets) - 1,
        *_stored_field_problems(arrays),
    ]
    if any(problems):
        raise ArraysDamaged(f"{name} does not hold consistent arrays")


def _stored_field_problems(arrays: SegmentArrays) -> list[bool]:
    """``_check_shapes`` for the arrays read from stored fields, when the file has them."""
    problems: list[bool] = []
    if arrays.author_codes is not None:
        names = len(arrays.author_offsets) - 1 if arrays.author_offsets is not None else 0
        problems += [
            len(arrays.author_codes) != arrays.doc_count,
            arrays.author_offsets is None
            or int(arrays.author_offsets[-1]) != len(arrays.author_blob or b""),
            arrays.doc_count > 0 and int(arrays.author_codes.max()) >= names,
        ]
    if arrays.word_df is not None:
        problems += [
            arrays.word_offsets is None or len(arrays.word_offsets) != len(arrays.word_df) + 1,
            arrays.word_offsets is not None
            and int(arrays.word_offsets[-1]) != len(arrays.word_blob or b""),
        ]
    return problems


def write_segment_arrays(storage: Any, schema: Any, segment: Any) -> None:
    """Build a just-written segment's arrays from its files and write them beside it."""
    from whoosh.reading import SegmentReader

    reader = SegmentReader(storage, schema, segment)
    try:
        write_arrays(storage, segment.segment_id(), build_arrays(reader))
    finally:
        reader.close()


def ensure_arrays(storage: Any, schema: Any, segments: Any) -> None:
    """Give every segment in ``segments`` an arrays file, building any that lacks one.

    Called before a commit's table of contents is written, for the segments it
    adds (new, merged, or written by a worker process that already built its own).
    """
    for segment in segments:
        if not storage.file_exists(arrays_filename(segment.segment_id())):
            write_segment_arrays(storage, schema, segment)


def arrays_mismatches(folder: str, reader: Any) -> list[str]:
    """Where the arrays files differ from the committed segments they describe (empty: none).

    ``reader`` is a Whoosh reader of the index in ``folder``. Each segment's
    arrays are rebuilt from the segment's own files and compared whole: how
    the crash tests check that a killed writer never leaves arrays that
    disagree with what was committed.
    """
    problems: list[str] = []
    for segment_reader, _offset in reader.leaf_readers():
        segment_id = segment_reader.segment().segment_id()
        try:
            stored = load_arrays(folder, segment_id)
        except ArraysDamaged as exc:
            problems.append(str(exc))
            continue
        for name, expected in build_arrays(segment_reader).items():
            found: Any = getattr(stored, name) if name != "doc_count" else [stored.doc_count]
            if isinstance(found, bytes):
                found = np.frombuffer(found, dtype=np.uint8)
            if not np.array_equal(np.asarray(found), expected):
                problems.append(f"{arrays_filename(segment_id)}: {name} differs from the segment")
    return problems
