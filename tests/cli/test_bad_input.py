"""Input built to break the CLI ends in one Error line and an exit code, never a traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ledger.cli import cli
from ledger.domain.phrases import CONVENTIONS
from tests.cli.conftest import CASUALTIES, Run
from tests.cli.hostile import raw_controls

DIGITS = "9" * 5000  # int() refuses more than 4,300 digits with a ValueError


def _listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _error(result: Result, *named: str) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (1, 2), (result.exit_code, result.output)
    assert "Traceback" not in result.output
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: "), result.stderr
    for name in named:
        assert name in last, (name, last)
    assert raw_controls(result.output) == []
    assert len(last) < 400  # a 5,000-digit value is not echoed whole


def _invoke(*args: object) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.mark.parametrize("option", ["--low", "--high", "--best"])
@pytest.mark.parametrize("value", [DIGITS, "1" + "0" * 400, "-" + DIGITS, "1e400"])
def test_a_number_too_large_is_an_error_naming_its_option(
    tmp_path: Path, option: str, value: str
) -> None:
    store = tmp_path / "n.db"
    args = ["add", "figure", store, "--topic", "t/x", "--source", "s", "--unit", "people"]
    args += ["--stated", "2025-01-01", "--low", "1", "--high", "2", option, value]
    _error(_invoke(*args), option)
    assert list(tmp_path.iterdir()) == []  # no ledger created


def test_a_convention_with_numbers_is_a_usage_error_not_ignored(tmp_path: Path) -> None:
    """--convention reads --phrase alone; with --low/--high it would be silently dropped."""
    store = tmp_path / "n.db"
    args = ["add", "figure", store, "--topic", "t/x", "--source", "s", "--unit", "people"]
    args += ["--stated", "2025-01-01", "--phrase", "5", "--low", "1", "--high", "9"]
    result = _invoke(*args, "--convention", CONVENTIONS[-1])
    _error(result, "--convention")
    assert result.exit_code == 2
    assert list(tmp_path.iterdir()) == []
    assert _invoke(*args).exit_code == 0  # the default convention given by nobody is no conflict


def test_a_huge_as_of_position_or_date_is_a_usage_error(seed_db: Path, tmp_path: Path) -> None:
    _error(_invoke("topics", seed_db, "--as-of", DIGITS), "--as-of")
    _error(_invoke("topics", seed_db, "--as-of", DIGITS + "-01-01"), "--as-of")
    folder = tmp_path / "new"
    folder.mkdir()
    args = ["add", "claim", folder / "n.db", "--topic", "t/q", "--source", "s"]
    _error(_invoke(*args, "--statement", "x", "--stated", DIGITS), "--stated")
    assert list(folder.iterdir()) == []


def _note(seed_db: Path, tmp_path: Path, run: Run) -> Path:
    note = tmp_path / "cp.txt"
    run("checkpoint", seed_db, "-o", note)
    return note


def test_a_checkpoint_size_of_5000_digits_is_an_error_naming_the_note(
    run: Run, seed_db: Path, tmp_path: Path
) -> None:
    note = _note(seed_db, tmp_path, run)
    origin, _, root = note.read_text().splitlines()
    note.write_text(f"{origin}\n{DIGITS}\n{root}\n")
    before = _listing(tmp_path)
    _error(_invoke("verify", seed_db, "--checkpoint", note), "cp.txt", "tree size")
    receipt = tmp_path / "r.json"
    run("prove", seed_db, "1", "-o", receipt)
    _error(_invoke("verify-receipt", receipt, "--checkpoint", note), "cp.txt", "tree size")
    assert _listing(tmp_path) == {**before, "r.json": receipt.read_bytes()}


@pytest.mark.parametrize("what", ["note", "receipt", "key"])
def test_a_file_that_is_not_utf8_is_an_error_naming_it(
    run: Run, seed_db: Path, tmp_path: Path, what: str
) -> None:
    pytest.importorskip("cryptography")
    note = _note(seed_db, tmp_path, run)
    receipt = tmp_path / "r.json"
    run("prove", seed_db, "1", "-o", receipt)
    run("keygen", "example.org/k", "-o", tmp_path / "k")
    bad = tmp_path / f"bad-{what}"
    original = {"note": note, "receipt": receipt, "key": tmp_path / "k.pub"}[what]
    bad.write_bytes(original.read_bytes().replace(b"\n", b"\xff\xfe\n", 1))
    before = _listing(tmp_path)
    if what == "note":
        _error(_invoke("verify", seed_db, "--checkpoint", bad), bad.name, "UTF-8")
        _error(_invoke("verify-receipt", receipt, "--checkpoint", bad), bad.name, "UTF-8")
    elif what == "receipt":
        _error(_invoke("verify-receipt", bad), bad.name, "UTF-8")
    else:
        _error(_invoke("verify", seed_db, "--checkpoint", note, "--key", bad), bad.name, "UTF-8")
        private = tmp_path / "k.key"
        bad.write_bytes(b"PRIVATE+KEY+\xff" + private.read_bytes()[12:])
        out = tmp_path / "signed.txt"
        _error(_invoke("checkpoint", seed_db, "--sign", bad, "-o", out), bad.name, "UTF-8")
        before[bad.name] = bad.read_bytes()
    assert _listing(tmp_path) == before  # nothing written


def test_a_deeply_nested_receipt_is_an_error_naming_it(tmp_path: Path) -> None:
    for body in ("[" * 200_000 + "]" * 200_000, '{"a":' * 100_000 + "1" + "}" * 100_000):
        receipt = tmp_path / "deep.json"
        receipt.write_text(body)
        _error(_invoke("verify-receipt", receipt), "deep.json")


def test_a_receipt_whose_leaf_is_deeply_nested_is_reported_not_raised(
    run: Run, seed_db: Path, tmp_path: Path
) -> None:
    from ledger import merkle

    leaf = "[" * 200_000 + "]" * 200_000
    digest = merkle.leaf_hash(leaf.encode())
    doc = {
        "format": "claims-ledger/inclusion-receipt/v1",
        "origin": "o",
        "position": 1,
        "size": 1,
        "leaf_hash": digest.hex(),
        "proof": [],
        "root": digest.hex(),
        "leaf": leaf,
    }
    receipt = tmp_path / "r.json"
    receipt.write_text(json.dumps(doc))
    result = _invoke("verify-receipt", receipt)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1
    assert "NOT OK" in result.stdout or result.stderr.startswith("Error: ")


SURROGATE = "x\udcff\udc80y"  # what click passes for the argv bytes b"x\xff\x80y"


def _commands(store: Path, out: Path, note: Path, receipt: Path) -> list[list[str]]:
    s = SURROGATE
    stated = ["--stated", "2025-01-01"]
    return [
        ["init", out.with_suffix(".db")],
        ["add", "figure", store, "--topic", s, "--source", "s", "--phrase", "5", "--unit", "u",
         *stated],
        ["add", "figure", store, "--topic", "t/x", "--source", s, "--low", "1", "--unit", "u",
         *stated],
        ["add", "figure", store, "--topic", "t/x", "--source", "s", "--phrase", s, "--unit", "u",
         *stated],
        ["add", "figure", store, "--topic", "t/x", "--source", "s", "--low", "1", "--unit", s,
         *stated],
        ["add", "figure", store, "--topic", "t/x", "--source", "s", "--low", "1", "--unit", "u",
         "--quote", s, "--url", s, "--via", s, *stated],
        ["add", "figure", store, "--topic", "t/x", "--source", "s", "--low", s, *stated],
        ["add", "figure", store, "--topic", "t/x", "--source", "s", "--low", "1", "--unit", "u",
         "--stated", s],
        ["add", "claim", store, "--topic", "t/q", "--source", "s", "--statement", s, *stated],
        ["add", "claim", store, "--topic", "t/q", "--source", "s", "--statement", "x",
         "--proposition", s, "--claim-id", s, *stated],
        ["dispute", store, s, "--source", "o", "--reason", s, *stated],
        ["dispute", store, "ukraine-casualties", "--source", "o", "--reason", s, *stated],
        ["retract", store, s, "--reason", s, *stated],
        ["define-topic", store, "t/new", "--title", s, "--unit", s, "--description", s],
        ["define-topic", store, s, "--title", "x", "--part", s],
        ["describe-source", store, "new", "--name", s, "--affiliation", s],
        ["topics", store, "--as-of", s],
        ["show", store, s],
        ["propositions", store, "--topic", s],
        ["timeline", store, s],
        ["log", store, "--as-of", s],
        ["follow", store, "--count", "1", "--after", s],
        ["plot", store, s, "-o", out.with_suffix(".svg")],
        ["plot", store, CASUALTIES, "-o", out.with_name(f"{s}.svg")],
        ["report", store, "-o", out, "--title", s],
        ["report", store, "-o", out.with_name(f"{s}.html")],
        ["checkpoint", store, "--origin", s],
        ["checkpoint", store, "--origin", s, "-o", out.with_suffix(".txt")],
        ["verify", store, "--checkpoint", note],
        ["prove", store, s],
        ["verify-receipt", receipt, "--checkpoint", note],
        ["keygen", s, "-o", out.with_name("k")],
        ["topics", out.with_name(f"{s}.db")],
        ["add", "claim", out.with_name(f"{s}.db"), "--topic", "t/q", "--source", "s",
         "--statement", "x", *stated],
        ["add", "claim", f"sqlite:///{out.with_name(s)}.db", "--topic", "t/q", "--source", "s",
         "--statement", "x", *stated],
    ]  # fmt: skip


def test_no_command_tracebacks_on_arguments_that_are_not_utf8(
    run: Run, seed_db: Path, tmp_path: Path
) -> None:
    note = _note(seed_db, tmp_path, run)
    receipt = tmp_path / "r.json"
    run("prove", seed_db, "1", "-o", receipt)
    folder = tmp_path / "out"
    folder.mkdir()
    for args in _commands(seed_db, folder / "o.html", note, receipt):
        result = _invoke(*args)
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            args,
            repr(result.exception),
        )
        assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.output)
        assert "Traceback" not in result.output
        assert raw_controls(result.output) == [], (args, result.output)
        if result.exit_code:
            assert "Error: " in result.stderr, (args, result.output)
    shutil.rmtree(folder)


def test_follow_refuses_a_timeout_that_is_not_a_number(seed_db: Path) -> None:
    _error(_invoke("follow", seed_db, "--timeout", "nan", "--count", "99"), "--timeout")


@pytest.mark.parametrize("value", ["1_0", "٣", "0x1", "1.0"])
@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("prove", "{store}", "{value}"), "POSITION"),
        (("prove", "{store}", "1", "--size", "{value}"), "--size"),
        (("follow", "{store}", "--after", "{value}", "--timeout", "0"), "--after"),
        (("follow", "{store}", "--count", "{value}", "--timeout", "0"), "--count"),
    ],
)
def test_a_position_or_count_not_in_plain_digits_is_a_usage_error(
    seed_db: Path, args: tuple[str, ...], named: str, value: str
) -> None:
    # int() would read "1_0" as 10 and "٣" as 3: a position is written in digits.
    result = _invoke(*(a.format(store=seed_db, value=value) for a in args))
    assert result.exit_code == 2, result.output
    _error(result, named, "is not a whole number in digits")


@pytest.mark.parametrize("digits", [20, 5_000])
def test_a_position_of_thousands_of_digits_is_refused_without_echoing_them(
    seed_db: Path, digits: int
) -> None:
    result = _invoke("prove", seed_db, "9" * digits)
    assert result.exit_code == 2, result.output
    _error(result, "POSITION", "too large")
    assert len(result.stderr) < 300
