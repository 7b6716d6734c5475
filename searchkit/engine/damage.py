"""Which errors mean a damaged index: the one mapping from Whoosh's read errors to
IndexCorruptError.

Whoosh reports wrong bytes in an index as many unrelated exception types; a
bug in searchkit can raise the same types. Only the engine applies this
mapping (``reported_as_damage`` for searches, the writer for what it reads),
so the layers above it see either searchkit's own errors or the bug itself.
"""

from __future__ import annotations

import contextlib
import logging
import pickle
import struct
import zlib
from collections.abc import Iterator

from whoosh.reading import CorruptIndexError, TermNotFound

from searchkit.engine.arrays import ArraysDamaged
from searchkit.errors import IndexCorruptError, SearchkitError

log = logging.getLogger("searchkit")

READ_DAMAGE: tuple[type[Exception], ...] = (
    OSError,
    EOFError,
    struct.error,
    zlib.error,
    pickle.UnpicklingError,
    # Whoosh stores metadata as pickles: a flipped byte can make unpickling
    # import a module or look up a codec that does not exist.
    ImportError,
    LookupError,
    CorruptIndexError,
    TermNotFound,
    ValueError,
    TypeError,
    AttributeError,
    AssertionError,
    OverflowError,
    UnicodeDecodeError,
)
"""What Whoosh raises when the bytes it reads from an index are wrong: each of these,
raised while reading an index, is reported as IndexCorruptError (see is_read_damage)."""

_READING_MODULES = (
    "whoosh",
    "searchkit.engine.storage",
    "searchkit.engine.arrays",
    "searchkit.engine.durable",
    "searchkit.engine.unpickling",
    "searchkit.engine.wildcards",
)
"""Code that reads index files: an error whose last frame of ours or Whoosh's is here
came from the index's bytes, any other is a bug in the code that raised it. Named one by
one: the engine's other modules (analysis, ranking, query trees) run our own logic, and
an error there is a bug, as it was before they moved into the engine."""


def is_read_damage(error: BaseException) -> bool:
    """Whether ``error`` came from reading index files, not from a bug of ours.

    A KeyError in snippet building or ranking is a bug; telling the user to
    rebuild the index would not help them. So an error counts as damage only
    if it is of a READ_DAMAGE kind and the innermost frame that belongs to
    Whoosh or searchkit (frames of the standard library below it, such as
    pickle or zlib, are skipped) is in the code that reads index files.
    """
    if not isinstance(error, READ_DAMAGE):
        return False
    innermost = None
    traceback = error.__traceback__
    while traceback is not None:
        module = str(traceback.tb_frame.f_globals.get("__name__", ""))
        if module.split(".")[0] in ("whoosh", "searchkit"):
            innermost = module
        traceback = traceback.tb_next
    if innermost is None:
        return False
    return any(innermost == m or innermost.startswith(m + ".") for m in _READING_MODULES)


@contextlib.contextmanager
def reported_as_damage(index_dir: str) -> Iterator[None]:
    """Inside the block, an error from reading index files becomes IndexCorruptError.

    searchkit's own errors pass unchanged, and so does any error that
    ``is_read_damage`` says came from our code, not from the index's bytes.
    """
    try:
        yield
    except SearchkitError:
        raise
    except ArraysDamaged as exc:
        log.debug("an arrays file is damaged", exc_info=True)
        raise IndexCorruptError(index_dir, str(exc)) from exc
    except READ_DAMAGE as exc:
        if not is_read_damage(exc):
            raise
        log.debug("reading the index failed; reporting it as damage", exc_info=True)
        raise IndexCorruptError(index_dir, f"{type(exc).__name__}: {exc}") from exc
