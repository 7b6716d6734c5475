"""Unit tests for searchkit.ingest.decoding: bytes in any common encoding become clean text."""

from __future__ import annotations

import codecs

import pytest

from searchkit.ingest.decoding import NotTextError, decode_bytes, strip_control_characters

SAMPLE = "Café talks: “border security” — naïve résumé, 10 € fee."


def test_plain_utf8() -> None:
    assert decode_bytes(SAMPLE.encode("utf-8")) == SAMPLE


def test_utf8_with_bom_loses_the_bom() -> None:
    assert decode_bytes(codecs.BOM_UTF8 + SAMPLE.encode("utf-8")) == SAMPLE


def test_utf16_with_bom() -> None:
    assert decode_bytes(codecs.BOM_UTF16_LE + SAMPLE.encode("utf-16-le")) == SAMPLE


def test_windows_1252_without_declaration_is_detected() -> None:
    text = SAMPLE + " The quick brown fox jumps over the lazy dog."
    assert decode_bytes(text.encode("cp1252")) == text


def test_declared_charset_is_honoured() -> None:
    page = f'<html><head><meta charset="windows-1252"></head><body>{SAMPLE}</body></html>'
    assert SAMPLE in decode_bytes(page.encode("cp1252"), markup=True)


def test_latin1_label_means_windows_1252() -> None:
    page = '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">“quoted”'
    assert "“quoted”" in decode_bytes(page.encode("cp1252"), markup=True)


def test_mislabelled_utf8_is_read_as_utf8() -> None:
    page = f'<meta charset="iso-8859-1"><p>{SAMPLE}</p>'
    assert SAMPLE in decode_bytes(page.encode("utf-8"), markup=True)


def test_other_declared_charset() -> None:
    page = '<meta charset="koi8-r"><p>Привет мир</p>'
    assert "Привет мир" in decode_bytes(page.encode("koi8-r"), markup=True)


def test_unknown_declared_charset_falls_back_to_detection() -> None:
    page = f'<meta charset="no-such-charset"><p>{SAMPLE}</p>'
    assert SAMPLE in decode_bytes(page.encode("utf-8"), markup=True)


def test_nul_heavy_bytes_are_binary() -> None:
    with pytest.raises(NotTextError, match="binary"):
        decode_bytes(b"\x00\x01\x02\x00" * 200)


def test_a_stray_nul_byte_is_dropped() -> None:
    assert decode_bytes(b"x" * 500 + b"\x00" + b"y") == "x" * 500 + "y"


def test_invalid_utf8_sequences_never_crash() -> None:
    data = b"Hello \xff\xfe\xc3 world, caf\xe9 and \x81 more text here to read."
    assert "Hello" in decode_bytes(data)


def test_random_garbage_is_not_text() -> None:
    garbage = bytes(range(0x80, 0x100)) * 20
    with pytest.raises(NotTextError, match="undecodable"):
        decode_bytes(garbage)


def test_control_byte_noise_is_binary() -> None:
    with pytest.raises(NotTextError, match="binary"):
        decode_bytes(bytes(range(1, 256)) * 20)


def test_strip_control_characters_keeps_whitespace() -> None:
    assert strip_control_characters("a\x00b\x07c\td\ne\r\nf\ud800") == "abc\td\ne\r\nf"
