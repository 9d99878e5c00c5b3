"""The package's shape: a floor that imports nothing above it, data that imports no model, no import cycle.

Imports are read from the source (also those inside functions), so a lazy import written to dodge a
cycle still counts as an edge; only ``if TYPE_CHECKING:`` imports (annotations, never run) do not.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "lecturekit"
# The floor: seeds and random streams, ranking and cut-offs, devices, stats, paths, checkpoints, profiles.
FLOOR = {"seed", "ranking", "devices", "stats", "paths", "checkpoints", "config", "threads", "atomic"}
MODELS = {"recsys", "hetero", "generation", "studies"}
MAX_LINES = 500


def modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def runtime_nodes(tree: ast.AST):
    """Every node of ``tree`` except those under ``if TYPE_CHECKING:`` (annotation-only imports never run)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            test = getattr(child, "test", None)
            if isinstance(child, ast.If) and isinstance(test, ast.Name) and test.id == "TYPE_CHECKING":
                stack.extend(child.orelse)
                continue
            stack.append(child)


def import_graph() -> dict[str, set[str]]:
    mods = modules()

    def owner(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for name, path in mods.items():
        base = name if path.name == "__init__.py" else name.rpartition(".")[0]
        deps = set()
        for node in runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                deps |= {owner(a.name) for a in node.names if a.name.startswith("lecturekit")}
            elif isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level:
                    prefix = base
                    for _ in range(node.level - 1):
                        prefix = prefix.rpartition(".")[0]
                    module = f"{prefix}.{module}" if module else prefix
                if module.startswith("lecturekit"):
                    deps |= {
                        owner(f"{module}.{a.name}") if f"{module}.{a.name}" in mods else owner(module)
                        for a in node.names
                    }
        graph[name] = deps - {name, None}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_detector_sees_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle():
    assert cycles(import_graph()) == []


def test_the_floor_imports_nothing_above_it():
    graph = import_graph()
    floor = {f"lecturekit.{name}" for name in FLOOR}
    offenders = {m: sorted(d - floor) for m, d in graph.items() if m in floor and d - floor}
    assert not offenders, offenders


def test_data_imports_no_model_package():
    offenders = {
        m: sorted(d for d in deps if d.split(".")[1] in MODELS)
        for m, deps in import_graph().items()
        if m.startswith("lecturekit.data")
    }
    assert not {m: d for m, d in offenders.items() if d}


def test_no_module_over_500_lines_unless_the_readme_names_it():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    long = {
        str(p.relative_to(ROOT)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    unexplained = {p: n for p, n in long.items() if f"`{p}`" not in readme}
    assert not unexplained, (
        f"modules over {MAX_LINES} lines not named in the README's layout section: {unexplained}"
    )
