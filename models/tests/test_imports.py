"""The trainer package has no import loop: modules import each other one way only.

Every import counts, including those inside functions (a deferred import hides a loop from a
plain ``import`` but not from a reader): the graph of ``scsonet`` modules must be acyclic.
"""

import ast
from pathlib import Path
from typing import Dict, List, Set

PACKAGE = Path(__file__).resolve().parents[1] / "scsonet"


def _module_name(path: Path) -> str:
    return "scsonet" if path.stem == "__init__" else f"scsonet.{path.stem}"


def _imports(path: Path, modules: Set[str]) -> Set[str]:
    """The package modules ``path`` imports anywhere in its body."""
    found: Set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in modules)
        elif isinstance(node, ast.ImportFrom):
            base = ("scsonet" + (f".{node.module}" if node.module else "")) if node.level else (node.module or "")
            found.update(f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in modules)
            if base in modules:
                found.add(base)
    return found - {_module_name(path)}


def _graph() -> Dict[str, Set[str]]:
    files = sorted(PACKAGE.glob("*.py"))
    modules = {_module_name(p) for p in files}
    return {_module_name(p): _imports(p, modules) for p in files}


def _cycle(graph: Dict[str, Set[str]]) -> List[str]:
    """One import loop as a path (first module repeated at the end), or [] when there is none."""
    state: Dict[str, int] = {}
    stack: List[str] = []

    def visit(name: str) -> List[str]:
        state[name] = 1
        stack.append(name)
        for dep in sorted(graph[name]):
            if state.get(dep) == 1:
                return stack[stack.index(dep):] + [dep]
            if dep not in state and (found := visit(dep)):
                return found
        stack.pop()
        state[name] = 2
        return []

    for name in sorted(graph):
        if name not in state and (found := visit(name)):
            return found
    return []


def test_the_graph_sees_deferred_imports():
    graph = _graph()
    assert "scsonet.commands" in graph["scsonet.cli"]
    assert "scsonet.train" in graph["scsonet.commands"]  # imported inside _run_train only


def test_no_module_of_the_trainer_imports_itself_back():
    assert _cycle(_graph()) == []
