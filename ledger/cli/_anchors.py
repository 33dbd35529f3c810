"""Reading the files the tamper-evidence commands check against: notes, receipts, keys.

Each file is UTF-8 text by its format; an error in one names that file. A
checkpoint note's signatures are checked with ``--key``; a signed note without a
key is refused unless ``--no-signature-check`` says to use it unchecked, and the
commands always say which of the three happened (docs/cli.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

import attrs
import click

from ledger.cli._common import CliError
from ledger.errors import LedgerError
from ledger.tamper import Checkpoint, signing, split_note

__all__ = ["Anchor", "about", "checkpoint_file", "read_text", "signature_words"]

#: What was checked of a checkpoint's signatures.
Signature = Literal["verified", "not checked", "unsigned"]


def read_text(path: str) -> str:
    """A note, receipt or key file; CliError naming it when it is not UTF-8."""
    # newline="" keeps a \r for the parsers to refuse: notes end lines with \n only.
    try:
        with open(path, encoding="utf-8", newline="") as file:
            return file.read()
    except UnicodeDecodeError as exc:
        byte = exc.object[exc.start]
        raise CliError(f"{path}: not UTF-8 text (byte {exc.start + 1} is {byte:#04x})") from None


@contextmanager
def about(path: str) -> Iterator[None]:
    """A LedgerError raised in the block names the file it is about, not the store."""
    try:
        yield
    except LedgerError as exc:
        raise CliError(f"{path}: {exc}") from exc


@attrs.frozen
class Anchor:
    """A checkpoint read from a note file, and what was checked of its signatures."""

    checkpoint: Checkpoint
    signature: Signature
    signers: tuple[str, ...]  # the names on its signature lines
    key: str | None = None  # the public key file that verified it


def checkpoint_file(path: str | None, key: str | None, unchecked: bool) -> Anchor | None:
    """The checkpoint of --checkpoint, its signature checked with --key when there is one.

    Without --key, a signed note is an error unless unchecked (--no-signature-check):
    a signature nobody checked proves nothing, and random bytes look like one.
    """
    if path is None:
        for given, option in ((key, "--key"), (unchecked, "--no-signature-check")):
            if given:
                raise click.UsageError(
                    f"{option} needs --checkpoint: it is about the checkpoint's signature"
                )
        return None
    if key is not None and unchecked:
        raise click.UsageError("give --key to check the signature, or --no-signature-check")
    note = read_text(path)
    with about(path):
        _, lines = split_note(note)
    signers = tuple(dict.fromkeys(name for name, _ in lines))
    if key is not None:
        public = read_text(key)
        with about(key):
            signing.public_key_name(public)  # the key file's own faults name the key file
        with about(path):
            return Anchor(signing.verify_note(note, public), "verified", signers, key)
    with about(path):
        found = Checkpoint.from_note(note)
    if signers and not unchecked:
        raise CliError(
            f"{path}: the checkpoint is signed (by {', '.join(signers)}) but no --key was "
            "given, so its signature cannot be checked: give --key PUBFILE, or "
            "--no-signature-check to use the checkpoint unchecked"
        )
    return Anchor(found, "not checked" if signers else "unsigned", signers)


def signature_words(anchor: Anchor) -> str:
    """One plain sentence on what was checked of the checkpoint's signatures."""
    if anchor.signature == "verified":
        return f"the checkpoint's signature verifies with {anchor.key}"
    if anchor.signature == "not checked":
        return (
            "the checkpoint's signatures were NOT checked (--no-signature-check): "
            "nothing shows who wrote it"
        )
    return "the checkpoint carries no signature: nothing shows who wrote it"
