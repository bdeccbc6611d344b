"""The import structure docs/architecture.md describes, read from the code's own imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "ordinance"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """The ``ordinance`` modules ``path`` imports, anywhere in it (lazy imports too)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("ordinance")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if not target.startswith("ordinance"):
                continue
            for alias in node.names:  # `from . import cache` imports a module
                candidate = f"{target}.{alias.name}"
                found.add(candidate if candidate in MODULES else target)
    return {m for m in found if m in MODULES and m != name}


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
GRAPH = {name: _imports(path) for name, path in MODULES.items()}


def _cycle() -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for child in sorted(GRAPH[node]):
            if state.get(child) == 1:
                return [*stack[stack.index(child):], child]
            if child not in state and (found := visit(child)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(GRAPH):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_reader_sees_every_module_and_its_imports() -> None:
    assert "ordinance.cli.common" in GRAPH["ordinance.cli.check"]
    assert "ordinance.engine.lawset" in GRAPH["ordinance.cli.common"]
    assert "ordinance.checker.cache" in GRAPH["ordinance.engine.lawset"]  # `from . import cache`
    assert "ordinance.outputs.docsite" in GRAPH["ordinance.cli.docs"]  # imported inside the command


def test_no_import_circles() -> None:
    assert _cycle() is None, " -> ".join(_cycle() or [])


COMMAND_MODULES = [m for m in MODULES if m.startswith("ordinance.cli.")
                   and m not in ("ordinance.cli.common", "ordinance.cli.group")]


@pytest.mark.parametrize("module", COMMAND_MODULES)
def test_a_command_imports_the_shared_helpers_never_the_group_or_another_command(
        module: str) -> None:
    inside = {m for m in GRAPH[module] if m.startswith("ordinance.cli")}
    assert inside <= {"ordinance.cli.common"}, inside


def test_the_group_imports_no_command_and_names_every_one() -> None:
    """Commands are loaded by name when they run (cold start), each from its own module."""
    from ordinance.cli.group import COMMANDS

    assert not GRAPH["ordinance.cli.group"] & set(COMMAND_MODULES)
    named = {f"ordinance.cli.{target.split(':')[0]}" for target in COMMANDS.values()}
    assert named == set(COMMAND_MODULES)


def test_nothing_below_the_command_line_imports_it() -> None:
    users = {m for m, targets in GRAPH.items() if not m.startswith("ordinance.cli")
             and m != "ordinance.__main__" and any(t.startswith("ordinance.cli") for t in targets)}
    assert users == set()


STAGES = ("language", "checker", "engine", "analysis", "outputs", "audit", "service", "cli")
"""The stage packages bottom up, as docs/architecture.md draws them: a module may import its
own stage and the stages below it, never one above."""
SHARED = {"ordinance.version"}
"""Modules outside the stages that any stage may import (leaves: they import nothing)."""


def _stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in STAGES else None


def test_every_module_belongs_to_a_stage_or_is_the_public_face() -> None:
    outside = {m for m in MODULES if _stage(m) is None}
    assert outside == {"ordinance", "ordinance.__main__", *SHARED}
    assert all(not GRAPH[m] for m in SHARED)


@pytest.mark.parametrize("stage", STAGES)
def test_a_stage_imports_only_itself_and_the_stages_below(stage: str) -> None:
    allowed = set(STAGES[:STAGES.index(stage) + 1])
    wrong = {(m, t) for m, targets in GRAPH.items() if _stage(m) == stage for t in targets
             if t not in SHARED and _stage(t) not in allowed}
    assert wrong == set(), sorted(wrong)


def test_the_engine_never_imports_analysis_outputs_service_or_the_command_line() -> None:
    """The rule docs/architecture.md states in words, spelled out for the stage most code uses."""
    above = {"analysis", "outputs", "service", "cli"}
    engine = {t for m, targets in GRAPH.items() if _stage(m) == "engine" for t in targets}
    assert not {t for t in engine if _stage(t) in above}
    assert "ordinance.engine.lawset" in GRAPH["ordinance"]  # the public face reads the engine


def test_each_stage_package_says_what_it_takes_and_gives() -> None:
    import importlib

    for stage in STAGES:
        doc = importlib.import_module(f"ordinance.{stage}").__doc__ or ""
        assert "takes" in doc.lower() and "gives" in doc.lower(), stage
        assert len(doc.split()) > 20, stage
