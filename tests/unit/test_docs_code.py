"""The README's code runs, and so does every example."""

from __future__ import annotations

import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S)


def test_the_readme_opens_with_the_two_setup_commands() -> None:
    text = (ROOT / "README.md").read_text()
    first_block = re.search(r"```sh\n(.*?)```", text, flags=re.S)
    assert first_block is not None
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert commands == ["make demo", "make test"]


def test_the_readme_quickstart_runs_and_its_comments_are_true(
    capsys: pytest.CaptureFixture[str],
) -> None:
    (block,) = python_blocks(ROOT / "README.md")
    exec(compile(block, "README.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    promised = [line.split("# ")[1] for line in block.splitlines() if line.startswith("print(")]
    assert printed == promised


@pytest.mark.parametrize(
    "name", ["quickstart.py", "kursk_pows.py", "time_travel.py", "custom_projection.py"]
)
def test_every_example_runs(name: str) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / name)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()


def test_the_quickstart_example_finds_the_majority(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(ROOT / "examples" / "quickstart.py"), run_name="__main__")
    out = capsys.readouterr().out
    # "more than 120" states a limit, so the estimate is the Red Cross's "about 130".
    assert "consensus: [121, 131] majority estimate 130" in out


def test_the_custom_projection_example_counts_figures_per_source_and_keeps_them_current(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", ["custom_projection.py"])
    with pytest.raises(SystemExit) as done:
        runpy.run_path(str(ROOT / "examples" / "custom_projection.py"), run_name="__main__")
    assert done.value.code == 0
    out = capsys.readouterr().out
    whole, rest = out.split("As stated by 12 January 2025, 00:00 UTC:")
    # The seed's eight figures: three of Ukraine's (captured, deployed, casualties)...
    assert "  ukraine                  2025-01  3" in whole
    assert "  nis                      2025-01  2" in whole
    # ...of which only the capture of two was stated by the 12th (no figure is dated the 12th).
    assert rest.split("Kept current")[0].strip() == "ukraine                  2025-01  1"
    assert "Kept current: 8 figures, then 9 after an append" in rest
    assert "up to position 37 of 37" in rest


def test_the_projection_example_in_the_docs_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    (block,) = python_blocks(ROOT / "docs" / "projections.md")
    exec(compile(block, "docs/projections.md", "exec"), {})


def test_the_testing_docs_property_test_runs_and_its_store_contract_subclass_is_complete() -> None:
    first, second = python_blocks(ROOT / "docs" / "testing.md")
    scope: dict[str, object] = {}
    exec(compile(first, "docs/testing.md", "exec"), scope)
    law = scope["test_the_counts_add_up_to_the_figures_reported"]
    assert callable(law)
    law()  # hypothesis runs its examples
    exec(compile(second, "docs/testing.md", "exec"), scope)
    contract = scope["TestMyStore"]
    assert isinstance(contract, type)
    assert not getattr(contract, "__abstractmethods__", None)
