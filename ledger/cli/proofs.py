"""Tamper-evidence commands: checkpoint, verify, prove, verify-receipt, keygen."""

from __future__ import annotations

import base64
from pathlib import Path

import click

from ledger import tamper
from ledger.cli import cli
from ledger.cli._common import CliError, emit_json, json_option, open_ledger, store_argument
from ledger.cli._output import check_output, write_output
from ledger.errors import InvalidProof
from ledger.present.text import terminal
from ledger.tamper import Checkpoint, Receipt, signing

_FILE = click.Path(exists=True, dir_okay=False)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _read(path: str) -> str:
    # Notes and receipts are UTF-8 text by their formats; newline="" keeps \r visible.
    with open(path, encoding="utf-8", newline="") as file:
        return file.read()


def _output(text: str, path: str | None, store: str, *inputs: str | None) -> None:
    if path is None:
        click.echo(terminal(text), nl=False)
    else:
        write_output(path, text, stores=[store], inputs=inputs)


def _checkpoint_file(path: str | None, key: str | None) -> Checkpoint | None:
    """The checkpoint in a note file, its signature checked when a public key is given."""
    if path is None:
        if key is not None:
            raise click.UsageError("--key needs --checkpoint: it checks the checkpoint's signature")
        return None
    note = _read(path)
    if key is None:
        return Checkpoint.from_note(note)
    return signing.verify_note(note, _read(key))


@cli.command()
@store_argument()
@click.option("--sign", "key", type=_FILE, help="Sign with this private key file (ledger keygen).")
@click.option(
    "--origin",
    help="The note's first line [default: the key's name when signing, "
    "else claims-ledger/<store name>].",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the note here.")
def checkpoint(store: str, key: str | None, origin: str | None, output: str | None) -> None:
    """Print STORE's checkpoint: a C2SP note of its origin, size and Merkle root."""
    if output is not None:
        check_output(output, stores=[store], inputs=[key])
    private = None if key is None else _read(key)
    if origin is None and private is not None:
        # C2SP: the log's key name SHOULD match the origin line.
        origin = signing.key_name(private)
    with open_ledger(store) as lg:
        found = tamper.checkpoint(lg.store, origin)
    _output(
        found.to_note() if private is None else signing.sign(found, private), output, store, key
    )


@cli.command()
@store_argument()
@click.option("--checkpoint", "note", type=_FILE, help="Also check against this checkpoint note.")
@click.option("--key", type=_FILE, help="The public key that must have signed --checkpoint.")
@json_option
def verify(store: str, note: str | None, key: str | None, as_json: bool) -> None:
    """Recompute every record's hash and the root of STORE; exit 1 if anything is wrong.

    Names the first position whose bytes, hash or position are wrong. With
    --checkpoint, the log must still hold that checkpoint's records unchanged
    (it may have grown since). Damage that stops the store from opening is
    reported the same way.
    """
    against = _checkpoint_file(note, key)
    report = tamper.verify_url(store, against)
    if as_json:
        emit_json(report.to_dict())
    else:
        click.echo(report.summary())
        if report.root is not None:
            signed = "" if key is None else f"; the checkpoint's signature verifies with {key}"
            click.echo(
                f"size {report.size}, root {_b64(report.root)} "
                f"(recomputed from the stored bytes){signed}"
            )
    if not report.ok:
        raise click.exceptions.Exit(1)


@cli.command()
@store_argument()
@click.argument("position", type=click.IntRange(min=1))
@click.option("--size", type=click.IntRange(min=1), help="The tree size [default: the head].")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the receipt here.")
def prove(store: str, position: int, size: int | None, output: str | None) -> None:
    """Print an inclusion receipt (JSON) for the record at POSITION of STORE."""
    if output is not None:
        check_output(output, stores=[store])
    with open_ledger(store) as lg:
        receipt = lg.prove(position, size)
    _output(receipt.to_json(), output, store)


@cli.command("verify-receipt")
@click.argument("file", type=_FILE)
@click.option("--checkpoint", "note", type=_FILE, help="The receipt's root must be this one's.")
@click.option("--key", type=_FILE, help="The public key that must have signed --checkpoint.")
def verify_receipt(file: str, note: str | None, key: str | None) -> None:
    """Check an inclusion receipt with the Merkle proof alone; exit 1 if it fails."""
    against = _checkpoint_file(note, key)
    receipt = Receipt.from_json(_read(file))
    try:
        tamper.verify_receipt(receipt, against)
    except InvalidProof as exc:
        click.echo(f"NOT OK: {exc}")
        raise click.exceptions.Exit(1) from None
    anchored = "" if against is None else ", the checkpoint's root"
    click.echo(
        f"ok: position {receipt.position} is in the tree of size {receipt.size} "
        f"with root {_b64(receipt.root)}{anchored}"
    )


@cli.command()
@click.argument("name")
@click.option("-o", "--output", "prefix", required=True, help="Write PREFIX.key and PREFIX.pub.")
def keygen(name: str, prefix: str) -> None:
    """Make an Ed25519 key pair NAME for signing checkpoints (C2SP signed-note keys).

    Name the key after the ledger's origin, e.g. example.org/kursk-ledger.
    PREFIX.key is private (mode 0600); publish PREFIX.pub.
    """
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
