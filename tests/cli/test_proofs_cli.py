"""ledger checkpoint, verify, prove, verify-receipt and keygen."""

from __future__ import annotations

import json
import sqlite3
import stat
from pathlib import Path

import pytest

from ledger import Ledger, merkle
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
    origin, size, _root = note.splitlines()
    assert (origin, size) == ("claims-ledger/kursk", "36")


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


def test_key_without_checkpoint_is_a_usage_error(run: Run, seed_db: Path, keys: Path) -> None:
    result = run("verify", seed_db, "--key", keys.with_suffix(".pub"), code=2)
    assert "--key needs --checkpoint" in result.output


@pytest.mark.parametrize("store", ["seed_db", "seed_jsonl"])
def test_verify_of_an_untouched_ledger_is_ok_in_two_lines(
    run: Run, store: str, request: pytest.FixtureRequest
) -> None:
    path = request.getfixturevalue(store)
    lines = run("verify", path).stdout.splitlines()
    assert lines[0] == "ok: 36 records verify; the root matches the store's right edge"
    assert lines[1].startswith("size 36, root ")
    assert len(lines) == 2


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
    anchored = run("verify-receipt", receipt_file, "--checkpoint", note).stdout
    assert anchored.rstrip().endswith(", the checkpoint's root")


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
    assert broken.stderr.startswith("Error: format: expected")
