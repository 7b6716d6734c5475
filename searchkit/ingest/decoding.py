"""Bytes to text, for files whose encoding nobody wrote down correctly.

Real archives mix UTF-8, UTF-8 with a byte-order mark and Windows-1252, and
sometimes hold binary files with a text suffix. The order of trust is: a BOM,
then the charset the page declares (``<meta charset>``, an XML declaration),
then strict UTF-8, then charset-normalizer's guess. Bytes that are not text at
all raise ``NotTextError`` so the caller can report a clear reason instead of
indexing noise.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from charset_normalizer import from_bytes

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_DECLARED_CHARSET = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([a-z0-9_.:-]{1,40})"""
    rb"""|<\?xml[^>]{0,100}?encoding\s*=\s*["']([a-z0-9_.:-]{1,40})""",
    re.IGNORECASE,
)
_SNIFF_BYTES = 8192
_NUL_SHARE_OF_BINARY = 0.01
_BAD_SHARE_OF_GARBAGE = 0.05
_WESTERN_SINGLE_BYTE = re.compile(r"^(cp125\d|windows-125\d|latin|iso8859|iso-8859|mac_|ascii)")
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


class NotTextError(ValueError):
    """The bytes are not text in any encoding we can trust (binary or garbage)."""


def decode_bytes(data: bytes, *, markup: bool = False, charset: str | None = None) -> str:
    """Decode file contents to clean text, or raise NotTextError saying why not.

    ``markup`` enables looking for a declared charset in the first 8 KB, as
    browsers do for HTML. Windows-1252 stands in for Latin-1 and ASCII labels
    (the WHATWG rule), and a page declaring a Western single-byte charset that
    is in fact valid UTF-8 is read as UTF-8: mislabelled UTF-8 is common, while
    Windows-1252 text that happens to be valid multi-byte UTF-8 is vanishingly
    rare. NUL and other control characters are removed from the result.
    ``charset`` is one the transport stated (an HTTP ``Content-Type``): as in
    browsers, it outranks what the page itself declares.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return strip_control_characters(data[len(bom) :].decode(encoding, errors="replace"))
    head = data[:_SNIFF_BYTES]
    if head.count(0) > max(1, len(head) * _NUL_SHARE_OF_BINARY):
        raise NotTextError("looks like a binary file (many NUL bytes), not text")
    declared = _encoding_of_label(charset) if charset else None
    if declared is None and markup:
        declared = _declared_encoding(head)
    text = _decode_declared(data, declared) if declared else None
    if text is None:
        text = _decode_utf8(data)
    if text is None:
        text = _decode_guessed(data)
    return strip_control_characters(text)


def strip_control_characters(text: str) -> str:
    """Remove NUL, other C0 control characters and lone surrogates (keeping tab and newlines).

    They carry no meaning in prose, and lone surrogates cannot be encoded, so
    dropping them keeps every later step (parser, index, JSON output) safe.
    """
    return _CONTROL_CHARACTERS.sub("", text)


def _declared_encoding(head: bytes) -> str | None:
    match = _DECLARED_CHARSET.search(head)
    if not match:
        return None
    return _encoding_of_label((match.group(1) or match.group(2) or b"").decode("ascii", "ignore"))


def _encoding_of_label(label: str) -> str | None:
    """The codec a charset label names (WHATWG: Latin-1 and ASCII read as Windows-1252)."""
    label = label.strip().strip("\"'").lower()
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    if name in ("latin-1", "iso8859-1", "ascii", "us-ascii"):
        return "cp1252"
    if name.startswith(("utf-16", "utf-32")):
        return None  # a page that says UTF-16 in ASCII bytes is not UTF-16
    return name


def _decode_declared(data: bytes, encoding: str) -> str | None:
    if _WESTERN_SINGLE_BYTE.match(encoding):
        as_utf8 = _decode_utf8(data)
        if as_utf8 is not None:
            return as_utf8
    try:
        return data.decode(encoding, errors="replace")
    except (LookupError, ValueError):
        return None


def _decode_utf8(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _decode_guessed(data: bytes) -> str:
    best = from_bytes(data).best()
    guess = best.encoding if best is not None else None
    if guess is not None and not guess.startswith(("utf_16", "utf_32")):
        if _WESTERN_SINGLE_BYTE.match(guess.replace("_", "-")) and _fits_cp1252(data):
            guess = "cp1252"  # short texts fool the detector between Western code pages
        text = data.decode(guess, errors="replace")
        if not _looks_like_garbage(text):
            return text
    if _fits_cp1252(data):
        text = data.decode("cp1252")
        if not _looks_like_garbage(text):
            return text
    if _control_share(data[:_SNIFF_BYTES]) > _BAD_SHARE_OF_GARBAGE:
        raise NotTextError("looks like a binary file (control bytes), not text")
    raise NotTextError(
        "undecodable: not valid text in UTF-8, Windows-1252 or a detectable encoding"
    )


def _control_share(head: bytes) -> float:
    controls = sum(1 for byte in head if byte < 0x20 and byte not in (0x09, 0x0A, 0x0D))
    return controls / len(head) if head else 0.0


def _fits_cp1252(data: bytes) -> bool:
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True


def _looks_like_garbage(text: str) -> bool:
    sample = text[:_SNIFF_BYTES]
    if not sample:
        return False
    bad = sum(
        1
        for char in sample
        if char == "\ufffd"
        or (unicodedata.category(char) in ("Cc", "Co", "Cn", "Cs") and char not in "\t\n\r")
    )
    return bad > len(sample) * _BAD_SHARE_OF_GARBAGE
