"""One restricted unpickler for everything Whoosh reads back from an index folder.

Whoosh keeps parts of an index as pickles: the table of contents (TOC) holds the
pickled schema and segment list; segment files hold pickled directories, block
headers, posting blocks and stored fields; the writer spills sorted runs to
pickled temporary files, and the multiprocess writer hands its workers their
documents in pickled job files. Plain unpickling calls whatever a pickle names
(``os.system``, ``eval``...), so opening an index someone else built could run
their code.

How it is enforced. A pickle can only reach a callable through the unpickler's
``find_class`` (the GLOBAL, STACK_GLOBAL and INST opcodes and the extension
registry codes all go through it). ``RestrictedUnpickler.find_class`` returns
only what ``ALLOWED`` lists, the classes Whoosh's own formats and searchkit's
schema need, and raises ``UnsafePickleError`` for anything else, before any
object is built. The storage layer reports that, like any unreadable bytes, as
``IndexCorruptError`` with the usual advice to rebuild.

Why a patch of Whoosh's module references. The unpickling happens deep inside
Whoosh (opening readers, reading postings, merging, in worker processes), long
after any call searchkit makes has returned, so wrapping searchkit's calls
cannot cover it. Every Whoosh module that unpickles binds ``pickle.load`` or
``pickle.loads`` (or the ``pickle`` module) at import, and looks that name up
when it runs; ``install()`` rebinds exactly those names (``PATCHES``) to the
restricted versions, once, from searchkit.engine.storage, before any index is opened.
It is process-wide but touches only Whoosh's module globals, never ``pickle``
itself, and forked worker processes inherit it. ``install()`` refuses to run if
Whoosh no longer binds what it expects, and tests/test_unpickling.py fails if any
Whoosh module holds an unpickler that is neither patched nor in ``UNREACHABLE``.
"""

from __future__ import annotations

import importlib
import io
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any


class UnsafePickleError(pickle.UnpicklingError):
    """An index file names something an index never holds; it was not loaded.

    A subclass of UnpicklingError so that every place which already reports
    unreadable index bytes as damage reports this the same way.
    """


def _empty_bytes(*args: object) -> bytes:
    """``bytes()`` as protocol-2 pickles use it to spell ``b""``, and nothing else.

    The real ``bytes(n)`` allocates ``n`` bytes: a pickle naming it with a
    huge number would exhaust memory. An empty value is all a pickle needs.
    """
    if args:
        raise UnsafePickleError("an index file asks bytes() for more than empty bytes")
    return b""


def _latin1_bytes(text: object, encoding: object = "latin1") -> bytes:
    """``_codecs.encode`` as protocol-2 pickles use it to spell bytes, and nothing else.

    The real function looks codecs up by name, which can import modules; a
    pickle only ever asks it to turn text into latin-1 bytes.
    """
    if type(text) is not str or encoding not in ("latin1", "latin-1"):
        raise UnsafePickleError("an index file asks for an encoding that bytes never need")
    return text.encode("latin-1")


@dataclass(frozen=True)
class Allowed:
    """One global a pickle in an index may name, and why Whoosh needs it."""

    module: str
    name: str
    reason: str
    stand_in: Callable[..., Any] | None = None
    """Returned instead of the named object, when that object can do more than pickles need."""
    moved_to: str = ""
    """The module the object lives in now, for pickles written before it moved there."""


ALLOWED: tuple[Allowed, ...] = (
    # Segment list (TOC) and segment files, read by every open, search and write.
    Allowed("whoosh.codec.whoosh3", "W3Segment", "each entry of the TOC's segment list"),
    Allowed("whoosh.codec.whoosh3", "W3Codec", "the codec each segment records"),
    Allowed("collections", "defaultdict", "a segment's per-field length totals"),
    Allowed("builtins", "int", "the default value of those totals"),
    Allowed(
        "_codecs",
        "encode",
        "bytes as protocol-2 pickles spell them (posting blocks, stored values, job files)",
        stand_in=_latin1_bytes,
    ),
    Allowed(
        "__builtin__",
        "bytes",
        "empty bytes as protocol-2 pickles spell them: ID postings in the runs a writer spills",
        stand_in=_empty_bytes,
    ),
    Allowed("datetime", "datetime", "publication dates in stored fields and job files"),
    # The pickled schema. searchkit always passes its own schema, so only code that
    # opens an index without one (Whoosh's indexing workers, tools) reads it.
    Allowed("__builtin__", "long", "int as protocol-2 pickles name it", stand_in=int),
    Allowed("whoosh.fields", "Schema", "the pickled schema"),
    Allowed("whoosh.fields", "ID", "id, source, url, path and hash fields"),
    Allowed("whoosh.fields", "TEXT", "title, body and author fields"),
    Allowed("whoosh.fields", "DATETIME", "the published field"),
    Allowed("whoosh.fields", "NUMERIC", "the duplicate_group and story_id fields"),
    Allowed("whoosh.formats", "Existence", "postings format of ID fields"),
    Allowed("whoosh.formats", "Positions", "postings format of TEXT fields"),
    Allowed("whoosh.columns", "VarBytesColumn", "sortable ID columns"),
    Allowed("whoosh.columns", "NumericColumn", "the published column"),
    Allowed("whoosh.analysis.tokenizers", "IDTokenizer", "the analyzer of ID fields"),
    Allowed("searchkit.engine.analysis", "NewsAnalyzer", "the analyzer of TEXT fields"),
    Allowed(
        "searchkit.analysis",
        "NewsAnalyzer",
        "the analyzer of TEXT fields, in indexes written before it moved into the engine",
        moved_to="searchkit.engine.analysis",
    ),
    # Not AliasGroup or Variant: the analyzer now pickles its alias groups as lines of text.
    # Indexes written before that still hold them, in the pickled schema searchkit skips.
)
"""Everything a pickle in a searchkit index may name. The classes only store what they
are given when built from a pickle, so naming them runs nothing of the pickle's choosing."""

_BY_NAME = {(entry.module, entry.name): entry for entry in ALLOWED}


def _describe(module: str, name: str) -> str:
    """The refused name, escaped and shortened: it comes from the file, not from searchkit."""
    text = ascii(f"{module}.{name}")
    return text if len(text) <= 80 else text[:77] + "..."


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that builds only the objects in ``ALLOWED``."""

    def find_class(self, module: str, name: str) -> Any:
        """Return the allowed object ``module.name``, or refuse before anything is built."""
        entry = _BY_NAME.get((module, name))
        if entry is None:
            raise UnsafePickleError(
                f"an index file refers to {_describe(module, name)}, which no index holds; "
                f"it was not loaded"
            )
        if entry.stand_in is not None:
            return entry.stand_in
        return getattr(importlib.import_module(entry.moved_to or module), name)


def load(file: IO[bytes]) -> Any:
    """``pickle.load`` through the restricted unpickler (Whoosh passes only the file)."""
    return RestrictedUnpickler(file).load()


def loads(data: bytes) -> Any:
    """``pickle.loads`` through the restricted unpickler."""
    return RestrictedUnpickler(io.BytesIO(data)).load()


class _PickleModule:
    """What Whoosh modules that use ``pickle.load``/``pickle.loads`` see as ``pickle``.

    Loading is restricted; everything else (``dumps``, the exception classes)
    is the real module's.
    """

    Unpickler = RestrictedUnpickler
    load = staticmethod(load)
    loads = staticmethod(loads)

    def __getattr__(self, name: str) -> Any:
        return getattr(pickle, name)


PICKLE_MODULE = _PickleModule()


@dataclass(frozen=True)
class Patch:
    """A Whoosh module global that unpickles, and what Whoosh reads through it."""

    module: str
    attribute: str
    reads: str


PATCHES: tuple[Patch, ...] = (
    Patch("whoosh.index", "pickle", "the TOC: pickled schema and segment list"),
    Patch(
        "whoosh.filedb.structfile",
        "load",
        "read_pickle: compound-file directory, posting and column block headers, term tables",
    ),
    Patch("whoosh.codec.whoosh3", "loads", "posting blocks and inlined postings"),
    Patch("whoosh.columns", "loads", "the stored-fields column"),
    Patch("whoosh.formats", "loads", "the positions of each posting"),
    Patch("whoosh.externalsort", "load", "sorted runs the writer spills to temporary files"),
    Patch("whoosh.multiproc", "pickle", "the job files of documents each worker process reads"),
)

_REPLACEMENTS: dict[str, tuple[object, object]] = {
    # attribute: (what Whoosh binds there, what searchkit binds instead)
    "pickle": (pickle, PICKLE_MODULE),
    "load": (pickle.load, load),
    "loads": (pickle.loads, loads),
}

UNREACHABLE: dict[str, str] = {
    "whoosh.legacy": "reads Whoosh 1.x TOCs, only through whoosh.index.toc_loaders, which "
    "install() empties",
    "whoosh.util.loading": "defines the unrestricted unpickler whoosh.legacy uses",
    "whoosh.codec.whoosh2": "the Whoosh 2 codec: only a segment naming its classes reaches it",
    "whoosh.codec.plaintext": "a debugging codec: only a segment naming its classes reaches it",
    "whoosh.filedb.fileindex": "the Whoosh 1 index: only a TOC naming its classes reaches it",
}
"""Whoosh modules that unpickle but that no searchkit index can reach. (Whoosh 1's other
file modules, which unpickle or unmarshal too, no longer even import.)"""


def install() -> None:
    """Route every unpickling Whoosh does through ``RestrictedUnpickler`` (idempotent).

    Also empties ``whoosh.index.toc_loaders``: the Whoosh 1.x table of contents
    it would read uses an unpickler that imports any name, and searchkit never
    wrote one, so such a TOC is reported as an unreadable index instead.
    """
    for patch in PATCHES:
        module = importlib.import_module(patch.module)
        original, replacement = _REPLACEMENTS[patch.attribute]
        current = getattr(module, patch.attribute, None)
        if current is replacement:
            continue
        if current is not original:
            raise RuntimeError(
                f"{patch.module}.{patch.attribute} is not what searchkit expects from this "
                f"Whoosh version; review searchkit/engine/unpickling.py"
            )
        setattr(module, patch.attribute, replacement)
    setattr(importlib.import_module("whoosh.index"), "toc_loaders", {})  # noqa: B010


def installed() -> bool:
    """Whether every patch is in place (for tests and diagnostics)."""
    return not getattr(importlib.import_module("whoosh.index"), "toc_loaders", None) and all(
        getattr(importlib.import_module(patch.module), patch.attribute, None)
        is _REPLACEMENTS[patch.attribute][1]
        for patch in PATCHES
    )
