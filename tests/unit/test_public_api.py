"""The checked public surface (STYLE.md 3) and the layering of ledger/ (STYLE.md 1).

Imports are read with ``ast`` from the source files, so a module that imports
something it should not is caught even when the import is inside a function.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path
from types import ModuleType

import pytest

import ledger
import ledger.domain.events
import ledger.domain.figures
import ledger.domain.views
import ledger.errors

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "ledger"
#: The design contract, as the project keeps it for its readers.
DESIGN = ROOT / "docs" / "design.md"
VALUE_MODULES = [ledger.domain.events, ledger.domain.figures, ledger.domain.views, ledger.errors]


def design_text() -> str:
    return DESIGN.read_text(encoding="utf-8")


# -- __all__ ------------------------------------------------------------------


def test_the_package_all_is_sorted_without_duplicates() -> None:
    assert ledger.__all__ == sorted(set(ledger.__all__))


def test_every_name_in_the_package_all_exists() -> None:
    missing = [name for name in ledger.__all__ if not hasattr(ledger, name)]
    assert missing == []


@pytest.mark.parametrize("module", VALUE_MODULES, ids=lambda m: m.__name__)
def test_every_name_in_a_value_module_s_all_exists(module: ModuleType) -> None:
    assert [name for name in module.__all__ if not hasattr(module, name)] == []


@pytest.mark.parametrize("module", VALUE_MODULES, ids=lambda m: m.__name__)
def test_every_public_name_the_design_names_is_re_exported_from_ledger(
    module: ModuleType,
) -> None:
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", design_text()))
    named = sorted(n for n in module.__all__ if n in words)
    assert named, f"DESIGN.md names nothing from {module.__name__}?"
    missing = [n for n in named if n not in ledger.__all__]
    assert missing == []
    assert all(getattr(ledger, n) is getattr(module, n) for n in named)


def test_every_error_is_re_exported_from_ledger() -> None:
    missing = [n for n in ledger.errors.__all__ if n not in ledger.__all__]
    assert missing == []


def test_every_dotted_ledger_name_in_the_design_resolves() -> None:
    dotted = set(re.findall(r"\bledger(?:\.[A-Za-z_][A-Za-z0-9_]*)+", design_text()))
    assert "ledger.errors.InvalidFigure" in dotted
    unresolved = [name for name in sorted(dotted) if not resolves(name)]
    assert unresolved == []


def resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    obj: object = ledger
    for i, part in enumerate(parts[1:], start=2):
        if not hasattr(obj, part):
            try:
                obj = importlib.import_module(".".join(parts[:i]))
            except ImportError:
                return False
            continue
        obj = getattr(obj, part)
    return True


# -- the drawn error tree --------------------------------------------------------


def drawn_tree() -> list[tuple[str, str | None]]:
    """(error, drawn parent) for every error in the errors module docstring."""
    found: list[tuple[str, str | None]] = []
    stack: list[str] = []
    for line in (ledger.errors.__doc__ or "").splitlines():
        match = re.fullmatch(r"    ((?:[│ ]   )*)([├└]── )?([A-Z][A-Za-z]*)\b.*", line)
        if match is None:
            continue
        depth = len(match.group(1)) // 4 + (1 if match.group(2) else 0)
        del stack[depth:]
        found.append((match.group(3), stack[-1] if stack else None))
        stack.append(match.group(3))
    return found


def test_the_error_tree_draws_every_error_once() -> None:
    drawn = [name for name, _ in drawn_tree()]
    assert sorted(drawn) == sorted(ledger.errors.__all__)


def test_each_error_derives_from_the_parent_drawn_above_it() -> None:
    tree = drawn_tree()
    assert tree[0] == ("LedgerError", None)
    for name, parent in tree[1:]:
        cls = getattr(ledger.errors, name)
        # The nearest public LedgerError in the MRO is the drawn parent.
        nearest = next(
            c
            for c in cls.__mro__[1:]
            if issubclass(c, ledger.errors.LedgerError) and not c.__name__.startswith("_")
        )
        assert nearest.__name__ == parent, f"{name} derives from {nearest.__name__}"


# -- layering ----------------------------------------------------------------------

#: Each layer of ledger/ and the layers it may import (STYLE.md 1 and 12). A
#: module's folder is its layer; the modules at the top are the base (errors,
#: merkle, version) and the public surface (the package, and ``events``, which
#: DESIGN.md names).
LAYERS: dict[str, set[str]] = {
    "errors": set(),
    "version": set(),
    "merkle": {"errors"},
    "domain": {"errors"},
    "events": {"domain"},
    "codec": {"errors", "domain"},
    "projections": {"errors", "domain", "codec"},
    "stores": {"errors", "merkle", "codec"},
    "tamper": {"errors", "merkle", "codec", "stores"},
    # Reading a spreadsheet undoes what writing one did (ledger.export.writers).
    "io": {"errors", "domain", "codec", "projections", "export"},
    "export": {"errors", "domain", "codec"},
    "facade": {
        "errors",
        "merkle",
        "domain",
        "codec",
        "projections",
        "stores",
        "tamper",
        "io",
        "export",
    },
    "present": {"errors", "version", "domain", "codec", "projections", "facade", "export"},
    "cli": {
        "errors",
        "version",
        "merkle",
        "domain",
        "codec",
        "projections",
        "stores",
        "tamper",
        "io",
        "export",
        "facade",
        "present",
    },
    "testing": {"errors", "merkle", "domain", "codec", "projections", "stores", "facade", "events"},
}


def project_imports(source: str, module: str) -> set[str]:
    """The ledger modules a module's source imports, relative imports resolved."""
    package = module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            # `from ledger import errors` imports the submodule; `from ledger
            # import Ledger` imports the package and with it every layer.
            names = [
                f"{target}.{alias.name}" if is_submodule(f"{target}.{alias.name}") else target
                for alias in node.names
            ]
        else:
            continue
        found.update(n for n in names if n == "ledger" or n.startswith("ledger."))
    return found


def is_submodule(name: str) -> bool:
    relative = name.split(".")[1:]
    path = PACKAGE.joinpath(*relative)
    return bool(relative) and (path.with_suffix(".py").exists() or path.is_dir())


def modules() -> list[tuple[str, Path]]:
    """Every module of the package but its __init__, with its source file."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).with_suffix("")
        if relative.parts == ("__init__",):
            continue
        parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
        found.append(("ledger." + ".".join(parts), path))
    return found


def layer_of(module: str) -> str:
    return module.split(".")[1]


def test_the_import_reader_resolves_relative_and_package_imports() -> None:
    source = (
        "import ledger.codec\n"
        "from . import errors\n"
        "from .stores import memory\n"
        "from ledger import Ledger\n"
        "def f():\n    from ledger.facade import Ledger\n"
        "import attrs\n"
    )
    assert project_imports(source, "ledger.projections") == {
        "ledger",
        "ledger.codec",
        "ledger.errors",
        "ledger.facade",
        "ledger.stores.memory",
    }


def test_every_module_of_the_package_belongs_to_a_layer() -> None:
    assert {layer_of(m) for m, _ in modules()} - {"__main__"} <= set(LAYERS)


@pytest.mark.parametrize(("module", "path"), modules(), ids=[m for m, _ in modules()])
def test_each_module_imports_only_its_own_layer_and_the_layers_below(
    module: str, path: Path
) -> None:
    if module == "ledger.__main__":
        return
    layer = layer_of(module)
    allowed = LAYERS[layer] | {layer}
    imported = project_imports(path.read_text(encoding="utf-8"), module)
    # `ledger` alone is the public package, which imports every layer.
    outside = sorted(m for m in imported if m == "ledger" or layer_of(m) not in allowed)
    assert outside == [], f"{module} ({layer}) imports {outside}"
