"""The modules of tracker/ (the `selfref` package) import each other without a cycle,
counting the imports inside functions too: a lazy import is still a dependency, only a
later one. The leaves (`selfref.crawlers`, `selfref.index`, `selfref.alerts`) live in
folders of their own and are not part of this graph."""

from __future__ import annotations

import ast
from pathlib import Path

import selfref

ROOT = Path(selfref.__file__).resolve().parent  # tracker/, also under a strict editable install
LEAVES = ("selfref.crawlers", "selfref.index", "selfref.alerts")


def modules(root: Path = ROOT, package: str = "selfref") -> dict[str, Path]:
    """Every module of the package by its dotted name (a package by its own name)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = (package, *path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _type_only(tree: ast.Module) -> set[int]:
    """The nodes under `if TYPE_CHECKING:`: names for annotations, no import at run time."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for child in node.body for n in ast.walk(child))
    return skipped


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The package modules `name` imports, at module level or inside functions.

    `from a import b` depends on `a.b` when that is a module, else on `a`. Importing a
    submodule also runs its parent packages' `__init__`, but that is not counted: every
    module would otherwise depend on `selfref/__init__.py` (tracker/), whose `__getattr__` loads
    `selfref.core` on first use (PEP 562) for `from selfref import Tracker`.
    """
    tree = ast.parse(path.read_text("utf-8"), str(path))
    skipped = _type_only(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, *([node.module] if node.module else [])])
            subs = {f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in known}
            targets |= subs
            if len(subs) < len(node.names):
                targets.add(base)
    found = set()
    for target in targets:
        if any(target == leaf or target.startswith(f"{leaf}.") for leaf in LEAVES):
            continue  # a leaf, outside this graph
        while target and target not in known:  # `import a.b.c` of a name inside a.b
            target = target.rpartition(".")[0]
        if target and target != name:
            found.add(target)
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def test_the_tracker_modules_import_each_other_without_a_cycle() -> None:
    found = graph()
    explained = [
        " -> ".join(f"{m} (imports {', '.join(sorted(found[m] & set(c)))})" for m in c)
        for c in cycles(found)
    ]
    assert explained == []


def test_the_graph_sees_imports_inside_functions_and_tells_modules_from_names() -> None:
    found = graph()
    assert "selfref.catalog_chunks" in found["selfref.catalog_vectors"]  # inside builtin_texts
    assert "selfref.core" in found["selfref"]  # PEP 562 __getattr__
    assert "selfref.schema" in found["selfref.audit"]  # `from selfref import schema`
    assert "selfref" not in found["selfref.audit"]
    assert "selfref.levels" not in found["selfref.errors"]  # only under TYPE_CHECKING


def test_a_cycle_is_found() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
