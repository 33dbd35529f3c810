"""Inclusion receipts and consistency proofs: the values, their JSON and checking them.

A ``Receipt`` proves that one record is in the tree of a given size and a
``ConsistencyProof`` that a smaller tree is a prefix of a larger one. Both are
JSON (docs/tamper-evidence.md) that a third party checks with ``ledger.merkle``
alone, which is all ``verify_receipt`` and ``verify_consistency_proof`` use.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import attrs

from ledger import merkle
from ledger.codec.canonical import repeated_key
from ledger.errors import InvalidProof, brief
from ledger.tamper.notes import Checkpoint, _b64, _hash, _origin, _size

__all__ = [
    "CONSISTENCY_FORMAT",
    "RECEIPT_FORMAT",
    "ConsistencyProof",
    "Receipt",
    "verify_consistency_proof",
    "verify_receipt",
]

RECEIPT_FORMAT = "claims-ledger/inclusion-receipt/v1"
CONSISTENCY_FORMAT = "claims-ledger/consistency-proof/v1"


# -- values --------------------------------------------------------------------


def _position(_: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidProof(f"{attribute.name} must be a positive integer, not {value!r}")


def _hashes(_: object, attribute: attrs.Attribute[tuple[bytes, ...]], value: Any) -> None:
    for i, item in enumerate(value):
        if not isinstance(item, bytes) or len(item) != merkle.HASH_SIZE:
            raise InvalidProof(f"{attribute.name}[{i}] must be {merkle.HASH_SIZE} bytes")


def _to_tuple(value: Iterable[bytes]) -> tuple[bytes, ...]:
    return tuple(value)


def _named(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    # "" names no checkpoint; any other origin is a checkpoint's, one line of text.
    if value != "":
        _origin(instance, attribute, value)


@attrs.frozen
class Receipt:
    """Proof that one record is the leaf at position - 1 of the tree of size with root."""

    position: int = attrs.field(validator=_position)
    size: int = attrs.field(validator=_size)
    leaf_hash: bytes = attrs.field(validator=_hash)
    proof: tuple[bytes, ...] = attrs.field(converter=_to_tuple, validator=_hashes)
    root: bytes = attrs.field(validator=_hash)
    origin: str = attrs.field(default="", validator=_named)
    #: The record's leaf bytes (canonical JSON), so the receipt shows what it proves.
    leaf: bytes | None = None

    def to_json(self) -> str:
        """The receipt as a JSON object with hex hashes (docs/tamper-evidence.md)."""
        doc: dict[str, Any] = {
            "format": RECEIPT_FORMAT,
            "origin": self.origin,
            "position": self.position,
            "size": self.size,
            "leaf_hash": self.leaf_hash.hex(),
            "proof": [p.hex() for p in self.proof],
            "root": self.root.hex(),
        }
        if self.leaf is not None:
            doc["leaf"] = self.leaf.decode()
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> Receipt:
        """Parse to_json's output; InvalidProof names the key that is wrong."""
        doc = _load(text, RECEIPT_FORMAT, cls, optional={"leaf"})
        leaf = doc.get("leaf")
        if leaf is not None and not isinstance(leaf, str):
            raise InvalidProof("receipt: leaf must be a string")
        return cls(
            position=_int(doc, "position"),
            size=_int(doc, "size"),
            leaf_hash=_hex(doc, "leaf_hash"),
            proof=_hex_list(doc, "proof"),
            root=_hex(doc, "root"),
            origin=_str(doc, "origin"),
            leaf=None if leaf is None else leaf.encode(),
        )


@attrs.frozen
class ConsistencyProof:
    """Proof that the tree of old_size with old_root is a prefix of the tree of new_size."""

    old_size: int = attrs.field(validator=_size)
    new_size: int = attrs.field(validator=_size)
    old_root: bytes = attrs.field(validator=_hash)
    new_root: bytes = attrs.field(validator=_hash)
    proof: tuple[bytes, ...] = attrs.field(converter=_to_tuple, validator=_hashes)
    origin: str = attrs.field(default="", validator=_named)

    def to_json(self) -> str:
        """The proof as a JSON object with hex hashes (docs/tamper-evidence.md)."""
        doc = {
            "format": CONSISTENCY_FORMAT,
            "origin": self.origin,
            "old_size": self.old_size,
            "new_size": self.new_size,
            "old_root": self.old_root.hex(),
            "new_root": self.new_root.hex(),
            "proof": [p.hex() for p in self.proof],
        }
        return json.dumps(doc, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> ConsistencyProof:
        """Parse to_json's output; InvalidProof names the key that is wrong."""
        doc = _load(text, CONSISTENCY_FORMAT, cls)
        return cls(
            old_size=_int(doc, "old_size"),
            new_size=_int(doc, "new_size"),
            old_root=_hex(doc, "old_root"),
            new_root=_hex(doc, "new_root"),
            proof=_hex_list(doc, "proof"),
            origin=_str(doc, "origin"),
        )


# -- checking receipts and proofs (ledger.merkle only) ---------------------------


def verify_receipt(receipt: Receipt, checkpoint: Checkpoint | None = None) -> None:
    """Check a receipt, and that it is for the checkpoint's tree and origin; InvalidProof if not."""
    if receipt.leaf is not None:
        if merkle.leaf_hash(receipt.leaf) != receipt.leaf_hash:
            raise InvalidProof("the receipt's record does not hash to its leaf_hash")
        try:
            stated = json.loads(receipt.leaf).get("position")
        except (ValueError, AttributeError):
            raise InvalidProof("the receipt's record is not a JSON object") from None
        except RecursionError:
            raise InvalidProof("the receipt's record is nested too deeply to read") from None
        if stated != receipt.position:
            raise InvalidProof(f"the record says position {stated}, the receipt {receipt.position}")
    merkle.verify_inclusion(
        receipt.leaf_hash, receipt.position - 1, receipt.size, receipt.proof, receipt.root
    )
    if checkpoint is not None:
        _same_tree("receipt", receipt.size, receipt.root, receipt.origin, checkpoint)


def verify_consistency_proof(
    proof: ConsistencyProof, old: Checkpoint | None = None, new: Checkpoint | None = None
) -> None:
    """Check a consistency proof, and that its ends are the given checkpoints (origin too)."""
    merkle.verify_consistency(
        proof.old_size, proof.new_size, proof.old_root, proof.new_root, proof.proof
    )
    if old is not None:
        _same_tree("old end of the proof", proof.old_size, proof.old_root, proof.origin, old)
    if new is not None:
        _same_tree("new end of the proof", proof.new_size, proof.new_root, proof.origin, new)


def _same_tree(what: str, size: int, root: bytes, origin: str, checkpoint: Checkpoint) -> None:
    if size != checkpoint.size:
        raise InvalidProof(
            f"the {what} is for size {brief(size)}, the checkpoint for {brief(checkpoint.size)}"
        )
    if root != checkpoint.root:
        raise InvalidProof(
            f"the {what} has root {_b64(root)}, the checkpoint {_b64(checkpoint.root)}"
        )
    # The same records copied to another ledger keep their roots: only the origin
    # says which log the proof was made for.
    if origin != checkpoint.origin:
        raise InvalidProof(
            f"the {what} is for origin {origin!r}, the checkpoint for {checkpoint.origin!r}"
        )


# -- reading the JSON forms --------------------------------------------------------


def _load(
    text: str | bytes, kind: str, cls: type[Any], optional: frozenset[str] | set[str] = frozenset()
) -> dict[str, Any]:
    """The JSON object of a receipt or proof, with exactly the keys of cls and its format."""
    try:
        doc = json.loads(text)
    except (ValueError, TypeError) as exc:
        raise InvalidProof(f"not JSON: {exc}") from None
    except RecursionError:
        raise InvalidProof("not JSON: nested too deeply to read") from None
    if not isinstance(doc, dict):
        raise InvalidProof("expected a JSON object")
    # The last of a repeated key would win here and the first elsewhere: the
    # text would say one size to one reader and another to the next.
    repeated = repeated_key(text)
    if repeated is not None:
        raise InvalidProof(f"key {repeated!r} is given twice")
    if doc.get("format") != kind:
        raise InvalidProof(f"format: expected {kind!r}, found {doc.get('format')!r}")
    fields = {a.name for a in attrs.fields(cls)}
    unknown = sorted(set(doc) - fields - {"format"})
    missing = sorted(fields - optional - set(doc))
    if unknown or missing:
        raise InvalidProof(f"unknown keys {unknown}" if unknown else f"missing keys {missing}")
    return doc


def _int(doc: dict[str, Any], key: str) -> int:
    value = doc[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidProof(f"{key}: expected an integer, found {value!r}")
    return value


def _str(doc: dict[str, Any], key: str) -> str:
    value = doc[key]
    if not isinstance(value, str):
        raise InvalidProof(f"{key}: expected a string, found {value!r}")
    return value


def _hex(doc: dict[str, Any], key: str) -> bytes:
    value = doc[key]
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{64}", value):
        raise InvalidProof(f"{key}: expected 64 lowercase hex digits, found {value!r}")
    return bytes.fromhex(value)


def _hex_list(doc: dict[str, Any], key: str) -> tuple[bytes, ...]:
    value = doc[key]
    if not isinstance(value, list):
        raise InvalidProof(f"{key}: expected a list, found {value!r}")
    return tuple(_hex({f"{key}[{i}]": v}, f"{key}[{i}]") for i, v in enumerate(value))
