"""The structure as rules (docs/architecture.md): one composition root, arrows between contexts one way."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CHALICELIB = Path(__file__).resolve().parents[2] / "chalicelib"
# A context may import only contexts of a lower rank; contexts of one rank know nothing of each other.
# Rank 0 holds the two shared kernels: platform (technical) and brazil (the Brazilian vocabulary several
# contexts share). Their one arrow is KERNEL_ARROWS: brazil uses platform's money and text types, platform
# knows nothing of brazil, so the graph stays acyclic.
RANK = {"platform": 0, "brazil": 0, "tenants": 1, "eventlog": 1, "stock": 2, "catalog": 3, "orders": 4,
        "invoicing": 5, "collections": 5, "notifications": 6, "ledger": 6, "dunning": 7, "reconciliation": 7, "payables": 7,
        "purchasing": 8, "metering": 8, "webhooks": 8, "reports": 9}
KERNEL_ARROWS = {("brazil", "platform")}
# The vocabulary is pure: what it may import (a module, or anything inside it).
BRAZIL_MAY_IMPORT = ("__future__", "re", "decimal", "typing", "pydantic", "validate_docbr",
                     "chalicelib.brazil", "chalicelib.platform.money", "chalicelib.platform.text")


def imports_of(path: Path) -> set[str]:
    """Every `chalicelib…` module a file imports, at any depth (functions, TYPE_CHECKING blocks)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("chalicelib"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("chalicelib"):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def every_import_of(path: Path) -> set[str]:
    """Every module a file imports (standard library and third party too), at any depth."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def context_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in RANK else None


MODULES = sorted(p for p in CHALICELIB.rglob("*.py") if p.name != "bootstrap.py")


def test_every_context_folder_has_a_rank() -> None:
    folders = {p.name for p in CHALICELIB.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == set(RANK)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(CHALICELIB)))
def test_no_module_but_the_composition_root_imports_it(path: Path) -> None:
    assert not {m for m in imports_of(path) if m == "chalicelib.bootstrap"}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(CHALICELIB)))
def test_arrows_between_contexts_point_one_way(path: Path) -> None:
    source = path.relative_to(CHALICELIB).parts[0]
    wrong = sorted({target for m in imports_of(path) if (target := context_of(m)) and target != source
                    and RANK[target] >= RANK[source] and (source, target) not in KERNEL_ARROWS})
    assert not wrong, f"{source} (rank {RANK[source]}) imports {wrong}: an upstream context learns of a " \
                      "downstream one through events or a port it owns, wired in bootstrap"


def test_the_kernels_arrows_point_one_way() -> None:
    for source, target in KERNEL_ARROWS:
        assert RANK[source] == RANK[target] == 0 and (target, source) not in KERNEL_ARROWS


@pytest.mark.parametrize("path", sorted((CHALICELIB / "brazil").rglob("*.py")), ids=lambda p: p.name)
def test_the_brazilian_vocabulary_is_pure(path: Path) -> None:
    wrong = sorted(m for m in every_import_of(path)
                   if not any(m == allowed or m.startswith(f"{allowed}.") for allowed in BRAZIL_MAY_IMPORT))
    assert not wrong, f"brazil/{path.name} imports {wrong}: the shared vocabulary does no I/O and knows no " \
                      "context; it may use only pydantic, validate_docbr and the kernel's money and text types"
