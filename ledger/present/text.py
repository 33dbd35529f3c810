"""Text that came from a source, made safe to show: one function per medium (STYLE.md 14).

Stored text (titles, phrases, names, units, quotes, statements, reasons, URLs)
is data, never markup and never terminal commands. ``visible`` is the one
rule: every character that could act on the medium instead of being shown
(``UNSAFE``: C0 controls but the newline, DEL, C1 controls, the bidi
embeddings, overrides and isolates, lone surrogates and the two
noncharacters XML forbids) becomes a visible escape as Python writes it
(``\\t``, ``\\r``, ``\\x1b``, ``\\u202e``). The functions below apply it, then
quote for their medium:

- ``terminal``: a plain string for click.echo and error messages;
- ``json_text``: a JSON document as ``json.dumps`` wrote it, with the
  characters it leaves raw (DEL, C1, bidi controls, lone surrogates) turned
  into ``\\u`` escapes of four hex digits: the same data, exactly, and
  safe to print;
- ``rich_text``: a ``rich.text.Text``, which rich never parses as markup;
- ``html_text`` / ``html_inline``: escaped for HTML and XML (attributes
  and the text of ``<title>``), and the same wrapped in ``<bdi>`` so that
  right-to-left text cannot reorder what surrounds it;
- ``svg_inline``: escaped, in a ``<tspan>`` with bidi isolation;
- ``chart_text``: for matplotlib, which must also be given
  ``CHART_TEXT`` (no mathtext, no TeX) on every Text artist of stored text.

Backslashes are not doubled, so text that spells ``\\x1b`` looks like an
escaped control; the exact text is in ``--json`` and the log itself.
"""

from __future__ import annotations

import html
import re
from typing import Any

from rich.text import Text

__all__ = [
    "CHART_TEXT",
    "UNSAFE",
    "chart_text",
    "clipped",
    "clipped_middle",
    "html_inline",
    "html_text",
    "json_text",
    "rich_text",
    "svg_inline",
    "terminal",
    "visible",
]

#: Characters never shown raw: they move the cursor, clear the screen, set a
#: window title or a hidden link (ESC, OSC, CSI in C0 and C1), reorder text
#: (bidi controls), cannot be encoded (lone surrogates), or make XML malformed.
UNSAFE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)
_UNSAFE_OR_NEWLINE = re.compile(UNSAFE.pattern[:-1] + "\n]")

#: Text properties for every matplotlib Text artist made from stored text:
#: "$5 and $10" stays dollars, never mathtext; never TeX.
CHART_TEXT: dict[str, Any] = {"parse_math": False, "usetex": False}


def clipped(text: str, limit: int) -> str:
    """The text, or its start and "…" in limit characters (at least 2) when it is longer."""
    return text if len(text) <= limit else text[: max(limit - 1, 1)] + "…"


def clipped_middle(text: str, limit: int) -> str:
    """The text, or its start, "…" and its end in limit characters: a slug's end
    (``…/src-0490``) tells sources apart where its start does not."""
    if len(text) <= limit:
        return text
    tail = max(limit // 2, 1)
    return text[: max(limit - tail - 1, 1)] + "…" + text[-tail:]


_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _SHORT:
        return _SHORT[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: object, *, newlines: bool = True) -> str:
    """The text with every UNSAFE character (and newlines unless kept) as a visible escape."""
    value = text if isinstance(text, str) else str(text)
    return (UNSAFE if newlines else _UNSAFE_OR_NEWLINE).sub(_escape, value)


def terminal(text: object) -> str:
    """Text to print on a terminal or in an error line: nothing in it acts on the terminal."""
    return visible(text)


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def json_text(document: str) -> str:
    """A JSON document (from json.dumps) with every UNSAFE character as a \\u escape.

    Outside strings JSON is ASCII, so every such character sits in a string,
    where the escape stands for the very same character: the data is exact.
    """
    return UNSAFE.sub(_json_escape, document)


def rich_text(text: object, style: str = "") -> Text:
    """Text for rich: visible controls, and a Text so that "[sic]" is never markup."""
    return Text(visible(text), style=style)


def html_text(text: object) -> str:
    """Text for HTML or XML: escaped (quotes too, for attributes); well-formed XML."""
    return html.escape(visible(text), quote=True)


def html_inline(text: object) -> str:
    """Text in HTML body content: escaped and isolated in ``<bdi>`` from its neighbours."""
    return f"<bdi>{html_text(text)}</bdi>"


def svg_inline(text: object, attributes: str = "") -> str:
    """Text inside an SVG ``<text>``: escaped, in a ``<tspan>`` with bidi isolation."""
    extra = f" {attributes}" if attributes else ""
    return f'<tspan style="unicode-bidi:isolate"{extra}>{html_text(text)}</tspan>'


def chart_text(text: object) -> str:
    """Text for a matplotlib label; draw it with ``**CHART_TEXT`` as well."""
    return visible(text)
