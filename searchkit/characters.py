"""Characters that are unsafe to store or to print, as ordered data with their reasons.

Two sets, each a tuple of (character class, reason) pairs:

* ``TERMINAL_CONTROLS``: characters a terminal obeys instead of showing. Page
  text that holds them can recolour, clear or retitle the user's terminal
  (``ESC [ 2 J``, ``ESC ] 0 ; title BEL``), and a C1 control (U+009B, the
  one-character CSI) does the same without any ESC. The ingester removes them
  (keeping tab and newline in bodies) and every human output of the CLI
  replaces any that remain, e.g. in an index built before they were removed.
* ``INVISIBLE_CHARACTERS``: format characters that print as nothing, or that
  reorder the letters around them, so two strings look the same but differ
  (``BBC\\u200b News`` is not ``BBC News``) or a title reads backwards from
  what it says. The ingester removes them from the one-line fields: id, title,
  outlet, author and URL. Bodies keep them, since joiners and direction marks
  carry meaning in Persian, Indic and Hebrew text.

This module imports nothing heavy, so the CLI can use it on the query path.
"""

from __future__ import annotations

import re

TERMINAL_CONTROLS: tuple[tuple[str, str], ...] = (
    ("\x00-\x08", "C0 controls (NUL, BEL, backspace): no meaning in prose; BEL ends OSC"),
    ("\t", "tab: kept in bodies, a plain space in one-line fields"),
    ("\n", "newline: kept in bodies between lines, a plain space in one-line fields"),
    ("\x0b-\x0c", "vertical tab, form feed: page breaks of old printers, not text"),
    ("\r", "carriage return: moves the cursor back, so later text overwrites a printed line"),
    ("\x0e-\x1a", "C0 shift and device controls: switch terminal character sets"),
    ("\x1b", "ESC: starts every terminal escape sequence (colour, clear screen, title)"),
    ("\x1c-\x1f", "C0 separators: data framing, not text"),
    ("\x7f", "DEL: erases on some terminals"),
    ("\x80-\x9f", "C1 controls: U+009B is CSI and U+009D is OSC by themselves on many terminals"),
)

KEPT_IN_BODIES = "\t\n"
"""Of the controls above, the ones a body keeps: they lay out paragraphs and tables."""

DIRECTION_CONTROLS: tuple[tuple[str, str], ...] = (
    ("\u202a-\u202e", "direction embeddings and overrides: U+202E shows the rest reversed"),
    ("\u2066-\u2069", "direction isolates: reorder what follows, as overrides do"),
)

INVISIBLE_CHARACTERS: tuple[tuple[str, str], ...] = (
    ("\u200b", "zero width space: splits a name invisibly (BBC\\u200b News)"),
    ("\u200c-\u200d", "zero width non-joiner and joiner: invisible, so look-alike names differ"),
    ("\u200e-\u200f", "left-to-right and right-to-left marks: invisible direction hints"),
    *DIRECTION_CONTROLS,
    ("\u2060-\u2064", "word joiner and invisible operators: print as nothing"),
    ("\ufeff", "zero width no-break space (a byte-order mark inside text): prints as nothing"),
)

REPLACEMENT = "\ufffd"
"""What a human output shows in place of a terminal control: visible, and harmless."""


def _character_class(pairs: tuple[tuple[str, str], ...], *, keep: str = "") -> re.Pattern[str]:
    members = "".join(chars for chars, _reason in pairs if chars not in keep)
    return re.compile(f"[{members}]")


_CONTROLS = _character_class(TERMINAL_CONTROLS)
_CONTROLS_BUT_LAYOUT = _character_class(TERMINAL_CONTROLS, keep=KEPT_IN_BODIES)
_INVISIBLE = _character_class(INVISIBLE_CHARACTERS)
_UNSAFE_ON_SCREEN = _character_class(TERMINAL_CONTROLS + DIRECTION_CONTROLS, keep=KEPT_IN_BODIES)
_LINE_BREAKS = re.compile(r"\r\n?")


def clean_line(text: str) -> str:
    """One-line field text (title, outlet, author) with nothing unsafe or invisible left.

    Controls that are whitespace (tab, newline) become spaces, since they
    separate words; the others go, as do invisible characters; runs of
    whitespace become one space. What is stored is exactly what a reader sees.
    """
    visible = _INVISIBLE.sub("", _CONTROLS.sub(_space_or_nothing, text))
    return " ".join(visible.split())


def _space_or_nothing(match: re.Match[str]) -> str:
    return " " if match.group().isspace() else ""


def clean_token(text: str) -> str:
    """An id or URL with controls and invisible characters removed and the ends trimmed.

    Unlike ``clean_line`` inner spaces are kept as they are: an id is compared
    exactly, and only the characters nobody can see or type are taken out.
    """
    return _INVISIBLE.sub("", _CONTROLS.sub("", text)).strip()


def clean_body(text: str) -> str:
    """Body text without terminal controls; tab and newline stay (``\\r\\n`` becomes ``\\n``)."""
    return _CONTROLS_BUT_LAYOUT.sub("", _LINE_BREAKS.sub("\n", text))


def without_invisible(text: str) -> str:
    """``text`` without the invisible characters, e.g. to compare outlet names as they look."""
    return _INVISIBLE.sub("", text)


def terminal_safe(text: str) -> str:
    """``text`` ready for a terminal: controls (but tab and newline) and direction
    overrides show as U+FFFD.

    Replaced one for one rather than removed, so a reader sees that something
    was there and character offsets (highlight spans) stay valid. Direction
    controls are included because terminals that lay out right-to-left text
    obey them, which would let a stored title print reversed.
    """
    return _UNSAFE_ON_SCREEN.sub(REPLACEMENT, text)
