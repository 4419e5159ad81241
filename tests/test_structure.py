"""The layout DESIGN.md promises, checked on the code: one-way imports, small functions, thin pages.

- depthkit's packages are layers (LAYERS): a package imports only packages of lower layers.
- Only depthkit/ui imports Streamlit.
- No import cycle between depthkit's modules (imports under TYPE_CHECKING count too).
- No function in depthkit/ longer than MAX_FUNCTION_LINES.
- Each challenge page stays thin.
"""

import ast
import pathlib

import pytest

from depthkit.serving.imports import imported, module_files

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "depthkit"
MAX_FUNCTION_LINES = 60
MAX_PAGE_LINES = 65
CHALLENGE_PAGES = ["vanishing", "exploding", "overfitting", "speed"]
# depthkit's packages, lowest first; engine and workshop side by side (neither imports the other).
LAYERS = {"core": 0, "engine": 1, "workshop": 1, "experiments": 2, "presentation": 3, "serving": 4, "ui": 5}
# Modules directly in depthkit/: the public API (__init__) and the `python -m depthkit.ship` command.
ROOT_MODULES = {"depthkit", "depthkit.ship"}


def _modules() -> dict[str, pathlib.Path]:
    return module_files(PACKAGE)


def _layer(module: str) -> str | None:
    """The package of depthkit that `module` belongs to (None for the root modules)."""
    return module.split(".")[1] if module.count(".") >= 1 and module not in ROOT_MODULES else None


def test_depthkit_is_its_layers_and_nothing_loose():
    modules = _modules()
    assert {m for m in modules if _layer(m) is None} == ROOT_MODULES
    assert {_layer(m) for m in modules} - {None} == set(LAYERS)


def _upward_imports(modules: dict[str, pathlib.Path]) -> list[str]:
    """Every import, anywhere in a module of one package, of a package in the same layer or above."""
    upward = []
    for name, path in modules.items():
        here = _layer(name)
        for target in imported(name, path, modules) if here is not None else ():
            there = _layer(target)
            if there is not None and there != here and LAYERS[there] >= LAYERS[here]:
                upward.append(f"{name} imports {target}")
    return upward


def test_no_package_imports_a_package_above_it():
    assert not _upward_imports(_modules())


def test_the_layer_check_sees_an_upward_import(tmp_path):
    """The check reads imports inside functions too: a planted engine -> serving import is found,
    and so is one between the two packages of the same layer."""
    pkg = tmp_path / "depthkit"
    for sub in ("engine", "serving", "workshop"):
        (pkg / sub).mkdir(parents=True)
        (pkg / sub / "__init__.py").write_text("")
    (pkg / "serving" / "store.py").write_text("X = 1\n")
    (pkg / "engine" / "train.py").write_text("def f():\n    from depthkit.serving import store\n")
    (pkg / "workshop" / "quiz.py").write_text("import depthkit.engine.train\n")
    assert sorted(_upward_imports(module_files(pkg))) == [
        "depthkit.engine.train imports depthkit.serving",  # `from depthkit.serving import` names both
        "depthkit.engine.train imports depthkit.serving.store",
        "depthkit.workshop.quiz imports depthkit.engine.train"]


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
