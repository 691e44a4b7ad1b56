"""The house rules that code review alone would let slip: arrows point down, services know no web framework,
controllers hold no SQL (docs/adr/0001)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RANK = {"signing": 0, "core": 1, "trading": 2, "bidding": 3, "evaluation": 4, "supervision": 5, "sunbid": 6}
"""sunbid -> supervision -> evaluation -> bidding -> trading -> core -> signing (signing is a library: no database, no
web, no imports of ours; the kernel may use its formats, such as canonical JSON for the journal)."""
SQL_NAMES = {"select", "insert", "update", "delete", "text", "func"}
SQL_CALLS = {"execute", "scalar", "scalars", "fetch", "fetchrow", "fetchval"}


def _modules() -> Iterator[tuple[str, Path, ast.Module]]:
    for package in RANK:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield package, path, ast.parse(path.read_text(encoding="utf-8"))


def _imports(tree: ast.Module) -> Iterator[tuple[str, int]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, node.lineno


def test_imports_point_down() -> None:
    upward = []
    for package, path, tree in _modules():
        for name, line in _imports(tree):
            target = name.split(".")[0]
            if target in RANK and target != package and RANK[target] >= RANK[package]:
                upward.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert not upward, "a lower layer tells a higher one through a journal event, never an import:\n" + "\n".join(
        upward
    )


def test_services_never_import_litestar() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for _, path, tree in _modules()
        if path.name == "services.py" or "services" in path.parts[:-1]
        for name, line in _imports(tree)
        if name.split(".")[0] == "litestar"
    ]
    assert not found, "services are framework-free:\n" + "\n".join(found)


def test_controllers_hold_no_sql() -> None:
    found = []
    for _, path, tree in _modules():
        if path.name != "controllers.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
                found += [f"{path.relative_to(ROOT)}:{node.lineno} {a.name}" for a in node.names if a.name in SQL_NAMES]
            if isinstance(node, ast.Attribute) and node.attr in SQL_CALLS:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.attr}")
    assert not found, "controllers call services; SQL lives below them:\n" + "\n".join(found)


@pytest.mark.parametrize("package", sorted(RANK))
def test_the_check_sees_each_package(package: str) -> None:
    assert any(p == package for p, _, _ in _modules())
