"""Tamper-evidence commands: checkpoint, verify, rebuild, prove, verify-receipt, keygen."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ledger import tamper
from ledger.cli import cli
from ledger.cli._anchors import about, checkpoint_file, read_text, signature_words
from ledger.cli._common import (
    CliError,
    Whole,
    emit_json,
    json_option,
    open_ledger,
    store_argument,
)
from ledger.cli._output import check_output, write_output
from ledger.codec import make_codec
from ledger.errors import InvalidProof
from ledger.facade.audit import audit_read_model, with_audit
from ledger.present.text import UNSAFE, json_text, terminal, visible
from ledger.stores import open_store
from ledger.stores.base import LAST_POSITION
from ledger.stores.urls import redact
from ledger.tamper import Receipt, signing

F = TypeVar("F", bound=Callable[..., Any])

_FILE = click.Path(exists=True, dir_okay=False)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _output(text: str, path: str | None, store: str, *inputs: str | None) -> None:
    """A note or receipt to its -o file (checked, atomic), or to stdout as it is."""
    if path is not None:
        write_output(path, text, stores=[store], inputs=inputs)
        return
    if UNSAFE.search(text):
        # Escaping would change the bytes a signature covers: print it exact or not at all.
        raise CliError(
            "the note holds characters that would act on a terminal "
            f"({', '.join(sorted({visible(c) for c in UNSAFE.findall(text)}))}): "
            "write it to a file with -o"
        )
    click.echo(text, nl=False)


def _no_signature_check(func: F) -> F:
    return click.option(
        "--no-signature-check",
        "unchecked",
        is_flag=True,
        help="Use a signed --checkpoint without checking its signature (say so plainly).",
    )(func)


@cli.command()
@store_argument()
@click.option(
    "--sign",
    "key",
    type=_FILE,
    metavar="KEYFILE",
    help="Sign with this private key file (ledger keygen).",
)
@click.option(
    "--origin",
    help="The note's first line [default: the key's name when signing, "
    "else claims-ledger/<store name>/<id of record 1>].",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the note here.")
def checkpoint(store: str, key: str | None, origin: str | None, output: str | None) -> None:
    """Print STORE's checkpoint: a C2SP note of its origin, size and Merkle root."""
    if output is not None:
        check_output(output, stores=[store], inputs=[key])
    private = None if key is None else read_text(key)
    if origin is None and private is not None:
        # C2SP: the log's key name SHOULD match the origin line.
        with about(key or ""):
            origin = signing.key_name(private)
    with open_ledger(store, read_only=True) as lg:
        # Ledger.checkpoint() takes no origin: the store's checkpoint, with the one asked for.
        found = lg.checkpoint(origin)
    if private is None:
        note = found.to_note()
    else:
        with about(key or ""):
            note = signing.sign(found, private)
    _output(note, output, store, key)


@cli.command()
@store_argument()
@click.option(
    "--checkpoint",
    "note",
    type=_FILE,
    metavar="NOTE",
    help="Also check against this checkpoint note.",
)
@click.option(
    "--key",
    type=_FILE,
    metavar="PUBFILE",
    help="The public key that must have signed --checkpoint.",
)
@_no_signature_check
@click.option(
    "--log-only",
    is_flag=True,
    help="Check the log alone: do not compare the read model with a fold of the log.",
)
@json_option
def verify(
    store: str, note: str | None, key: str | None, unchecked: bool, log_only: bool, as_json: bool
) -> None:
    """Recompute every record's hash and the root of STORE; exit 1 if anything is wrong.

    Names the first position whose bytes, hash or position are wrong. With
    --checkpoint, the log must still hold that checkpoint's records unchanged
    (it may have grown since); a signed checkpoint needs --key to check its
    signature (or --no-signature-check). Damage that stops the store from
    opening is reported the same way. Then, unless --log-only, the read model
    the views are read from is compared with a fold of the whole log: rows
    that do not follow from the records are reported (`ledger rebuild` builds
    it again). Nothing is written.
    """
    anchor = checkpoint_file(note, key, unchecked)
    report = tamper.verify_url(store, anchor.checkpoint if anchor else None)
    if report.ok and not log_only:
        with open_store(store, read_only=True) as opened:
            report = with_audit(report, audit_read_model(opened, make_codec()))
    if as_json:
        emit_json({**report.to_dict(), "signature": anchor.signature if anchor else None})
    else:
        click.echo(terminal(report.summary()))
        if report.root is not None:
            click.echo(
                f"size {report.size}, root {_b64(report.root)} (recomputed from the stored bytes)"
            )
        if report.read_model is not None and report.read_model_agrees is not False:
            click.echo(terminal(f"read model: {report.read_model}"))
        if anchor is not None:
            click.echo(terminal(signature_words(anchor)))
    if not report.ok:
        raise click.exceptions.Exit(1)


@cli.command()
@store_argument()
def rebuild(store: str) -> None:
    """Build STORE's read model again from the first record of its log.

    The views are read from the read model kept beside the log. It is checked
    against the log's head and Merkle root before every use, but rows altered
    while that checkpoint was left alone can only be found by `ledger verify`;
    this command replaces them with a fold of the log.
    """
    with open_ledger(store) as lg:
        folded = lg.rebuild()
    click.echo(terminal(f"{redact(store, store)}: read model built again from {folded} record(s)"))


@cli.command()
@store_argument()
@click.argument("position", type=Whole(1, LAST_POSITION))
@click.option("--size", type=Whole(1, LAST_POSITION), help="The tree size [default: the head].")
@click.option(
    "--origin",
    help="The origin of the checkpoint the receipt is for [default: the ledger's default "
    "origin, as `ledger checkpoint` prints it without --sign or --origin].",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the receipt here.")
def prove(
    store: str, position: int, size: int | None, origin: str | None, output: str | None
) -> None:
    """Print an inclusion receipt (JSON) for the record at POSITION of STORE."""
    if output is not None:
        check_output(output, stores=[store])
    with open_ledger(store, read_only=True) as lg:
        receipt = lg.prove(position, size, origin)
    # The record's text is in the receipt: exact JSON, with controls as \u escapes.
    _output(json_text(receipt.to_json()), output, store)


@cli.command("verify-receipt")
@click.argument("file", type=_FILE)
@click.option(
    "--checkpoint",
    "note",
    type=_FILE,
    metavar="NOTE",
    help="The receipt's root must be this one's.",
)
@click.option(
    "--key",
    type=_FILE,
    metavar="PUBFILE",
    help="The public key that must have signed --checkpoint.",
)
@_no_signature_check
def verify_receipt(file: str, note: str | None, key: str | None, unchecked: bool) -> None:
    """Check an inclusion receipt with the Merkle proof alone; exit 1 if it fails.

    With --checkpoint, the receipt must be for that checkpoint's size, root and
    origin; a signed checkpoint needs --key to check its signature (or
    --no-signature-check).
    """
    anchor = checkpoint_file(note, key, unchecked)
    with about(file):
        receipt = Receipt.from_json(read_text(file))
    try:
        tamper.verify_receipt(receipt, anchor.checkpoint if anchor else None)
    except InvalidProof as exc:
        click.echo(terminal(f"NOT OK: {exc}"))
        raise click.exceptions.Exit(1) from None
    anchored = "" if anchor is None else f", the root of the checkpoint {note}"
    click.echo(
        terminal(
            f"ok: position {receipt.position} is in the tree of size {receipt.size} "
            f"with root {_b64(receipt.root)}{anchored}"
        )
    )
    if anchor is None:
        click.echo(
            "no --checkpoint: the proof shows the record is under this root, as the receipt "
            "states it and its size; not whose, nor that the log had that size"
        )
    else:
        click.echo(terminal(signature_words(anchor)))


@cli.command()
@click.argument("name")
@click.option(
    "-o",
    "--output",
    "prefix",
    required=True,
    metavar="PREFIX",
    help="Write PREFIX.key and PREFIX.pub.",
)
def keygen(name: str, prefix: str) -> None:
    """Make an Ed25519 key pair NAME for signing checkpoints (C2SP signed-note keys).

    Name the key after the ledger's origin, e.g. example.org/kursk-ledger.
    PREFIX.key is private (mode 0600); publish PREFIX.pub.
    """
    if not os.path.basename(prefix) or os.path.isdir(prefix):
        # "keys/" would write keys/.key and keys/.pub, files ls does not show.
        what = "names no file" if not prefix else "is a directory"
        raise CliError(
            terminal(f"-o {prefix!r}: {what}, not a prefix (give DIR/NAME for NAME.key)")
        )
    private, public = signing.generate_key(name)
    key_path, pub_path = Path(prefix + ".key"), Path(prefix + ".pub")
    for path in (key_path, pub_path):
        check_output(path)
        if path.exists():
            raise CliError(terminal(f"{path} exists: refusing to overwrite a key"))
    # Created 0600 from the start (a chmod after writing leaves a window), linked into
    # place only once whole, and never over an existing file.
    try:
        write_output(key_path, private + "\n", mode=0o600, exclusive=True)
        try:
            write_output(pub_path, public + "\n", exclusive=True)
        except BaseException:
            key_path.unlink()  # half a key pair is no use: the next keygen starts afresh
            raise
    except FileExistsError as exc:
        raise CliError(
            terminal(f"{exc.filename or prefix}: exists: refusing to overwrite a key")
        ) from None
    click.echo(terminal(f"wrote {key_path} (private, keep it secret) and {pub_path}:\n{public}"))
