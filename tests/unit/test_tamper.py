"""Checkpoint notes, receipts, consistency proofs, verify's diagnoses and signed notes."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import attrs
import pytest

from ledger import InvalidEvent, InvalidProof, Ledger, SignatureError, TopicDefined, merkle
from ledger.codec import StoredRow
from ledger.stores.memory import MemoryStore
from ledger.tamper import (
    Checkpoint,
    ConsistencyProof,
    Receipt,
    origin_for,
    signing,
    verify_consistency_proof,
    verify_receipt,
    verify_store,
)
from ledger.tamper.ranges import Fold, consistency_ranges, inclusion_ranges

CLOCK = datetime(2025, 1, 14, tzinfo=UTC)
ROOT = hashlib.sha256(b"a root").digest()


def make_ledger(n: int) -> Ledger:
    lg = Ledger.open("memory://", clock=lambda: CLOCK)
    lg.extend(TopicDefined(topic=f"t/{i}", title=f"Topic {i}", unit="people") for i in range(n))
    return lg


def hashes(lg: Ledger) -> list[bytes]:
    return [r.hash for r in lg.records()]


# -- checkpoint notes ------------------------------------------------------------


def test_a_checkpoint_prints_as_three_lines_origin_size_base64_root() -> None:
    note = Checkpoint(36, ROOT, "claims-ledger/kursk").to_note()
    assert note == f"claims-ledger/kursk\n36\n{base64.b64encode(ROOT).decode()}\n"


def test_a_checkpoint_note_round_trips() -> None:
    for checkpoint in (Checkpoint(0, merkle.root([])), Checkpoint(2**40, ROOT, "a b/c")):
        assert Checkpoint.from_note(checkpoint.to_note()) == checkpoint


def test_the_c2sp_example_checkpoint_parses_with_its_signature_line() -> None:
    note = (
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n"
        "\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URY"
        "N7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    )
    checkpoint = Checkpoint.from_note(note)
    assert (checkpoint.origin, checkpoint.size) == ("example.com/behind-the-sofa", 20852163)
    assert checkpoint.root.hex().startswith("0ac5186a")


def test_extension_lines_are_accepted_and_ignored() -> None:
    note = Checkpoint(3, ROOT).to_note() + "an extension\n"
    assert Checkpoint.from_note(note) == Checkpoint(3, ROOT)


ROOT64 = base64.b64encode(ROOT).decode()


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("", "the note is empty"),
        ("\n", "line 1: the origin is empty"),
        ("origin\n", "line 2: the tree size is missing"),
        ("origin\n5\n", "line 3: the root hash is missing"),
        (f"\n5\n{ROOT64}\n", "line 1: the origin is empty"),
        (f"o\n05\n{ROOT64}\n", "line 2: tree size '05'"),
        (f"o\n-5\n{ROOT64}\n", "line 2: tree size '-5'"),
        (f"o\n 5\n{ROOT64}\n", "line 2"),
        ("o\n5\nnot base64!\n", "line 3: root hash 'not base64!' is not base64"),
        (f"o\n5\n{base64.b64encode(ROOT[:31]).decode()}\n", "line 3"),
        (f"o\n5\n{ROOT64}", "does not end with a newline"),
        (f"o\r\n5\r\n{ROOT64}\r\n", "note line 1: control character"),
        (f"o\n5\n{ROOT64}\n\n", "note line 4: a blank line with no signature"),
        (f"o\n5\n{ROOT64}\n\n- o c2ln\n", "note line 5: not a signature line"),
        (f"o\n5\n{ROOT64}\n\n\u2014 o !!\n", "note line 5: signature '!!' is not base64"),
        (f"o\n5\n{ROOT64}\next\n\n\n\u2014 o AAAAAAAA\n", "checkpoint line 5: an empty line"),
    ],
)
def test_a_malformed_note_is_refused_naming_the_line(note: str, message: str) -> None:
    with pytest.raises(InvalidProof, match=message):
        Checkpoint.from_note(note)


def test_a_checkpoint_refuses_a_bad_size_root_or_origin() -> None:
    with pytest.raises(InvalidProof, match="size"):
        Checkpoint(-1, ROOT)
    with pytest.raises(InvalidProof, match="root"):
        Checkpoint(1, ROOT[:5])
    with pytest.raises(InvalidProof, match="origin"):
        Checkpoint(1, ROOT, "two\nlines")


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("memory://", "claims-ledger/memory"),
        ("/data/kursk.db", "claims-ledger/kursk"),
        ("seeds/kursk-north-korean-pows.jsonl", "claims-ledger/kursk-north-korean-pows"),
        ("sqlite:////abs/my ledger.sqlite3", "claims-ledger/my-ledger"),
        ("postgresql://u@host:5432/claims?sslmode=require", "claims-ledger/default"),
        ("postgresql://u@host/claims?ledger=kursk", "claims-ledger/kursk"),
    ],
)
def test_the_default_origin_names_the_ledger(url: str, origin: str) -> None:
    assert origin_for(url) == origin


def test_the_checkpoint_is_the_merkle_root_of_every_record_hash() -> None:
    lg = make_ledger(7)
    origin = f"claims-ledger/memory/{hashes(lg)[0].hex()[:12]}"
    assert lg.checkpoint() == Checkpoint(7, merkle.root(hashes(lg)), origin)
    assert make_ledger(0).checkpoint().root == hashlib.sha256(b"").digest()


# -- receipts ----------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13])
def test_every_receipt_verifies_with_merkle_alone(n: int) -> None:
    lg = make_ledger(n)
    leaves = hashes(lg)
    for position in range(1, n + 1):
        receipt = Receipt.from_json(lg.prove(position).to_json())
        # What a third party runs: ledger.merkle and the receipt, nothing else.
        assert receipt.leaf is not None
        assert merkle.leaf_hash(receipt.leaf) == receipt.leaf_hash == leaves[position - 1]
        merkle.verify_inclusion(
            receipt.leaf_hash, receipt.position - 1, receipt.size, receipt.proof, receipt.root
        )
        verify_receipt(receipt, lg.checkpoint())
        assert list(receipt.proof) == merkle.inclusion_proof(position - 1, leaves)


def test_a_receipt_for_an_earlier_size_verifies_against_that_size_root() -> None:
    lg = make_ledger(9)
    receipt = lg.prove(3, size=5)
    assert receipt.size == 5
    assert receipt.root == merkle.root(hashes(lg)[:5])
    verify_receipt(receipt, Checkpoint(5, receipt.root, receipt.origin))
    with pytest.raises(InvalidProof, match="for size 5, the checkpoint for 9"):
        verify_receipt(receipt, lg.checkpoint())


def test_a_receipt_json_names_its_format_and_holds_hex_hashes_and_the_record() -> None:
    lg = make_ledger(4)
    doc = json.loads(lg.prove(2).to_json())
    assert doc["format"] == "claims-ledger/inclusion-receipt/v1"
    assert doc["origin"] == lg.checkpoint().origin
    assert doc["origin"].startswith("claims-ledger/memory/")
    assert (doc["position"], doc["size"]) == (2, 4)
    assert [len(p) for p in doc["proof"]] == [64, 64]
    assert json.loads(doc["leaf"])["position"] == 2


ALTERATIONS = [
    "a proof hash",
    "the position",
    "the leaf hash",
    "the record",
    "a record of another position",
    "the size",
    "the root",
]


@pytest.mark.parametrize("what", ALTERATIONS)
def test_an_altered_receipt_does_not_verify_against_the_checkpoint(what: str) -> None:
    lg = make_ledger(6)
    receipt, other = lg.prove(4), lg.prove(5)
    assert receipt.leaf is not None
    flipped = bytes([receipt.proof[0][0] ^ 1]) + receipt.proof[0][1:]
    bad = {
        "a proof hash": lambda: attrs.evolve(receipt, proof=(flipped, *receipt.proof[1:])),
        "the position": lambda: attrs.evolve(receipt, position=5, leaf=None),
        "the leaf hash": lambda: attrs.evolve(receipt, leaf_hash=other.leaf_hash, leaf=None),
        "the record": lambda: attrs.evolve(receipt, leaf=receipt.leaf.replace(b"t/3", b"t/9")),
        "a record of another position": lambda: attrs.evolve(
            receipt, leaf=other.leaf, leaf_hash=other.leaf_hash
        ),
        # The path for leaf 4 has the same shape in trees of 6 and 7 leaves: only the
        # checkpoint binds a root to its size, which is why receipts are checked against one.
        "the size": lambda: attrs.evolve(receipt, size=7),
        "the root": lambda: attrs.evolve(receipt, root=ROOT),
    }[what]()
    with pytest.raises(InvalidProof):
        verify_receipt(bad, lg.checkpoint())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": "claims-ledger/consistency-proof/v1"}, "format: expected"),
        ({"extra": 1}, "unknown keys"),
        ({"root": None}, "root: expected 64 lowercase hex"),
        ({"root": "AB" * 32}, "root: expected 64 lowercase hex"),
        ({"position": "2"}, "position: expected an integer"),
        ({"position": True}, "position: expected an integer"),
        ({"position": 0}, "position must be a positive integer"),
        ({"proof": ["00"]}, r"proof\[0\]"),
        ({"leaf": 5}, "leaf must be a string"),
    ],
)
def test_a_malformed_receipt_is_refused_naming_the_key(
    change: dict[str, object], message: str
) -> None:
    doc = json.loads(make_ledger(3).prove(1).to_json()) | change
    with pytest.raises(InvalidProof, match=message):
        Receipt.from_json(json.dumps(doc))


def test_a_receipt_or_proof_that_gives_a_key_twice_is_refused() -> None:
    # json.loads keeps the last of a repeated key, other readers the first: the
    # text could show one size to one verifier and another to the next.
    lg = make_ledger(5)
    receipt = lg.prove(2).to_json()
    size = f'"size": {json.loads(receipt)["size"]}'
    twice = receipt.replace(size, f'{size}, "size": 4', 1)
    assert twice != receipt
    with pytest.raises(InvalidProof, match="key 'size' is given twice"):
        Receipt.from_json(twice)
    proof = lg.prove_consistency(2).to_json()
    old = f'"old_size": {json.loads(proof)["old_size"]}'
    with pytest.raises(InvalidProof, match="key 'old_size' is given twice"):
        ConsistencyProof.from_json(proof.replace(old, f'{old}, "old_size": 3', 1))


def test_a_receipt_without_required_keys_or_not_json_is_refused() -> None:
    doc = json.loads(make_ledger(3).prove(1).to_json())
    del doc["size"]
    with pytest.raises(InvalidProof, match=r"missing keys \['size'\]"):
        Receipt.from_json(json.dumps(doc))
    with pytest.raises(InvalidProof, match="not JSON"):
        Receipt.from_json("{")


@pytest.mark.parametrize(
    ("position", "size", "field"),
    [
        (0, None, "position"),
        (4, None, "position"),
        (3, 2, "position"),
        (1, 4, "size"),
        ("1", None, "position"),
    ],
)
def test_prove_refuses_positions_and_sizes_outside_the_log(
    position: int, size: int | None, field: str
) -> None:
    with pytest.raises(InvalidEvent) as caught:
        make_ledger(3).prove(position, size)
    assert caught.value.field == field


# -- consistency proofs ----------------------------------------------------------------


def test_every_consistency_proof_verifies_against_earlier_checkpoints() -> None:
    lg = Ledger.open("memory://", clock=lambda: CLOCK)
    checkpoints = []
    for i in range(11):
        lg.append(TopicDefined(topic=f"t/{i}", title="T", unit="people"))
        checkpoints.append(lg.checkpoint())
    now = lg.checkpoint()
    for old in checkpoints:
        proof = ConsistencyProof.from_json(lg.prove_consistency(old.size).to_json())
        verify_consistency_proof(proof, old, now)
        assert list(proof.proof) == merkle.consistency_proof(old.size, hashes(lg))


def test_a_consistency_proof_between_two_past_sizes() -> None:
    lg = make_ledger(12)
    proof = lg.prove_consistency(5, 9)
    leaves = hashes(lg)
    verify_consistency_proof(proof, Checkpoint(5, merkle.root(leaves[:5]), proof.origin))
    assert proof.new_root == merkle.root(leaves[:9])


def test_a_consistency_proof_does_not_join_a_rewritten_past() -> None:
    lg = make_ledger(8)
    proof = lg.prove_consistency(3)
    with pytest.raises(InvalidProof):
        verify_consistency_proof(attrs.evolve(proof, old_root=ROOT))
    with pytest.raises(InvalidProof, match="old end of the proof"):
        verify_consistency_proof(proof, old=Checkpoint(3, ROOT))
    with pytest.raises(InvalidEvent):
        lg.prove_consistency(0)


def test_proof_ranges_fold_to_the_same_proofs_as_merkle() -> None:
    # The streaming proofs re-derive merkle's walks as ranges: they must agree everywhere.
    leaves = [merkle.leaf_hash(bytes([i])) for i in range(70)]
    for size in range(1, len(leaves) + 1):
        for index in range(size):
            assert fold(inclusion_ranges(index, size), leaves[:size]) == merkle.inclusion_proof(
                index, leaves[:size]
            )
            assert fold(
                consistency_ranges(index + 1, size), leaves[:size]
            ) == merkle.consistency_proof(index + 1, leaves[:size])


def fold(ranges: list[tuple[int, int]], leaves: list[bytes]) -> list[bytes]:
    folder = Fold(ranges)
    for i, leaf in enumerate(leaves):
        folder.add(i, leaf)
    return folder.proof()


# -- verify's diagnoses, on a store whose rows a test may rearrange ------------------------


class EditableStore(MemoryStore):
    """A memory store that serves `rows` instead of what was written."""

    rows: list[StoredRow] | None = None

    def read(self, after: int = 0) -> Iterator[StoredRow]:
        yield from super().read(after) if self.rows is None else self.rows[after:]


def tampered(edit: str) -> EditableStore:
    store = EditableStore()
    lg = Ledger(store)
    lg.extend(TopicDefined(topic=f"t/{i}", title="T", unit="people") for i in range(8))
    rows = store.rows = list(store.read())
    if edit == "data":
        rows[4] = attrs.evolve(rows[4], data=rows[4].data.replace("t/4", "t/x"))
    elif edit == "hash":
        rows[4] = attrs.evolve(rows[4], hash=rows[5].hash)
    elif edit == "missing":
        del rows[4]
    elif edit == "swapped":
        rows[4], rows[5] = rows[5], rows[4]
    elif edit == "repeated":
        rows.insert(5, rows[4])
    elif edit == "undecodable":
        bad = attrs.evolve(rows[4], data='{"topic": 5}')
        rows[4] = attrs.evolve(bad, hash=merkle.leaf_hash(bad.leaf_bytes()).hex())
    elif edit == "tail":
        del rows[6:]
    return store


@pytest.mark.parametrize(
    ("edit", "position", "words"),
    [
        ("data", 5, "is not the hash of the stored bytes"),
        ("hash", 5, "is not the hash of the stored bytes"),
        ("missing", 5, "position 5 is missing: position 6 follows 4"),
        ("swapped", 5, "position 6 comes before 5: the records are swapped"),
        ("repeated", 6, "position 5 comes again after position 5"),
        ("undecodable", 5, "does not decode"),
        ("tail", 7, "right edge covers 8 records but 6 are stored: records from 7 are gone"),
    ],
)
def test_verify_names_the_first_bad_position_and_why(edit: str, position: int, words: str) -> None:
    report = verify_store(tampered(edit))
    assert not report.ok
    assert report.first_bad_position == position
    assert words in report.reason
    assert f"position {position}" in report.summary()


def test_verify_reports_a_record_rewritten_with_a_fresh_hash_as_a_root_mismatch() -> None:
    store = tampered("none")
    row = attrs.evolve(store.rows[2], data=store.rows[2].data.replace("T", "U"))
    store.rows[2] = attrs.evolve(row, hash=merkle.leaf_hash(row.leaf_bytes()).hex())
    report = verify_store(store)
    assert (report.ok, report.first_bad_position) == (False, None)
    assert "the rows or the edge were altered" in report.reason
    assert report.summary().startswith("NOT OK (root mismatch)")


def test_verify_of_an_untouched_ledger_is_clean_against_any_of_its_checkpoints() -> None:
    lg = Ledger.open("memory://", clock=lambda: CLOCK)
    checkpoints = [lg.checkpoint()]
    for i in range(6):
        lg.append(TopicDefined(topic=f"t/{i}", title="T", unit="people"))
        checkpoints.append(lg.checkpoint())
    for checkpoint in checkpoints:
        report = lg.verify(checkpoint)
        assert report.ok, report.reason
        assert (report.size, report.root) == (6, checkpoints[-1].root)
        assert report.first_bad_position is None
    assert lg.verify().summary() == (
        "ok: 6 records verify; the root matches the store's right edge"
    )


def test_verify_against_a_checkpoint_of_another_history_or_a_longer_log_fails() -> None:
    lg = make_ledger(5)
    rewritten = lg.verify(Checkpoint(3, ROOT))
    assert (rewritten.ok, rewritten.first_bad_position) == (False, None)
    assert "the root of records 1..3" in rewritten.reason
    longer = lg.verify(Checkpoint(9, ROOT))
    assert (longer.ok, longer.first_bad_position) == (False, 6)
    assert "records 6..9 are gone" in longer.reason
    # The five left may have been rewritten as well: the checkpoint cannot say.
    assert "whether records 1..5 were rewritten too" in longer.reason
    empty = Ledger.open("memory://").verify(Checkpoint(2, ROOT))
    assert empty.reason is not None
    assert empty.reason.endswith("records 1..2 are gone (truncated)")
    with pytest.raises(InvalidProof):
        lg.verify("a note")  # type: ignore[arg-type]


def test_the_report_has_a_json_form() -> None:
    report = make_ledger(2).verify()
    assert report.to_dict() == {
        "ok": True,
        "size": 2,
        "root": report.root.hex() if report.root else None,
        "first_bad_position": None,
        "line": None,
        "reason": report.reason,
        # memory:// keeps no read model: nothing to compare with the log.
        "read_model_agrees": None,
        "read_model": "none kept (the views are folded in memory)",
    }


# -- signed notes ------------------------------------------------------------------------

# Go's golang.org/x/mod/sumdb/note documentation example: key, text and signature.
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIGNATURE = (
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdng"
    "otpRZb6KE6RyyBwJnAM=\n"
)


def test_signing_matches_go_sumdb_note_byte_for_byte() -> None:
    assert signing.sign_note(GO_TEXT, GO_SKEY) == GO_TEXT + "\n" + GO_SIGNATURE
    assert signing.open_note(GO_TEXT + "\n" + GO_SIGNATURE, GO_VKEY) == GO_TEXT
    assert signing.key_id("PeterNeumann", base64.b64decode(GO_VKEY.split("+")[2])[1:]).hex() == (
        "c74f20a3"
    )


def test_a_signed_checkpoint_round_trips_with_a_fresh_key() -> None:
    private, public = signing.generate_key("example.org/kursk")
    assert private.startswith("PRIVATE+KEY+example.org/kursk+")
    assert public.startswith("example.org/kursk+")
    checkpoint = Checkpoint(36, ROOT, "example.org/kursk")
    note = signing.sign(checkpoint, private)
    assert note.startswith(checkpoint.to_note() + "\n\u2014 example.org/kursk ")
    assert signing.verify_note(note, public) == checkpoint
    assert Checkpoint.from_note(note) == checkpoint
    assert signing.key_name(private) == signing.key_name(public) == "example.org/kursk"


def test_a_cosigned_note_keeps_both_signatures_and_verifies_with_either_key() -> None:
    first, first_pub = signing.generate_key("log")
    second, second_pub = signing.generate_key("witness")
    note = signing.sign_note(signing.sign(Checkpoint(1, ROOT), first), second)
    assert note.count("\u2014 ") == 2
    assert signing.verify_note(note, first_pub) == signing.verify_note(note, second_pub)


def test_a_note_signed_by_another_key_is_rejected() -> None:
    private, _ = signing.generate_key("log")
    _, stranger = signing.generate_key("log")
    note = signing.sign(Checkpoint(1, ROOT), private)
    with pytest.raises(SignatureError, match="no signature by key 'log'"):
        signing.verify_note(note, stranger)


def test_an_edited_signed_note_is_rejected() -> None:
    private, public = signing.generate_key("log")
    note = signing.sign(Checkpoint(10, ROOT), private)
    with pytest.raises(SignatureError, match="does not verify"):
        signing.verify_note(note.replace("\n10\n", "\n11\n", 1), public)


def test_an_unsigned_or_malformed_note_is_rejected_as_a_signature_error() -> None:
    _, public = signing.generate_key("log")
    with pytest.raises(SignatureError, match="no signature"):
        signing.verify_note(Checkpoint(1, ROOT).to_note(), public)
    with pytest.raises(SignatureError, match="not a signature line"):
        signing.verify_note(Checkpoint(1, ROOT).to_note() + "\nnonsense\n", public)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("nonsense", "not a public key"),
        (GO_SKEY, "this is a private key"),
        ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "key id does not"),
        ("PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "8 hex digits"),
        ("PeterNeumann+c74f20g3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "8 hex digits"),
        ("PeterNeumann+c74f20a3+Apc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "not base64"),
        ("PeterNeumann+c74f20a3+AhpjcxBQ8OEQ==", "not an Ed25519 key"),
        ("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "key name"),
    ],
)
def test_a_bad_public_key_is_refused(key: str, message: str) -> None:
    with pytest.raises(SignatureError, match=message):
        signing.open_note(GO_TEXT + "\n" + GO_SIGNATURE, key)


def test_a_bad_private_key_is_refused_without_echoing_it() -> None:
    bad = GO_SKEY.replace("c74f20a3", "00000000")
    with pytest.raises(SignatureError, match="key id does not match") as caught:
        signing.sign_note(GO_TEXT, bad)
    assert "AYEKF" not in str(caught.value)
    with pytest.raises(SignatureError, match="not a private key"):
        signing.sign_note(GO_TEXT, GO_VKEY)
    with pytest.raises(SignatureError, match="key name"):
        signing.generate_key("has+plus")


def test_without_cryptography_signing_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "cryptography.hazmat.primitives.asymmetric.ed25519", None)
    with pytest.raises(SignatureError, match=r"claims-ledger\[signing\]"):
        signing.generate_key("log")
    # Reading an unsigned checkpoint never needs the extra.
    assert Checkpoint.from_note(Checkpoint(1, ROOT).to_note()).size == 1


def test_verify_checks_a_consistency_proof_from_an_older_checkpoint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lg = make_ledger(9)
    old = Checkpoint(4, merkle.root(hashes(lg)[:4]))
    calls: list[tuple[int, int]] = []

    def refuse(old_size: int, new_size: int, *args: object) -> None:
        calls.append((old_size, new_size))
        raise InvalidProof("refused for the test")

    monkeypatch.setattr(merkle, "verify_consistency", refuse)
    report = lg.verify(old)
    assert calls == [(4, 9)]
    assert not report.ok
    assert "the consistency proof from the checkpoint fails: refused" in report.reason


def test_the_docs_third_party_receipt_check_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "tamper-evidence.md").read_text()
    (block,) = [b for b in re.findall(r"```python\n(.*?)```", doc, flags=re.S) if "receipt" in b]
    lg = make_ledger(11)
    (tmp_path / "receipt.json").write_text(lg.prove(7).to_json())
    (tmp_path / "checkpoint.txt").write_text(lg.checkpoint().to_note())
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "docs/tamper-evidence.md", "exec"), {})


# -- issue 15, item 8: hostile notes and receipts are refused, never raised raw ----------


def test_a_tree_size_beyond_go_s_int64_is_refused_naming_the_line() -> None:
    limit = 2**63 - 1
    assert Checkpoint.from_note(f"o\n{limit}\n{ROOT64}\n").size == limit
    for size in (str(limit + 1), "9" * 5000):
        with pytest.raises(InvalidProof, match="checkpoint line 2: tree size") as caught:
            Checkpoint.from_note(f"o\n{size}\n{ROOT64}\n")
        assert len(str(caught.value)) < 200


def test_a_deeply_nested_receipt_is_refused() -> None:
    for text in ("[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000):
        with pytest.raises(InvalidProof, match="nested too deeply"):
            Receipt.from_json(text)
    lg = make_ledger(3)
    leaf = ("[" * 100_000 + "]" * 100_000).encode()
    digest = merkle.leaf_hash(leaf)
    receipt = Receipt(1, 1, digest, (), digest, lg.checkpoint().origin, leaf)
    with pytest.raises(InvalidProof, match="record"):
        verify_receipt(receipt)


def test_a_receipt_with_numbers_beyond_int_conversion_is_refused() -> None:
    doc = json.loads(make_ledger(3).prove(1).to_json())
    text = json.dumps(doc).replace('"position": 1', '"position": ' + "9" * 5000)
    with pytest.raises(InvalidProof, match="not JSON"):
        Receipt.from_json(text)


def test_an_origin_that_is_not_valid_unicode_text_is_refused() -> None:
    for origin in ("a\udcffb", "\ud800"):
        with pytest.raises(InvalidProof, match="origin"):
            Checkpoint(1, ROOT, origin)
    with pytest.raises(InvalidProof, match="note line 1"):
        Checkpoint.from_note(f"a\udcff\n1\n{ROOT64}\n")


# -- issue 15, item 11: origins, and signed notes as Go reads them ----------------------


def test_the_default_origin_adds_the_leaf_hash_of_record_one() -> None:
    lg = make_ledger(3)
    first = hashes(lg)[0]
    assert lg.checkpoint().origin == f"claims-ledger/memory/{first.hex()[:12]}"
    assert origin_for("/data/kursk.db", first) == f"claims-ledger/kursk/{first.hex()[:12]}"
    # Two ledgers with the same name and different first records have different origins.
    other = Ledger.open("memory://", clock=lambda: CLOCK)
    other.append(TopicDefined(topic="t/other", title="Other", unit="people"))
    assert other.checkpoint().origin != lg.checkpoint().origin
    # An empty ledger has no id yet: its origin is the name alone.
    assert make_ledger(0).checkpoint().origin == "claims-ledger/memory"


def test_the_default_origin_is_the_same_for_checkpoints_receipts_and_proofs() -> None:
    lg = make_ledger(5)
    origin = lg.checkpoint().origin
    assert lg.prove(2).origin == origin
    assert lg.prove_consistency(2).origin == origin


def test_a_receipt_carries_the_origin_it_was_made_for_and_is_checked_against_it() -> None:
    from ledger import tamper

    lg = make_ledger(6)
    receipt = tamper.prove(lg.store, 3, origin="example.org/kursk")
    assert receipt.origin == "example.org/kursk"
    assert Receipt.from_json(receipt.to_json()).origin == "example.org/kursk"
    signed = tamper.checkpoint(lg.store, "example.org/kursk")
    verify_receipt(receipt, signed)
    with pytest.raises(InvalidProof, match=r"origin .example\.org/kursk., the checkpoint"):
        verify_receipt(receipt, lg.checkpoint())
    proof = tamper.prove_consistency(lg.store, 2, origin="example.org/kursk")
    assert proof.origin == "example.org/kursk"
    old = attrs.evolve(signed, size=2, root=merkle.root(hashes(lg)[:2]))
    verify_consistency_proof(proof, old, signed)
    with pytest.raises(InvalidProof, match="origin"):
        verify_consistency_proof(proof, attrs.evolve(old, origin="elsewhere"), signed)
    with pytest.raises(InvalidProof, match="origin"):
        verify_consistency_proof(proof, old, lg.checkpoint())


def test_a_note_may_hold_del_as_go_allows() -> None:
    checkpoint = Checkpoint(3, ROOT, "origin\x7fwith-del")
    assert Checkpoint.from_note(checkpoint.to_note()) == checkpoint
    assert Checkpoint.from_note(checkpoint.to_note() + "ext\x7f\n") == checkpoint
    text = "del \x7f in a note\n"
    private, public = signing.generate_key("log")
    assert signing.open_note(signing.sign_note(text, private), public) == text
    with pytest.raises(InvalidProof, match="control character"):
        Checkpoint.from_note(f"o\x1f\n3\n{ROOT64}\n")


def test_key_ids_in_uppercase_hex_are_accepted_as_go_does() -> None:
    upper_pub = GO_VKEY.replace("c74f20a3", "C74F20A3")
    upper_key = GO_SKEY.replace("c74f20a3", "C74F20A3")
    assert signing.open_note(GO_TEXT + "\n" + GO_SIGNATURE, upper_pub) == GO_TEXT
    assert signing.sign_note(GO_TEXT, upper_key) == GO_TEXT + "\n" + GO_SIGNATURE


# Go's note_test.go: a second key, and the note signed by both (TestOpen).
GO_ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
GO_ENOCH_SIGNATURE = (
    "\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnW"
    "Lox33WWd1RvMc+QQ=\n"
)


def test_go_s_doubly_signed_note_opens_with_either_key() -> None:
    note = GO_TEXT + "\n" + GO_SIGNATURE + GO_ENOCH_SIGNATURE
    assert signing.open_note(note, GO_VKEY) == GO_TEXT
    assert signing.open_note(note, GO_ENOCH_VKEY) == GO_TEXT
    bad = GO_TEXT + "\n" + GO_SIGNATURE[:60] + "ABCD" + GO_SIGNATURE[60:]
    with pytest.raises(SignatureError):
        signing.open_note(bad, GO_VKEY)


@pytest.mark.parametrize(
    "note",
    [
        GO_TEXT,
        GO_TEXT + "\n",
        GO_TEXT + "\n" + GO_SIGNATURE[:-1],
        "\x01" + GO_TEXT + "\n" + GO_SIGNATURE,
        GO_TEXT + "\n" + GO_SIGNATURE.replace("PeterNeumann", "Bad Name")[:-1],
        GO_TEXT + "\n" + GO_SIGNATURE + "Unexpected line.\n",
    ],
)
def test_go_s_malformed_notes_are_refused(note: str) -> None:
    with pytest.raises(SignatureError):
        signing.open_note(note, GO_VKEY)


def test_re_signing_with_the_same_key_replaces_its_signature_line() -> None:
    # Go's TestSign: a note carrying a bad signature line of the key is re-signed cleanly.
    stale = base64.b64encode(bytes.fromhex("c74f20a3") + b"\0" * 64).decode()
    note = f"{GO_TEXT}\n\u2014 PeterNeumann {stale}\n"
    assert signing.sign_note(note, GO_SKEY) == GO_TEXT + "\n" + GO_SIGNATURE
    assert signing.sign_note(signing.sign_note(GO_TEXT, GO_SKEY), GO_SKEY) == (
        GO_TEXT + "\n" + GO_SIGNATURE
    )
    log, log_pub = signing.generate_key("log")
    witness, witness_pub = signing.generate_key("witness")
    note = signing.sign_note(signing.sign(Checkpoint(1, ROOT), log), witness)
    again = signing.sign_note(note, log)
    names = [line.split()[1] for line in again.splitlines() if line.startswith("\u2014")]
    assert names == ["witness", "log"]  # as Go orders them: the others kept, the new last
    assert signing.verify_note(again, log_pub) == signing.verify_note(again, witness_pub)
    # Another key of the same name is another key: its line stays.
    other, _ = signing.generate_key("log")
    assert signing.sign_note(again, other).count("\u2014 log ") == 2


def test_signature_names_follow_go_s_rules() -> None:
    # Go's isValidName: no Unicode space (its set: \x1c-\x1f are not spaces), no '+'.
    assert signing.key_name("a\x1cb+00000000+AAAA") == "a\x1cb"
    for bad in ("a\u3000b", "a\x85b", "a+b", "", "a\udcffb"):
        with pytest.raises(SignatureError, match="key name"):
            signing.generate_key(bad)
