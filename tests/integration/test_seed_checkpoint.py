"""The seed ledger verifies clean against the checkpoint printed in seeds/README.md."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

from ledger import Ledger
from ledger.tamper import Checkpoint, verify_url

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
SEED = SEEDS / "kursk-north-korean-pows.jsonl"


def published() -> Checkpoint:
    """The note in the fenced text block under the README's Checkpoint heading."""
    text = (SEEDS / "README.md").read_text(encoding="utf-8")
    found = re.search(r"^## Checkpoint\n.*?^```text\n(.*?)^```$", text, flags=re.S | re.M)
    assert found is not None, "seeds/README.md has no ```text block under ## Checkpoint"
    return Checkpoint.from_note(found.group(1))


def test_the_seed_ledger_verifies_clean_against_the_published_checkpoint() -> None:
    checkpoint = published()
    assert checkpoint.origin == "claims-ledger/kursk-north-korean-pows/c2eb7003e37c"
    report = verify_url(str(SEED), checkpoint)
    assert report.ok, report.summary()
    assert (report.size, report.root) == (checkpoint.size, checkpoint.root)


def test_the_published_checkpoint_is_the_seed_ledgers_checkpoint_now() -> None:
    # Equal, not merely consistent: a seed that grew must get a new note in the README.
    with Ledger.open(str(SEED), read_only=True) as lg:
        assert lg.checkpoint() == published()


def test_a_fresh_build_of_the_seed_has_the_published_root(tmp_path: Path) -> None:
    build = runpy.run_path(str(SEEDS / "build.py"))["build"]
    target = tmp_path / SEED.name
    build(SEEDS / "kursk-north-korean-pows.events.jsonl", target)
    with Ledger.open(str(target)) as lg:
        assert lg.checkpoint() == published()
