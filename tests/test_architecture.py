"""The layering of ``lib/llmdecide`` (docs/architecture.md, "Layers"), read statically with ``ast``.

- Imports flow one way: the graph of every ``import`` between our modules (module level, inside
  functions, inside ``try``; only ``if TYPE_CHECKING:`` blocks are left out, they never run) has no
  cycle. A module is a ``.py`` file; a package is its ``__init__.py`` (``from pkg import name``
  is an edge to ``pkg.name`` when that is a submodule, else to ``pkg``), so packages split out of a
  module on another branch are walked the same way.
- A function-local import is there for a reason (start-up time of a kernel or of the CLI, a
  library that must not load before a fork…): each carries it in a comment, at the end of the
  import or on the line just above it (one comment may head a block of imports that only blank
  lines separate).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LIB = REPO / "lib"
PACKAGE = "llmdecide"

DEFERRED_REASONS: tuple[str, ...] = ()
"""Modules (or packages, with everything under them) being split on other branches during issue
16: their local imports get their reasons there. Empty this once the splits are merged."""


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    file: Path
    line: int
    local: bool  # inside a function

    def __str__(self) -> str:
        where = f"{self.file.relative_to(REPO)}:{self.line}"
        return f"{self.source} -> {self.target}  ({where}{', in a function' if self.local else ''})"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(LIB).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted((LIB / PACKAGE).rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def import_nodes(tree: ast.AST) -> list[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import that runs, with whether it sits inside a function (or lambda)."""
    found: list[tuple[ast.Import | ast.ImportFrom, bool]] = []

    def visit(node: ast.AST, local: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    visit(other, local)
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                found.append((child, local))
            inner = local or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            visit(child, inner)

    visit(tree, False)
    return found


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base.pop()
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def targets(
    node: ast.Import | ast.ImportFrom, module: str, path: Path, known: set[str]
) -> set[str]:
    """Our modules an import statement loads (only the ones it names, not their parents)."""
    if isinstance(node, ast.Import):
        names = {alias.name for alias in node.names}
    else:
        base = _absolute(node, module, path.name == "__init__.py")
        names = {
            f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
            for alias in node.names
        }
    return {name for name in names if name in known}


def import_graph() -> dict[str, list[Edge]]:
    known = modules()
    graph: dict[str, list[Edge]] = {name: [] for name in known}
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node, local in import_nodes(tree):
            for target in sorted(targets(node, name, path, set(known))):
                if target != name:
                    graph[name].append(Edge(name, target, path, node.lineno, local))
    return graph


def strongly_connected(graph: dict[str, list[Edge]]) -> list[list[str]]:
    """Tarjan's algorithm: the groups of modules that import each other (size > 1)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for edge in graph[node]:
            if edge.target not in index:
                connect(edge.target)
                low[node] = min(low[node], low[edge.target])
            elif edge.target in on_stack:
                low[node] = min(low[node], index[edge.target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return groups


def one_cycle(graph: dict[str, list[Edge]], group: list[str]) -> list[Edge]:
    """A shortest cycle through the first module of a group (breadth-first, inside the group)."""
    start, members = group[0], set(group)
    paths: dict[str, list[Edge]] = {start: []}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for edge in graph[node]:
                if edge.target == start:
                    return [*paths[node], edge]
                if edge.target in members and edge.target not in paths:
                    paths[edge.target] = [*paths[node], edge]
                    following.append(edge.target)
        frontier = following
    raise AssertionError(f"no cycle through {start} in {group}")


def test_the_walker_sees_every_kind_of_import(tmp_path: Path) -> None:
    """Module level, function-local, relative and ``from package import submodule`` imports are
    edges; a ``TYPE_CHECKING`` import is not."""
    source = (
        "from typing import TYPE_CHECKING\n"
        "from . import b\n"
        "from .pkg import sub, helper\n"
        "if TYPE_CHECKING:\n"
        "    from llmdecide import c\n"
        "def f():\n"
        "    import llmdecide.d  # reason\n"
    )
    known = {"llmdecide.a", "llmdecide.b", "llmdecide.c", "llmdecide.d"}
    known |= {"llmdecide.pkg", "llmdecide.pkg.sub"}
    path = tmp_path / "a.py"
    found = set()
    for node, _local in import_nodes(ast.parse(source)):
        found |= targets(node, "llmdecide.a", path, known)
    assert found == {"llmdecide.b", "llmdecide.pkg", "llmdecide.pkg.sub", "llmdecide.d"}
    # inside a package's __init__, "from . import x" is relative to the package itself
    init = ast.parse("from . import sub\n").body[0]
    assert isinstance(init, ast.ImportFrom)
    assert targets(init, "llmdecide.pkg", tmp_path / "__init__.py", known) == {"llmdecide.pkg.sub"}


def test_a_cycle_is_found_and_printed() -> None:
    """The cycle finder on a made-up graph a -> b -> c -> a, d -> a."""
    here = Path(__file__)

    def edge(source: str, target: str) -> Edge:
        return Edge(source, target, here, 1, False)

    graph = {
        "a": [edge("a", "b")],
        "b": [edge("b", "c")],
        "c": [edge("c", "a")],
        "d": [edge("d", "a")],
    }
    assert strongly_connected(graph) == [["a", "b", "c"]]
    assert [e.target for e in one_cycle(graph, ["a", "b", "c"])] == ["b", "c", "a"]


def test_no_import_cycle_in_lib() -> None:
    graph = import_graph()
    assert len(graph) > 20 and sum(len(edges) for edges in graph.values()) > 50  # it did walk
    cycles = [one_cycle(graph, group) for group in strongly_connected(graph)]
    report = "\n\n".join(
        f"{', '.join(group)} import each other, e.g.:\n  " + "\n  ".join(map(str, cycle))
        for group, cycle in zip(strongly_connected(graph), cycles, strict=True)
    )
    assert not cycles, f"imports must flow one way (docs/architecture.md, Layers):\n{report}"


def _has_reason(lines: list[str], node: ast.Import | ast.ImportFrom, block_start: int) -> bool:
    """A ``#`` comment on one of the import's lines, on the line above it, or on the line above
    its block of consecutive imports."""
    end = node.end_lineno or node.lineno
    if any("#" in lines[n - 1] for n in range(node.lineno, end + 1)):
        return True
    return any(
        lines[start - 2].strip().startswith("#")
        for start in {node.lineno, block_start}
        if start > 1
    )


def local_imports_without_reason() -> list[str]:
    missing = []
    for name, path in modules().items():
        if any(name == d or name.startswith(f"{d}.") for d in DEFERRED_REASONS):
            continue
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        block_start, previous_end = 0, 0
        for node, local in import_nodes(ast.parse(text, str(path))):
            between = lines[previous_end : node.lineno - 1] if previous_end > 0 else ["x"]
            if any(line.strip() for line in between):  # only blank lines: the same block
                block_start = node.lineno
            previous_end = node.end_lineno or node.lineno
            if local and not _has_reason(lines, node, block_start):
                missing.append(f"{path.relative_to(REPO)}:{node.lineno}: {lines[node.lineno - 1]}")
    return missing


def test_function_local_imports_say_why() -> None:
    missing = local_imports_without_reason()
    assert not missing, (
        "a function-local import needs a one-line reason (a comment on it or just above its "
        "block), else it belongs at the top of the module:\n" + "\n".join(missing)
    )


def test_one_list_of_hosting_types() -> None:
    """A hosting type is named once (``columns.HOSTINGS``); the self-hosted ones each have their
    module registered in ``evaluation.hosting.SELF_HOSTED`` (docs/extending.md)."""
    from llmdecide import columns
    from llmdecide.evaluation import hosting

    assert tuple(hosting.SELF_HOSTED) == columns.SELF_HOSTED
    assert set(columns.HOSTINGS) == {"api", *columns.SELF_HOSTED}
    for name, module in hosting.SELF_HOSTED.items():
        assert callable(getattr(module, "bill", None)), (
            f"{name}: no bill(ctx, rows, fleet, scenario)"
        )


MAX_FUNCTION_LINES = 80
KNOWN_LONG: set[str] = set()
"""Functions over the limit with no reason yet, left to cut: none left. A new long function needs
its reason written above its ``def``."""


def long_functions() -> dict[str, bool]:
    """Every function of lib/ longer than MAX_FUNCTION_LINES → whether a comment line sits just
    above its ``def`` (or its first decorator) saying why."""
    out: dict[str, bool] = {}
    for name, path in modules().items():
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if node.end_lineno is None or node.end_lineno - node.lineno + 1 <= MAX_FUNCTION_LINES:
                continue
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            above = lines[first - 2].strip() if first >= 2 else ""
            out[f"{name}.{node.name}"] = above.startswith("#")
    return out


def test_long_functions_say_why() -> None:
    found = long_functions()
    silent = sorted(f for f, reason in found.items() if not reason and f not in KNOWN_LONG)
    assert not silent, f"over {MAX_FUNCTION_LINES} lines with no reason above the def: {silent}"
    stale = sorted(KNOWN_LONG - set(found))
    assert not stale, f"no longer long (remove from KNOWN_LONG): {stale}"
