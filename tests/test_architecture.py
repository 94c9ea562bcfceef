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


USECASES = ROOT / "bot" / "usecases"


def usecase_imports(path: Path) -> set[str]:
    """The use-case modules `path` imports (`bot.usecases.x`, `from bot.usecases import x`)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == "bot.usecases":
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bot.usecases."):
            found.add((node.module or "").split(".")[2])
        elif isinstance(node, ast.Import):
            found.update(
                a.name.split(".")[2] for a in node.names if a.name.startswith("bot.usecases.")
            )
    return found


def usecase_graph() -> dict[str, set[str]]:
    return {
        path.stem: usecase_imports(path) - {path.stem}
        for path in sorted(USECASES.glob("*.py"))
        if path.stem != "__init__"
    }


def test_use_case_imports_run_one_way_without_cycles() -> None:
    graph = usecase_graph()
    assert set().union(*graph.values()) <= set(graph), "imports a use-case module that is missing"
    done: set[str] = set()
    order: list[str] = []
    while len(done) < len(graph):
        ready = sorted(n for n in graph if n not in done and graph[n] <= done)
        assert ready, f"import cycle among {sorted(set(graph) - done)}"
        done.update(ready)
        order.extend(ready)
    # Scheduling may call daily rounds and boards; nothing calls scheduling back.
    assert {"daily", "boards"} <= graph["scheduling"]
    assert not [name for name, deps in graph.items() if "scheduling" in deps]
    assert order[0] == "context"  # the shared context depends on no use case


def test_the_cycle_check_catches_a_cycle(tmp_path: Path) -> None:
    # The check above must be able to fail: two modules importing each other form a cycle.
    (tmp_path / "a.py").write_text("from bot.usecases import b\n")
    (tmp_path / "b.py").write_text("from bot.usecases.a import thing\n")
    assert usecase_imports(tmp_path / "a.py") == {"b"}
    assert usecase_imports(tmp_path / "b.py") == {"a"}


def test_only_the_scheduler_and_the_composition_root_reach_scheduling() -> None:
    allowed = {ROOT / "scheduler" / "ticker.py", ROOT / "bot" / "bootstrap.py"}
    for package in ("bot", "adapters", "scheduler"):
        for path in modules(package):
            if path.parent == USECASES or path in allowed:
                continue
            assert "scheduling" not in usecase_imports(path), path


@pytest.mark.parametrize("path", modules("bot"), ids=str)
def test_core_modules_and_classes_stay_small(path: Path) -> None:
    # README, layout: no module in bot/ over about 400 lines, no class over about 300.
    if "versions" in path.parts:
        return
    text = path.read_text(encoding="utf-8")
    # bot/messages.py holds every user-facing string in one place, ready for translation
    # (DESIGN.md section 10): a catalog of constants, exempt by design (README, Layout).
    if path.name == "messages.py":
        return
    assert len(text.splitlines()) <= 420, f"{path} has grown past 400 lines: split it"
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ClassDef):
            size = (node.end_lineno or node.lineno) - node.lineno + 1
            assert size <= 300, f"{path}: class {node.name} has {size} lines"


def test_every_catalog_entry_names_the_module_of_its_handlers() -> None:
    from bot.catalog import CATALOG
    from bot.dispatch import HANDLERS
    from bot.parsing import ParseError, parse

    by_module: dict[str, set[str]] = {}
    for kind, handler in HANDLERS.items():
        by_module.setdefault(handler.__module__, set()).add(kind.__name__)
    for entry in CATALOG:
        assert (USECASES / f"{entry.usecase}.py").exists(), entry.name
        lines = [entry.name, *entry.examples]
        lines += [f"{entry.name} {s.name} " + " ".join("x" for _ in s.args) for s in entry.subs]
        for line in lines:
            parsed = parse(line)
            if isinstance(parsed, ParseError):
                continue  # a sub that needs a real value; its siblings cover the entry
            handler = HANDLERS[type(parsed)]
            assert handler.__module__ == f"bot.usecases.{entry.usecase}", (entry.name, line)
    assert set(by_module) <= {f"bot.usecases.{e.usecase}" for e in CATALOG}
