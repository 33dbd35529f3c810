"""Ed25519 signatures on checkpoints: C2SP signed notes with Go sumdb/note key files.

Keys are text, as golang.org/x/mod/sumdb/note writes them, so a checkpoint signed
here verifies with Go's ``note.Open`` and the other way round::

    PRIVATE+KEY+<name>+<key id, 8 hex>+<base64(0x01 || 32-byte seed)>    (keep secret)
    <name>+<key id, 8 hex>+<base64(0x01 || 32-byte public key)>          (publish)

    key id = SHA-256(name || "\\n" || 0x01 || public key)[:4]

A signature line is ``— <name> <base64(key id || 64-byte signature)>`` over the
note text including its final newline. As Go reads them: a key id may be in
upper- or lowercase hex (keys are written in lowercase); a name is non-empty
UTF-8 without Unicode spaces (Go's set) or '+'; note text may hold any character
but the C0 controls other than the newline (DEL included); and signing a note
again with a key replaces that key's line rather than adding a second.

The ``cryptography`` package is an extra (``pip install 'claims-ledger[signing]'``)
and is imported only when a key is used.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import TYPE_CHECKING

import attrs

from ledger.errors import InvalidProof, SignatureError
from ledger.tamper.notes import GO_SPACE, Checkpoint, split_note

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

__all__ = [
    "generate_key",
    "key_id",
    "key_name",
    "open_note",
    "public_key_name",
    "sign",
    "sign_note",
    "verify_note",
]

#: The C2SP signed-note signature type of Ed25519.
ED25519 = 0x01
_KEY_ID = re.compile(r"[0-9a-fA-F]{8}")  # Go parses it with strconv.ParseUint(id, 16, 32)
_NAME_FORBIDDEN = re.compile(f"[{GO_SPACE}+\ud800-\udfff]")


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte key id of an Ed25519 key: SHA-256(name || 0x0A || 0x01 || key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public_key).digest()[:4]


@attrs.frozen
class _Verifier:
    name: str
    id: bytes
    public_key: bytes


@attrs.frozen(repr=False)  # repr=False: the seed must never reach a log or a traceback
class _Signer:
    name: str
    id: bytes
    seed: bytes


def key_name(key_text: str) -> str:
    """The name in a private or public key's text, checked for syntax only."""
    if not isinstance(key_text, str):
        raise SignatureError(f"a key must be text, not {type(key_text).__name__}")
    text = key_text.strip()
    parts = text.removeprefix("PRIVATE+KEY+").split("+", 2)
    if len(parts) != 3:
        raise SignatureError("not a key: expected [PRIVATE+KEY+]<name>+<id>+<key>")
    _check_name(parts[0])
    return parts[0]


def public_key_name(key_text: str) -> str:
    """The name of a public key, checked whole (SignatureError: a private key, a bad id, …)."""
    return _parse_public(key_text).name


def generate_key(name: str) -> tuple[str, str]:
    """A fresh Ed25519 key pair named name, as (private key text, public key text)."""
    _check_name(name)
    if re.search(r"[\x00-\x1f]", name):
        # Go would read such a key, but no note can carry its signature line.
        raise SignatureError(f"key name {name!r} must not hold control characters")
    private = _ed25519()[0].generate()
    seed = private.private_bytes_raw()
    public = private.public_key().public_bytes_raw()
    kid = key_id(name, public).hex()
    return (
        f"PRIVATE+KEY+{name}+{kid}+{_b64(bytes([ED25519]) + seed)}",
        f"{name}+{kid}+{_b64(bytes([ED25519]) + public)}",
    )


def sign(checkpoint: Checkpoint, private_key_text: str) -> str:
    """The checkpoint as a signed note: its text, a blank line and one signature line."""
    return sign_note(checkpoint.to_note(), private_key_text)


def sign_note(note_text: str, private_key_text: str) -> str:
    """Sign a note: its other keys' lines are kept, this key's line is replaced.

    As Go's ``note.Sign``: the lines of other keys first, in their order, then the
    new line; a line of the same name and key id is dropped, never doubled.
    """
    signer = _parse_private(private_key_text)
    text, signatures = _split(note_text)
    key = _private_key(signer)
    line = _signature_line(signer.name, signer.id + key.sign(text.encode()))
    kept = "".join(
        _signature_line(n, s) for n, s in signatures if (n, s[:4]) != (signer.name, signer.id)
    )
    return f"{text}\n{kept}{line}"


def open_note(note_text: str, public_key_text: str) -> str:
    """The text of a note whose signature by the key verifies; SignatureError if none does."""
    verifier = _parse_public(public_key_text)
    text, signatures = _split(note_text)
    _, public_type, invalid_signature = _ed25519()
    public = public_type.from_public_bytes(verifier.public_key)
    # C2SP signed-note: lines of other keys are ignored, but a line that claims to
    # be this key and does not verify condemns the whole note.
    found = False
    for name, blob in signatures:
        if name != verifier.name or blob[:4] != verifier.id:
            continue
        try:
            public.verify(blob[4:], text.encode())
        except invalid_signature:
            raise SignatureError(
                f"the signature by {name!r} does not verify: the note was altered "
                "or signed by another key with the same name"
            ) from None
        found = True
    if not found:
        raise SignatureError(f"the note carries no signature by key {verifier.name!r}")
    return text


def verify_note(note_text: str, public_key_text: str) -> Checkpoint:
    """The checkpoint in a signed note once its signature by the key verifies."""
    return Checkpoint.from_note(open_note(note_text, public_key_text))


def _split(note_text: str) -> tuple[str, tuple[tuple[str, bytes], ...]]:
    try:
        return split_note(note_text)
    except InvalidProof as exc:
        raise SignatureError(str(exc)) from None


def _signature_line(name: str, blob: bytes) -> str:
    return f"\u2014 {name} {_b64(blob)}\n"


def _parse_private(text: str) -> _Signer:
    if not isinstance(text, str):
        raise SignatureError(f"a private key must be text, not {type(text).__name__}")
    parts = text.strip().split("+", 4)
    # Never echo the text: it is a secret, and a wrong file may be one too.
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise SignatureError("not a private key: expected PRIVATE+KEY+<name>+<id>+<key>")
    name, kid, data = parts[2], parts[3], parts[4]
    raw = _key_bytes(name, kid, data, "private")
    signer = _Signer(name, bytes.fromhex(kid), raw)
    public = _private_key(signer).public_key().public_bytes_raw()
    if key_id(name, public) != signer.id:
        raise SignatureError(f"private key {name!r}: its key id does not match the key")
    return signer


def _parse_public(text: str) -> _Verifier:
    if not isinstance(text, str):
        raise SignatureError(f"a public key must be text, not {type(text).__name__}")
    stripped = text.strip()
    if stripped.startswith("PRIVATE+KEY+"):
        raise SignatureError("this is a private key: verify with the .pub file")
    parts = stripped.split("+", 2)
    if len(parts) != 3:
        raise SignatureError("not a public key: expected <name>+<id>+<key>")
    name, kid, data = parts
    raw = _key_bytes(name, kid, data, "public")
    if key_id(name, raw) != bytes.fromhex(kid):
        raise SignatureError(f"public key {name!r}: its key id does not match the key")
    return _Verifier(name, bytes.fromhex(kid), raw)


def _key_bytes(name: str, kid: str, data: str, kind: str) -> bytes:
    _check_name(name)
    if not _KEY_ID.fullmatch(kid):
        raise SignatureError(f"{kind} key {name!r}: key id {kid!r} is not 8 hex digits")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError(f"{kind} key {name!r}: the key is not base64") from None
    if len(raw) != 33 or raw[0] != ED25519:
        raise SignatureError(f"{kind} key {name!r}: not an Ed25519 key (type 0x01, 32 bytes)")
    return raw[1:]


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not name or _NAME_FORBIDDEN.search(name):
        raise SignatureError(f"key name {name!r} must be non-empty, without spaces or '+'")


def _private_key(signer: _Signer) -> Ed25519PrivateKey:
    return _ed25519()[0].from_private_bytes(signer.seed)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _ed25519() -> tuple[type[Ed25519PrivateKey], type[Ed25519PublicKey], type[Exception]]:
    # Lazy: signing is an extra, and reading or verifying a ledger must work without it.
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import (
            Ed25519PrivateKey,
            Ed25519PublicKey,
        )
    except ImportError:
        raise SignatureError(
            "signing needs the cryptography package: pip install 'claims-ledger[signing]'"
        ) from None
    return Ed25519PrivateKey, Ed25519PublicKey, InvalidSignature
