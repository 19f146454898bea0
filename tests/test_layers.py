"""The import layering of ``ugen``, read from the code itself (every import statement, those
inside functions too), so that it stays true.

A package may import only packages on lower floors; packages on one floor never import each
other. So the lower layers (catalog, core, media, net, store, qa, providers, captions) import
nothing from webhooks, pipeline, service, api, web or cli, and no two packages, and no two
modules, import each other in a circle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import ugen

ROOT = Path(ugen.__file__).parent

FLOORS: tuple[tuple[str, ...], ...] = (
    ("catalog",),
    ("core",),
    ("media", "net", "store"),
    ("qa",),
    ("providers",),
    ("captions", "webhooks", "social"),
    ("pipeline",),
    ("views",),
    ("service",),
    ("api",),
    ("web",),
    ("cli",),
)
"""From the ground up: the top-level packages (and modules) of ``ugen``."""


@dataclass(frozen=True)
class Import:
    source: str  # the importing module, e.g. "ugen.providers.registry"
    target: str  # the imported module, e.g. "ugen.qa.pixels"
    line: int


def module_name(path: Path, root: Path) -> str:
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def read_imports(root: Path) -> tuple[set[str], list[Import]]:
    """Every module under ``root`` and every import of a module of ``root`` they make."""
    paths = sorted(root.rglob("*.py"))
    modules = {module_name(p, root) for p in paths}
    found: list[Import] = []
    for path in paths:
        source = module_name(path, root)
        package = source if path.name == "__init__.py" else source.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([node.module] if node.module else [])])
                # ``from pkg import mod`` imports the module pkg.mod; ``from mod import name``
                # imports mod.
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                           for a in node.names]
            else:
                continue
            found += [Import(source, t, node.lineno) for t in dict.fromkeys(targets)
                      if t == root.name or t.startswith(f"{root.name}.")]
    return modules, found


def package_of(module: str) -> str:
    """The top-level package (or module) of ``ugen`` that ``module`` belongs to."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def upward_imports(imports: Iterable[Import],
                   floors: tuple[tuple[str, ...], ...]) -> list[str]:
    """Imports of a package on the same floor or above (packages without a floor too)."""
    floor_of = {name: n for n, floor in enumerate(floors) for name in floor}
    wrong: list[str] = []
    for imp in imports:
        low, high = package_of(imp.target), package_of(imp.source)
        if not low or not high or low == high:
            continue
        if floor_of.get(low, len(floors)) >= floor_of.get(high, -1):
            wrong.append(f"{imp.source}:{imp.line} imports {imp.target} "
                         f"({high} stands on floor {floor_of.get(high)}, "
                         f"{low} on floor {floor_of.get(low)})")
    return wrong


def circles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def package_graph(imports: Iterable[Import]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for imp in imports:
        a, b = package_of(imp.source), package_of(imp.target)
        if a and b and a != b:
            graph.setdefault(a, set()).add(b)
    return graph


def module_graph(imports: Iterable[Import]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for imp in imports:
        if imp.source != imp.target:
            graph.setdefault(imp.source, set()).add(imp.target)
    return graph


def top_level(root: Path) -> set[str]:
    """The top-level packages and modules of ``root`` (those with Python code)."""
    names = {p.stem for p in root.glob("*.py") if p.name != "__init__.py"}
    return names | {p.parent.name for p in root.glob("*/__init__.py")}


# --- the rules, on ugen ---------------------------------------------------------------------

MODULES, IMPORTS = read_imports(ROOT)


def test_every_package_stands_on_a_floor() -> None:
    placed = {name for floor in FLOORS for name in floor}
    assert top_level(ROOT) - placed == set()


def test_no_package_imports_one_above_it_or_beside_it() -> None:
    assert upward_imports(IMPORTS, FLOORS) == []


def test_no_circle_between_packages() -> None:
    assert circles(package_graph(IMPORTS)) == []


def test_no_circle_between_modules() -> None:
    assert circles(module_graph(IMPORTS)) == []


def test_imports_are_read_inside_functions_and_relative() -> None:
    # registry builds the vendor adapters it imports inside functions
    targets = {i.target for i in IMPORTS if i.source == "ugen.providers.registry"}
    assert {"ugen.providers.openai.judge", "ugen.providers.choice"} <= targets
    assert "ugen.providers.registry" in MODULES


# --- the checks themselves find what they must ----------------------------------------------

def _tree(tmp: Path, files: dict[str, str]) -> Path:
    root = tmp / "ugen"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_checks_find_an_upward_import_and_circles(tmp_path: Path) -> None:
    root = _tree(tmp_path, {
        "__init__.py": "",
        "core/__init__.py": "",
        "core/config.py": "",
        "providers/__init__.py": "",
        "providers/registry.py": ("from ugen.core import config\n"
                                  "def build():\n    from ugen.pipeline import context\n"),
        "pipeline/__init__.py": "",
        "pipeline/context.py": "from ..providers.registry import build\n",
    })
    modules, imports = read_imports(root)
    assert "ugen.core.config" in modules
    floors = (("core",), ("providers",), ("pipeline",))
    assert upward_imports(imports, floors) == [
        "ugen.providers.registry:3 imports ugen.pipeline.context "
        "(providers stands on floor 1, pipeline on floor 2)"]
    assert circles(package_graph(imports)) == [["pipeline", "providers"]]
    assert circles(module_graph(imports)) == [["ugen.pipeline.context",
                                              "ugen.providers.registry"]]
    # a package on no floor, and two packages on one floor importing each other, are wrong
    assert upward_imports(imports, (("core",), ("pipeline",))) != []
    assert len(upward_imports(imports, (("core",), ("providers", "pipeline")))) == 2

