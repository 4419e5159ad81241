"""The library installs as a package whose dependencies are exactly requirements.txt's pins."""

import pathlib
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _requirements() -> set[str]:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def test_project_dependencies_match_requirements_txt():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert set(project["dependencies"]) == _requirements()
    assert "torch==2.13.0" in project["dependencies"]  # the CPU build on these machines
    assert project["requires-python"] == ">=3.11"


def test_no_script_patches_sys_path():
    for path in [*ROOT.glob("bench/*.py"), *ROOT.glob("scripts/*.py"), ROOT / "streamlit_app.py"]:
        assert "sys.path" not in path.read_text(), path
