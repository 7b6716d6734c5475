"""Text the index can store and print as UTF-8, whatever bytes it came from.

Python decodes a file name that is not UTF-8 with its odd bytes as lone
surrogates, and JSON's ``"\\ud800"`` escape yields one too. Such strings
are not text: UTF-8 cannot encode them, so neither the index nor a JSON
encoder accepts them. This module finds them and gives paths a safe form.
It imports nothing heavy, so writing and searching can use it freely.
"""

from __future__ import annotations

import os
import re

_SURROGATE = re.compile("[\ud800-\udfff]")


def path_text(path: str | os.PathLike[str]) -> str:
    """The path as text that can be stored and printed: ``b"bad\\xff.txt"`` -> ``"bad%FF.txt"``.

    Python decodes the bytes of a non-UTF-8 file name to lone surrogates,
    which no index, terminal or JSON encoder accepts; each becomes ``%XX``
    (its byte, as in URLs), so the text is stable across runs. Other paths
    come back unchanged.
    """
    text = os.fspath(path)
    if not _SURROGATE.search(text):
        return text
    return _SURROGATE.sub(_percent, text)


def has_surrogate(text: str) -> bool:
    """Whether ``text`` holds a lone surrogate (half a UTF-16 pair): not text, cannot be stored."""
    return _SURROGATE.search(text) is not None


def _percent(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte os.fsdecode could not decode
        return f"%{code - 0xDC00:02X}"
    return "".join(f"%{byte:02X}" for byte in match.group().encode("utf-8", "surrogatepass"))
