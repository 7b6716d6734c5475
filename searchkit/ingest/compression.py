"""Gzipped files, unpacked with a bound on what they may unpack to.

A gzip "bomb" of a few kilobytes unpacks to gigabytes; unpacking stops as
soon as the output passes the limit, so such a file costs at most the limit
in memory and becomes one clear failure. Files of several gzip members (as
``cat a.gz b.gz`` or some crawlers write) are read member after member.
"""

from __future__ import annotations

import zlib

from searchkit.errors import IngestError

_GZIP_WINDOW = 16 + zlib.MAX_WBITS
"""zlib's window-bits value that selects the gzip container (header and CRC checked)."""

_CHUNK = 1024 * 1024


class UnpackError(ValueError):
    """A gzipped file that is damaged, truncated or unpacks to more than allowed."""


def gunzip_limited(data: bytes, limit: int) -> bytes:
    """The unpacked content of gzipped ``data``; UnpackError when it is not gzip, is
    damaged or truncated, or would unpack to more than ``limit`` bytes."""
    if not data.startswith(b"\x1f\x8b"):
        raise UnpackError("named .gz but not gzip data")
    out = bytearray()
    rest = data
    while rest:
        inflater = zlib.decompressobj(_GZIP_WINDOW)
        pending = rest
        while pending:
            try:
                piece = inflater.decompress(pending, limit + 1 - len(out))
            except zlib.error as exc:
                raise UnpackError(f"damaged gzip data ({exc})") from None
            out += piece
            if len(out) > limit:
                limit_mb = limit // (1024 * 1024)
                raise UnpackError(
                    f"unpacks to more than {limit_mb} MB (the limit for one file); "
                    f"unpack and split it"
                )
            pending = inflater.unconsumed_tail
            if inflater.eof:
                break
        if not inflater.eof:
            raise UnpackError("the gzip data is cut short (truncated file)")
        rest = inflater.unused_data
        if rest and not rest.startswith(b"\x1f\x8b"):
            break  # trailing padding after the last member, as some tools write
    return bytes(out)


def unpack_or_raise(data: bytes, limit: int, where: str) -> bytes:
    """``gunzip_limited`` for the reader: its problems as IngestError naming ``where``."""
    try:
        return gunzip_limited(data, limit)
    except UnpackError as exc:
        raise IngestError(where, str(exc)) from None


def gzip_complete(data: bytes) -> bool:
    """Whether every gzip member in ``data`` is whole (a cut-off file ends mid-member).

    Unpacks in small pieces and keeps nothing, so an archive of any size
    costs little memory; warcio itself reads a cut member as if it ended there.
    """
    rest = data
    while rest:
        inflater = zlib.decompressobj(_GZIP_WINDOW)
        pending = rest
        try:
            while pending and not inflater.eof:
                inflater.decompress(pending, _CHUNK)
                pending = inflater.unconsumed_tail
        except zlib.error:
            return False
        if not inflater.eof:
            return False
        rest = inflater.unused_data
        if rest and not rest.startswith(b"\x1f\x8b"):
            return True  # trailing padding after the last member
    return True
