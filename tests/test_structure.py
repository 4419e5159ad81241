"""The layout DESIGN.md promises, checked on the code: one-way imports, small functions, thin pages.

- Only depthkit/ui imports Streamlit.
- No import cycle between depthkit's modules (imports under TYPE_CHECKING count too).
- No function in depthkit/ longer than MAX_FUNCTION_LINES.
- Each challenge page stays thin.
"""

import ast
import pathlib

import pytest

from depthkit.imports import imported, module_files

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "depthkit"
MAX_FUNCTION_LINES = 60
MAX_PAGE_LINES = 65
CHALLENGE_PAGES = ["vanishing", "exploding", "overfitting", "speed"]


def _modules() -> dict[str, pathlib.Path]:
    return module_files(PACKAGE)


def test_only_depthkit_ui_imports_streamlit():
    for name, path in _modules().items():
        if name == "depthkit.ui" or name.startswith("depthkit.ui."):
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.split(".")[0] == "streamlit" for n in names), f"{name} imports Streamlit"


def test_no_import_cycle_in_depthkit():
    modules = _modules()
    # Left out: the root package (`from depthkit import fmt` names it; its __init__ re-exports),
    # a package's own submodules imported by its __init__, and a module's parent package.
    graph = {n: {m for m in imported(n, p, modules)
                 if m != "depthkit" and not m.startswith(n + ".") and not n.startswith(m + ".")}
             for n, p in modules.items() if n != "depthkit"}
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycle = trail[trail.index(nxt):] + [nxt] if nxt in trail else [node, nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


def test_no_long_function_in_depthkit():
    long = []
    for name, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{name}.{node.name}: {lines} lines")
    assert not long, long


@pytest.mark.parametrize("page", CHALLENGE_PAGES)
def test_challenge_pages_are_thin(page):
    lines = (ROOT / "pages" / f"{page}.py").read_text().splitlines()
    assert len(lines) <= MAX_PAGE_LINES, f"pages/{page}.py has {len(lines)} lines"
