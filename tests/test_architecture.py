"""The house's layout: no import cycle in ``src/backprop`` (function-level imports included; imports
under ``if TYPE_CHECKING:`` only serve annotations and never run)."""

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "backprop"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The backprop modules ``name`` imports anywhere in its code (top level or inside functions)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for block in ast.walk(tree):  # `if TYPE_CHECKING:` imports are for annotations only: never run
        if isinstance(block, ast.If) and getattr(block.test, "id", None) == "TYPE_CHECKING":
            block.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            for alias in node.names:  # `from . import parallel` imports the module backprop.x.parallel
                found.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in modules else target)
    return {m for m in found if m in modules and m != name}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component of more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycle_in_src():
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


# The engine class is one concept in one file (its equations numbered in order); it is the one
# module allowed past the limit, and not by much.
LONG_MODULES = {"backprop.core.network": 600}


def test_no_module_over_about_500_lines():
    long = {name: n for name, path in _modules().items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > LONG_MODULES.get(name, 510)}
    assert long == {}


def test_import_backprop_leaves_the_tools_for_first_use():
    """``import backprop`` does not import the learner's tools; they load on first use, and the
    top-level names stay the functions even after their modules were imported directly."""
    import subprocess
    import sys

    code = (
        "import sys, backprop as bp\n"
        "lazy = ['backprop.explanation', 'backprop.check', 'backprop.tables', 'backprop.data', 'backprop.display']\n"
        "print(sorted(m for m in lazy if m in sys.modules))\n"
        "from backprop import explain, check_backprop, fit_table\n"
        "import backprop.attribute, backprop.explanation, backprop.check, backprop.tables\n"
        "print([callable(f) for f in (bp.attribute, bp.explain, bp.check_backprop, bp.fit_table, explain)])\n"
        "print(bp.explain is backprop.explanation.explain, 'explain' in dir(bp) or 'explain' in bp.__all__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["[]", "[True, True, True, True, True]", "True True"]
