"""The import rules of DESIGN.md section 1, checked on every module's syntax tree."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

SDKS = ("discord", "slack_bolt", "slack_sdk", "apscheduler")


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                raise AssertionError(f"{path}: relative import; use absolute names")
            found.add(node.module or "")
    return found


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def top(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize("path", modules("bot"), ids=str)
def test_core_imports_no_adapter_scheduler_or_sdk(path: Path) -> None:
    bad = {n for n in imports(path) if top(n) in ("adapters", "scheduler", *SDKS)}
    assert bad == set()


@pytest.mark.parametrize("path", modules("scheduler"), ids=str)
def test_scheduler_imports_only_core_and_apscheduler(path: Path) -> None:
    bad = {n for n in imports(path) if top(n) in ("adapters", "discord", "slack_bolt", "slack_sdk")}
    assert bad == set()


@pytest.mark.parametrize("adapter", ["console", "discord", "slack"])
def test_adapters_never_import_each_other(adapter: str) -> None:
    others = {f"adapters.{a}" for a in ("console", "discord", "slack")} - {f"adapters.{adapter}"}
    for path in sorted((ROOT / "adapters" / adapter).rglob("*.py")):
        bad = {n for n in imports(path) if any(n == o or n.startswith(o + ".") for o in others)}
        assert bad == set(), path


@pytest.mark.parametrize("adapter", ["discord", "slack"])
def test_platform_packages_reach_the_host_only_through_the_runtime_contract(adapter: str) -> None:
    # adapters.host imports the console; a platform package depends on adapters.runtime instead.
    for path in sorted((ROOT / "adapters" / adapter).rglob("*.py")):
        assert "adapters.host" not in imports(path), path


def test_every_module_has_a_one_line_docstring() -> None:
    for package in ("bot", "adapters", "scheduler"):
        for path in modules(package):
            if "versions" in path.parts:
                continue
            doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
            if path.name == "__init__.py" and doc is None:
                continue
            assert doc and "\n" not in doc.strip(), f"{path}: needs a one-line module docstring"
