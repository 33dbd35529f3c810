"""ledger checkpoint, verify, prove, verify-receipt and keygen."""

from __future__ import annotations

import json
import sqlite3
import stat
from pathlib import Path

import pytest

from ledger import InvalidProof, Ledger, merkle
from ledger.tamper import Checkpoint, Receipt
from tests.cli.conftest import Run


@pytest.fixture
def keys(run: Run, tmp_path: Path) -> Path:
    """A key pair named example.org/kursk: returns the prefix of .key and .pub."""
    prefix = tmp_path / "kursk"
    run("keygen", "example.org/kursk", "-o", prefix)
    return prefix


def test_checkpoint_prints_the_c2sp_note_of_the_ledger(run: Run, seed_db: Path) -> None:
    note = run("checkpoint", seed_db).stdout
    with Ledger.open(str(seed_db)) as lg:
        assert Checkpoint.from_note(note) == lg.checkpoint()
        first = next(iter(lg.records())).hash.hex()
    origin, size, _root = note.splitlines()
    # The default origin: the store's name and the leaf hash of record 1.
    assert (origin, size) == (f"claims-ledger/kursk/{first[:12]}", "36")


def test_checkpoint_writes_to_a_file_with_another_origin(
    run: Run, seed_jsonl: Path, tmp_path: Path
) -> None:
    out = tmp_path / "cp.txt"
    assert run("checkpoint", seed_jsonl, "--origin", "example.org/k", "-o", out).stdout == ""
    assert Checkpoint.from_note(out.read_text()).origin == "example.org/k"


def test_keygen_writes_a_private_key_only_its_owner_can_read(run: Run, keys: Path) -> None:
    private = keys.with_suffix(".key")
    public = keys.with_suffix(".pub")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert private.read_text().startswith("PRIVATE+KEY+example.org/kursk+")
    assert public.read_text().startswith("example.org/kursk+")
    result = run("keygen", "example.org/kursk", "-o", keys, code=1)
    assert "exists: refusing to overwrite a key" in result.stderr


def test_a_signed_checkpoint_verifies_with_its_public_key_only(
    run: Run, seed_db: Path, keys: Path, tmp_path: Path
) -> None:
    note = tmp_path / "cp.txt"
    run("checkpoint", seed_db, "--sign", keys.with_suffix(".key"), "-o", note)
    text = note.read_text()
    # The key's name becomes the origin: C2SP wants the two to match.
    assert text.startswith("example.org/kursk\n36\n")
    assert "\n\n\u2014 example.org/kursk " in text
    result = run("verify", seed_db, "--checkpoint", note, "--key", keys.with_suffix(".pub"))
    assert "the checkpoint's signature verifies" in result.stdout
    run("keygen", "example.org/kursk", "-o", tmp_path / "other")
    wrong = run("verify", seed_db, "--checkpoint", note, "--key", tmp_path / "other.pub", code=1)
    assert wrong.stderr.startswith("Error: ")
    assert "no signature by key 'example.org/kursk'" in wrong.stderr


def test_a_bad_key_file_is_named_not_the_checkpoint(
    run: Run, seed_db: Path, keys: Path, tmp_path: Path
) -> None:
    note = tmp_path / "cp.txt"
    run("checkpoint", seed_db, "--sign", keys.with_suffix(".key"), "-o", note)
    private = keys.with_suffix(".key")
    result = run("verify", seed_db, "--checkpoint", note, "--key", private, code=1)
    assert result.stderr == f"Error: {private}: this is a private key: verify with the .pub file\n"
    public = keys.with_suffix(".pub").read_text()
    name, kid, data = public.strip().split("+", 2)
    short = tmp_path / "short.pub"
    short.write_text(f"{name}+{kid}+{data[:-8]}\n")  # a key of fewer than 32 bytes
    result = run("verify", seed_db, "--checkpoint", note, "--key", short, code=1)
    assert result.stderr.startswith(f"Error: {short}: public key 'example.org/kursk': ")


def test_key_without_checkpoint_is_a_usage_error(run: Run, seed_db: Path, keys: Path) -> None:
    result = run("verify", seed_db, "--key", keys.with_suffix(".pub"), code=2)
    assert "--key needs --checkpoint" in result.output


@pytest.mark.parametrize("store", ["seed_db", "seed_jsonl"])
def test_verify_of_an_untouched_ledger_is_ok_in_three_lines(
    run: Run, store: str, request: pytest.FixtureRequest
) -> None:
    path = request.getfixturevalue(store)
    lines = run("verify", path).stdout.splitlines()
    assert lines[0] == "ok: 36 records verify; the root matches the store's right edge"
    assert lines[1].startswith("size 36, root ")
    # The JSON Lines ledger is a copy (ledger copy builds its read model too).
    assert lines[2] == "read model: every row agrees with the log at position 36"
    assert len(lines) == 3
    assert len(run("verify", path, "--log-only").stdout.splitlines()) == 2


def test_verify_of_a_log_without_its_read_model_says_none_is_stored(
    run: Run, seed_jsonl: Path
) -> None:
    Path(f"{seed_jsonl}.readmodel").unlink()
    lines = run("verify", seed_jsonl).stdout.splitlines()
    assert lines[0] == "ok: 36 records verify; the root matches the store's right edge"
    assert (
        lines[2] == "read model: none stored yet (a writer stores it, or the next open builds it)"
    )


def test_verify_finds_read_model_rows_the_log_does_not_give_and_rebuild_mends_them(
    run: Run, seed_db: Path
) -> None:
    before = run("topics", seed_db, "--json").stdout
    conn = sqlite3.connect(seed_db, isolation_level=None)
    # "more than 3,000" made "more than 300" behind the log's back: it reads back well.
    changed = conn.execute(
        "UPDATE model_rows SET value = replace(value, '[3001,4001', '[301,4001')"
        " WHERE tbl = 'figure' AND part = 'kursk/nk-troops/casualties' AND item = 'ukraine'"
    ).rowcount
    conn.close()
    assert changed
    assert run("topics", seed_db, "--json").stdout != before  # the views read the rows
    result = run("verify", seed_db, code=1)
    assert result.stdout.startswith("NOT OK (read model): 36 records verify;")
    assert "but the read model disagrees with the log at position 36: table 'figure'" in (
        result.stdout
    )
    assert "ledger rebuild" in result.stdout
    doc = json.loads(run("verify", seed_db, "--json", code=1).stdout)
    assert (doc["ok"], doc["read_model_agrees"], doc["first_bad_position"]) == (False, False, None)
    run("verify", seed_db, "--log-only")  # the log itself is intact: exit 0
    assert run("rebuild", seed_db).stdout == (
        f"{seed_db}: read model built again from 36 record(s)\n"
    )
    assert run("topics", seed_db, "--json").stdout == before
    run("verify", seed_db)


def test_rebuild_of_a_missing_store_is_an_error(run: Run, tmp_path: Path) -> None:
    result = run("rebuild", tmp_path / "nothing.db", code=1)
    assert "no such ledger" in result.stderr
    assert not (tmp_path / "nothing.db").exists()


def test_verify_json(run: Run, seed_db: Path) -> None:
    doc = json.loads(run("verify", seed_db, "--json").stdout)
    with Ledger.open(str(seed_db)) as lg:
        root = lg.checkpoint().root.hex()
    assert doc == {
        "ok": True,
        "size": 36,
        "root": root,
        "first_bad_position": None,
        "line": None,
        "reason": doc["reason"],
        "read_model_agrees": True,
        "read_model": "every row agrees with the log at position 36",
        "signature": None,
    }


def test_verify_exits_1_naming_a_replaced_hash(run: Run, seed_db: Path) -> None:
    conn = sqlite3.connect(seed_db)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("UPDATE events SET hash = ? WHERE position = 9", ("ab" * 32,))
    conn.commit()
    conn.close()
    result = run("verify", seed_db, code=1)
    assert result.stdout.startswith("NOT OK (position 9): the stored hash abababababab…")
    assert json.loads(run("verify", seed_db, "--json", code=1).stdout)["first_bad_position"] == 9


def test_verify_reports_a_store_too_damaged_to_open(run: Run, seed_jsonl: Path) -> None:
    lines = seed_jsonl.read_bytes().splitlines(keepends=True)
    lines[4] = b"garbage\n"
    seed_jsonl.write_bytes(b"".join(lines))
    result = run("verify", seed_jsonl, code=1)
    assert result.stdout.startswith("NOT OK (position 5, line 5): not a JSON record")
    assert result.stderr == ""


def test_verify_against_an_earlier_checkpoint_catches_a_truncated_tail(
    run: Run, seed_jsonl: Path, tmp_path: Path
) -> None:
    note = tmp_path / "cp.txt"
    run("checkpoint", seed_jsonl, "-o", note)
    lines = seed_jsonl.read_bytes().splitlines(keepends=True)
    seed_jsonl.write_bytes(b"".join(lines[:30]))
    assert run("verify", seed_jsonl).stdout.startswith("ok: 30 records")
    result = run("verify", seed_jsonl, "--checkpoint", note, code=1)
    assert "NOT OK (position 31)" in result.stdout
    assert "records 31..36 are gone" in result.stdout


def test_verify_of_a_missing_store_or_a_bad_note_is_an_error(
    run: Run, seed_db: Path, tmp_path: Path
) -> None:
    missing = run("verify", tmp_path / "none.db", code=1)
    assert "no such ledger" in missing.stderr
    assert not (tmp_path / "none.db").exists()
    note = tmp_path / "bad.txt"
    note.write_text("origin\nmany\nroot\n")
    bad = run("verify", seed_db, "--checkpoint", note, code=1)
    assert "checkpoint line 2: tree size 'many'" in bad.stderr


def test_prove_prints_a_receipt_that_verify_receipt_accepts(
    run: Run, seed_db: Path, tmp_path: Path
) -> None:
    receipt_file = tmp_path / "r.json"
    run("prove", seed_db, "21", "-o", receipt_file)
    receipt = Receipt.from_json(receipt_file.read_text())
    assert (receipt.position, receipt.size) == (21, 36)
    merkle.verify_inclusion(receipt.leaf_hash, 20, 36, receipt.proof, receipt.root)
    assert run("verify-receipt", receipt_file).stdout.startswith(
        "ok: position 21 is in the tree of size 36 with root "
    )
    note = tmp_path / "cp.txt"
    run("checkpoint", seed_db, "-o", note)
    anchored = run("verify-receipt", receipt_file, "--checkpoint", note).stdout.splitlines()
    assert anchored[0].endswith(f", the root of the checkpoint {note}")
    assert anchored[1] == "the checkpoint carries no signature: nothing shows who wrote it"


def test_prove_at_an_earlier_size_and_out_of_range(run: Run, seed_db: Path) -> None:
    doc = json.loads(run("prove", seed_db, "3", "--size", "10").stdout)
    assert (doc["position"], doc["size"]) == (3, 10)
    result = run("prove", seed_db, "37", code=1)
    assert "position: 37 is not in 1..36" in result.stderr
    run("prove", seed_db, "0", code=2)


def test_verify_receipt_rejects_an_altered_receipt(run: Run, seed_db: Path, tmp_path: Path) -> None:
    doc = json.loads(run("prove", seed_db, "5").stdout)
    doc["proof"][0] = "00" * 32
    altered = tmp_path / "r.json"
    altered.write_text(json.dumps(doc))
    result = run("verify-receipt", altered, code=1)
    assert result.stdout.startswith("NOT OK: computed root")
    altered.write_text("{}")
    broken = run("verify-receipt", altered, code=1)
    assert broken.stderr.startswith(f"Error: {altered}: format: expected")


# -- issue 15, item 11: signatures nobody checked, origins ---------------------------


def _forged(note: Path, tmp_path: Path) -> Path:
    """The note with its signature replaced by random bytes of the right shape."""
    import base64
    import os

    text, _, line = note.read_text().rpartition("\n\u2014 ")
    name, blob = line.split()
    forged = base64.b64decode(blob)[:4] + os.urandom(64)
    target = tmp_path / "forged.txt"
    target.write_text(f"{text}\n\u2014 {name} {base64.b64encode(forged).decode()}\n")
    return target


@pytest.fixture
def signed(run: Run, seed_db: Path, keys: Path, tmp_path: Path) -> Path:
    note = tmp_path / "signed.txt"
    run("checkpoint", seed_db, "--sign", keys.with_suffix(".key"), "-o", note)
    return note


def test_a_signed_checkpoint_without_a_key_is_refused_not_called_ok(
    run: Run, seed_db: Path, signed: Path, tmp_path: Path
) -> None:
    forged = _forged(signed, tmp_path)
    receipt = tmp_path / "r.json"
    run("prove", seed_db, "3", "--origin", "example.org/kursk", "-o", receipt)
    for note in (signed, forged):
        for args in (["verify", seed_db], ["verify-receipt", receipt]):
            result = run(*args, "--checkpoint", note, code=1)
            assert "ok" not in result.stdout
            assert result.stderr.startswith(f"Error: {note}: the checkpoint is signed")
            assert "no --key was given" in result.stderr
            assert "--no-signature-check" in result.stderr


def test_no_signature_check_says_plainly_that_nothing_was_checked(
    run: Run, seed_db: Path, signed: Path, tmp_path: Path
) -> None:
    forged = _forged(signed, tmp_path)
    result = run("verify", seed_db, "--checkpoint", forged, "--no-signature-check")
    assert result.stdout.startswith("ok: ")
    assert "signatures were NOT checked" in result.stdout
    doc = json.loads(
        run("verify", seed_db, "--checkpoint", forged, "--no-signature-check", "--json").stdout
    )
    assert doc["signature"] == "not checked"
    receipt = tmp_path / "r.json"
    run("prove", seed_db, "3", "--origin", "example.org/kursk", "-o", receipt)
    checked = run("verify-receipt", receipt, "--checkpoint", forged, "--no-signature-check")
    assert "signatures were NOT checked" in checked.stdout


def test_a_forged_signature_fails_with_the_key(
    run: Run, seed_db: Path, signed: Path, keys: Path, tmp_path: Path
) -> None:
    forged = _forged(signed, tmp_path)
    result = run(
        "verify", seed_db, "--checkpoint", forged, "--key", keys.with_suffix(".pub"), code=1
    )
    assert "does not verify" in result.stderr
    good = run("verify", seed_db, "--checkpoint", signed, "--key", keys.with_suffix(".pub"))
    assert "the checkpoint's signature verifies with" in good.stdout
    doc = json.loads(
        run(
            "verify", seed_db, "--checkpoint", signed, "--key", keys.with_suffix(".pub"), "--json"
        ).stdout
    )
    assert doc["signature"] == "verified"


def test_an_unsigned_checkpoint_is_used_and_said_to_be_unsigned(
    run: Run, seed_db: Path, tmp_path: Path
) -> None:
    note = tmp_path / "cp.txt"
    run("checkpoint", seed_db, "-o", note)
    result = run("verify", seed_db, "--checkpoint", note)
    assert result.stdout.splitlines()[-1] == (
        "the checkpoint carries no signature: nothing shows who wrote it"
    )
    assert (
        json.loads(run("verify", seed_db, "--checkpoint", note, "--json").stdout)["signature"]
        == "unsigned"
    )


def test_signature_options_need_a_checkpoint_and_exclude_each_other(
    run: Run, seed_db: Path, signed: Path, keys: Path
) -> None:
    assert (
        "--no-signature-check needs --checkpoint"
        in run("verify", seed_db, "--no-signature-check", code=2).output
    )
    both = run(
        "verify", seed_db, "--checkpoint", signed, "--key", keys.with_suffix(".pub"),
        "--no-signature-check", code=2,
    )  # fmt: skip
    assert "--no-signature-check" in both.output


def test_a_receipt_names_the_origin_it_was_made_for(
    run: Run, seed_db: Path, signed: Path, keys: Path, tmp_path: Path
) -> None:
    default = tmp_path / "default.json"
    run("prove", seed_db, "5", "-o", default)
    origin = json.loads(default.read_text())["origin"]
    note = tmp_path / "cp.txt"
    run("checkpoint", seed_db, "-o", note)
    assert note.read_text().splitlines()[0] == origin
    run("verify-receipt", default, "--checkpoint", note)
    # The signed checkpoint's origin is its key's name: a receipt for it says so.
    pub = keys.with_suffix(".pub")
    wrong = run("verify-receipt", default, "--checkpoint", signed, "--key", pub, code=1)
    assert wrong.stdout.startswith("NOT OK: the receipt is for origin")
    assert "'example.org/kursk'" in wrong.stdout
    for_signed = tmp_path / "signed.json"
    run("prove", seed_db, "5", "--origin", "example.org/kursk", "-o", for_signed)
    assert json.loads(for_signed.read_text())["origin"] == "example.org/kursk"
    ok = run("verify-receipt", for_signed, "--checkpoint", signed, "--key", pub)
    assert ok.stdout.startswith("ok: position 5")
    assert "the checkpoint's signature verifies with" in ok.stdout


def test_two_ledgers_of_the_same_name_have_different_default_origins(
    run: Run, tmp_path: Path
) -> None:
    origins = set()
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        store = tmp_path / folder / "kursk.db"
        assert run("checkpoint", store, code=1).stderr.startswith("Error: ")  # no ledger yet
        run("init", store)
        empty = run("checkpoint", store).stdout.splitlines()[0]
        assert empty == "claims-ledger/kursk"  # an empty ledger has no id yet
        run("define-topic", store, f"t/{folder}", "--title", folder, "--unit", "people")
        origins.add(run("checkpoint", store).stdout.splitlines()[0])
    assert len(origins) == 2
    assert all(o.startswith("claims-ledger/kursk/") for o in origins)


def test_re_signing_a_checkpoint_file_keeps_one_line_per_key(
    run: Run, seed_db: Path, keys: Path, tmp_path: Path
) -> None:
    from ledger.tamper import signing

    note = tmp_path / "cp.txt"
    run("checkpoint", seed_db, "--sign", keys.with_suffix(".key"), "-o", note)
    private = keys.with_suffix(".key").read_text()
    again = signing.sign_note(signing.sign_note(note.read_text(), private), private)
    assert again.count("\u2014 example.org/kursk ") == 1


def test_a_note_that_would_act_on_a_terminal_is_written_only_to_a_file(
    run: Run, seed_db: Path, tmp_path: Path
) -> None:
    result = run("checkpoint", seed_db, "--origin", "origin\x7f\u202e", code=1)
    assert "write it to a file with -o" in result.stderr
    assert "\\x7f" in result.stderr
    out = tmp_path / "cp.txt"
    run("checkpoint", seed_db, "--origin", "origin\x7f\u202e", "-o", out)
    assert Checkpoint.from_note(out.read_text()).origin == "origin\x7f\u202e"


@pytest.mark.parametrize("command", [["checkpoint"], ["prove", "1"]])
def test_an_origin_of_two_lines_is_refused_by_checkpoint_and_prove_alike(
    run: Run, seed_db: Path, command: list[str]
) -> None:
    """A checkpoint note's origin is one line; a receipt names the checkpoint's origin."""
    result = run(command[0], seed_db, *command[1:], "--origin", "a\nb", code=1)
    assert "origin must be one non-empty line" in result.stderr
    with pytest.raises(InvalidProof, match="one non-empty line"):
        Receipt(1, 1, b"\0" * 32, (), b"\0" * 32, "two\nlines")
