"""Checkpoints as C2SP tlog-checkpoint notes: parsing, rendering and the default origin.

A ``Checkpoint`` (size, root, origin) prints as an unsigned note; ``split_note``
separates a note's text from its signature lines, checked for syntax only
(``ledger.tamper.signing`` checks the signatures themselves).
"""

from __future__ import annotations

import base64
import binascii
import re

import attrs

from ledger import merkle
from ledger.errors import InvalidProof
from ledger.stores.urls import ledger_name

__all__ = ["Checkpoint", "origin_for", "split_note"]

_DECIMAL = re.compile(r"0|[1-9][0-9]*")
#: Go's unicode.IsSpace, which sumdb/note uses for names: not Python's \s (which
#: also takes \x1c-\x1f).
GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_SIGNATURE_LINE = re.compile(f"\u2014 ([^{GO_SPACE}+]+) ([^{GO_SPACE}]+)")
# As Go's note.Open: no C0 control but the newline; DEL and the rest of Unicode are text.
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_MAX_SIGNATURES = 100
# What a default origin leaves out of a file name: what a key name may not hold (spaces,
# '+'), and what would act on a terminal when the note is printed.
_NOT_IN_NAME = re.compile(
    f"[{GO_SPACE}+\\x00-\\x1f\\x7f-\\x9f\\u202a-\\u202e\\u2066-\\u2069\\ud800-\\udfff]+"
)
#: The largest tree size: Go's tlog reads the size as an int64.
MAX_SIZE = 2**63 - 1


# -- field validators, shared with ledger.tamper.receipts --------------------------


def _size(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidProof(f"{attribute.name} must be a non-negative integer, not {value!r}")


def _hash(_: object, attribute: attrs.Attribute[bytes], value: bytes) -> None:
    if not isinstance(value, bytes) or len(value) != merkle.HASH_SIZE:
        raise InvalidProof(f"{attribute.name} must be {merkle.HASH_SIZE} bytes, not {value!r}")


def _origin(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value or "\n" in value or _CONTROL.search(value):
        raise InvalidProof(f"{attribute.name} must be one non-empty line, not {value!r}")
    if _SURROGATE.search(value):
        raise InvalidProof(f"{attribute.name} {value!r} is not valid Unicode text (UTF-8)")


# -- the checkpoint and its note ------------------------------------------------


@attrs.frozen
class Checkpoint:
    """The size and Merkle root of the log at one moment: a C2SP tlog-checkpoint."""

    size: int = attrs.field(validator=_size)
    root: bytes = attrs.field(validator=_hash)
    origin: str = attrs.field(default="claims-ledger", validator=_origin)

    def to_note(self) -> str:
        """The unsigned note: origin, decimal size and base64 root, one per line."""
        return f"{self.origin}\n{self.size}\n{_b64(self.root)}\n"

    @classmethod
    def from_note(cls, text: str) -> Checkpoint:
        """Parse a note, its signatures checked for syntax only; InvalidProof names the line."""
        body, _ = split_note(text)
        lines = body.split("\n")[:-1]
        # Check line by line, so the message names the first line that is wrong.
        for number, line in enumerate(lines, 1):
            if number == 1 and not line:
                raise InvalidProof("checkpoint line 1: the origin is empty")
            if number == 2 and not _DECIMAL.fullmatch(line):
                raise InvalidProof(
                    f"checkpoint line 2: tree size {_short(line)} is not a decimal without "
                    "leading zeros"
                )
            # Checked before int(), which refuses 4,300 digits with a ValueError.
            if number == 2 and (len(line) > len(str(MAX_SIZE)) or int(line) > MAX_SIZE):
                raise InvalidProof(
                    f"checkpoint line 2: tree size {_short(line)} is larger than 2^63 - 1"
                )
            if number == 3:
                digest = _unb64(line, "checkpoint line 3: root hash")
                if len(digest) != merkle.HASH_SIZE or _b64(digest) != line:
                    raise InvalidProof(f"checkpoint line 3: {line!r} is not the base64 of 32 bytes")
            # Extension lines (4 on) are opaque, as C2SP allows, but must not be empty.
            if number > 3 and not line:
                raise InvalidProof(f"checkpoint line {number}: an empty line")
        if len(lines) < 3:
            wanted = ("the origin", "the tree size", "the root hash")[len(lines)]
            raise InvalidProof(f"checkpoint line {len(lines) + 1}: {wanted} is missing")
        return cls(int(lines[1]), base64.b64decode(lines[2]), lines[0])


def split_note(text: str) -> tuple[str, tuple[tuple[str, bytes], ...]]:
    """A note's text and its (key name, signature bytes) lines, checked for syntax only."""
    if not isinstance(text, str):
        raise InvalidProof(f"a note must be text, not {type(text).__name__}")
    if not text:
        raise InvalidProof("the note is empty")
    for number, line in enumerate(text.split("\n"), 1):
        if _CONTROL.search(line):
            raise InvalidProof(f"note line {number}: control character (use \\n line endings)")
        if _SURROGATE.search(line):
            raise InvalidProof(f"note line {number}: not valid Unicode text (UTF-8)")
    if not text.endswith("\n"):
        raise InvalidProof("the note does not end with a newline")
    cut = text.rfind("\n\n")
    if cut < 0:
        return text, ()
    body, tail = text[: cut + 1], text[cut + 2 :]
    first = body.count("\n") + 2
    if not tail:
        raise InvalidProof(f"note line {first - 1}: a blank line with no signature after it")
    signatures: list[tuple[str, bytes]] = []
    for number, line in enumerate(tail[:-1].split("\n"), first):
        match = _SIGNATURE_LINE.fullmatch(line)
        if match is None:
            raise InvalidProof(f"note line {number}: not a signature line '\u2014 <name> <base64>'")
        blob = _unb64(match.group(2), f"note line {number}: signature")
        if len(blob) < 5:
            raise InvalidProof(f"note line {number}: the signature is too short")
        signatures.append((match.group(1), blob))
    if len(signatures) > _MAX_SIGNATURES:
        raise InvalidProof(f"the note has more than {_MAX_SIGNATURES} signatures")
    return body, tuple(signatures)


def origin_for(url: str, first_leaf_hash: bytes | None = None) -> str:
    """The default origin of a ledger: ``claims-ledger/<name>/<id>``.

    The name is ``ledger.stores.urls.ledger_name``'s: its file's stem, its
    PostgreSQL ``?ledger=`` name, or ``memory``; the id is the
    first 12 hex digits of the leaf hash of record 1, so two ledgers of the same
    name have different origins. An empty ledger has no id yet: its origin is
    ``claims-ledger/<name>`` until its first record.
    """
    name = ledger_name(url)
    # An origin that is also a valid key name lets the signing key be named after it.
    origin = "claims-ledger/" + (_NOT_IN_NAME.sub("-", name) or "ledger")
    return origin if first_leaf_hash is None else f"{origin}/{first_leaf_hash.hex()[:12]}"


def _short(text: str, limit: int = 24) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


# -- base64, as notes write hashes and signatures -----------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidProof(f"{what} {text!r} is not base64") from None
