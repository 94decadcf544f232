"""No import cycles between backend modules, counting imports inside functions too: a cycle
hidden behind a late import still ties two modules' order of loading together. Imports
under `if TYPE_CHECKING:` never run, so they are not counted."""

import ast
from pathlib import Path

BACKEND = Path(__file__).resolve().parents[2] / "backend"


def _graph() -> dict[str, set[str]]:
    modules = {}
    for path in BACKEND.rglob("*.py"):
        parts = path.relative_to(BACKEND.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        deps = set()
        tree = ast.parse(path.read_text())
        type_only = {
            id(n)
            for block in ast.walk(tree)
            if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
            for n in ast.walk(block)
        }
        for node in ast.walk(tree):
            if id(node) in type_only:
                continue
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("backend"):
                for alias in node.names:
                    submodule = f"{node.module}.{alias.name}"
                    deps.add(submodule if submodule in modules else node.module)
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names if a.name.startswith("backend"))
        graph[name] = {d for d in deps if d in modules and d != name}
    return graph


def _cycle_from(start: str, graph: dict[str, set[str]]) -> list[str] | None:
    """A path from `start` back to itself, if there is one."""
    stack, seen = [(start, [start])], set()
    while stack:
        node, path = stack.pop()
        for dep in sorted(graph[node]):
            if dep == start:
                return [*path, start]
            if dep not in seen:
                seen.add(dep)
                stack.append((dep, [*path, dep]))
    return None


def test_no_module_imports_one_that_imports_it_back() -> None:
    graph = _graph()
    cycles = {" -> ".join(c) for m in sorted(graph) if (c := _cycle_from(m, graph))}
    assert cycles == set(), "import cycles:\n" + "\n".join(sorted(cycles))
