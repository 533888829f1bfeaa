"""The package's layers (docs/architecture.md): imports run one way, down, with no circle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "cookieconsent"

#: Lowest first. A module may import its own layer and those below, never one above.
LAYERS = [
    # settings and pure helpers
    {
        "conf", "caching", "clock", "lifetimes", "loop", "markup", "regimes", "setcookie",
        "signals", "streaming", "translation",
    },
    {"models"},
    {"engine"},  # the request path
    {"publishing"},  # the policy's life
    {"console"},  # statistics, the inbox, the scanner
    {"proof"},  # records, export, retention
    # the edges
    {
        "middleware", "views", "urls", "admin", "management", "templatetags", "apps",
        "checks", "testing", "",
    },
]  # fmt: skip


def _layer(module: str) -> int:
    """The layer of ``cookieconsent.<module>`` (its first part names it)."""
    first = module.split(".")[0]
    for number, names in enumerate(LAYERS):
        if first in names:
            return number
    raise AssertionError(f"cookieconsent.{module} is in no layer: add it to LAYERS")


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE).with_suffix("")
        if relative.parts[0] == "migrations":
            continue
        parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
        found[".".join(parts)] = path
    return found


def _imports(path: Path) -> set[str]:
    """The cookieconsent modules ``path`` imports when it runs (not for type checking)."""
    tree = ast.parse(path.read_text())
    skipped = {
        id(child)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for statement in node.body
        for child in ast.walk(statement)
    }
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "cookieconsent":
                names.update(alias.name for alias in node.names)
            elif node.module.startswith("cookieconsent."):
                names.add(node.module.removeprefix("cookieconsent."))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("cookieconsent."):
                    names.add(alias.name.removeprefix("cookieconsent."))
    return names


MODULES = _modules()


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_run_down_the_layers(module):
    own = _layer(module)
    upward = sorted(name for name in _imports(MODULES[module]) if _layer(name) > own)
    assert not upward, f"cookieconsent.{module} imports from a layer above it: {upward}"


def test_no_import_circle():
    graph = {
        module: {name for name in _imports(path) if name in MODULES and name != module}
        for module, path in MODULES.items()
    }
    visiting: list[str] = []
    done: set[str] = set()

    def visit(module: str) -> None:
        if module in done:
            return
        assert module not in visiting, " → ".join([*visiting, module])
        visiting.append(module)
        for name in graph[module]:
            visit(name)
        visiting.pop()
        done.add(module)

    for module in graph:
        visit(module)
