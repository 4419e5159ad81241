"""mypy, configured as scripts/test.sh runs it (pyproject [tool.mypy]), catches misuse of settings and
results: a Settings class called with an unknown field or a wrong type, a Result field that does not
exist, a field its settings do not have. The same code written correctly passes."""

import pathlib
import re

from mypy import api

ROOT = pathlib.Path(__file__).resolve().parents[1]

WRONG = """\
from depthkit.engine.models import ModelSettings
from depthkit.experiments import vanishing

unknown_field = ModelSettings(depht=3)
wrong_type = ModelSettings(depth="3")


def result_field(r: vanishing.Result) -> object:
    return r.no_such_field


def settings_field(r: vanishing.Result) -> object:
    return r.settings.no_such_setting


wider = ModelSettings().replace(width=64).no_such_setting
"""

RIGHT = """\
from depthkit.engine.models import ModelSettings
from depthkit.experiments import vanishing

known_field = ModelSettings(depth=3)
right_type = ModelSettings(depth=3, activation="tanh")


def result_field(r: vanishing.Result) -> object:
    return r.problem


def settings_field(r: vanishing.Result) -> int:
    return r.settings.depth


wider: int = ModelSettings().replace(width=64).width
"""

# (line in WRONG, mypy's error code) of every error it must report, and no other
EXPECTED = {(4, "call-arg"), (5, "arg-type"), (9, "attr-defined"), (13, "attr-defined"), (16, "attr-defined")}


def _errors(report: str, path: pathlib.Path) -> set[tuple[int, str]]:
    # by file name: with a warm cache, mypy replays an unchanged file's errors under the path it had
    # when they were found (an earlier run's tmp_path)
    pattern = re.compile(rf"^(?:.*/)?{re.escape(path.name)}:(\d+): error: .*\[([a-z-]+)\]$", re.M)
    return {(int(line), code) for line, code in pattern.findall(report)}


def test_mypy_reports_settings_and_result_misuse_and_passes_the_correct_code(tmp_path, monkeypatch):
    wrong, right = tmp_path / "wrong.py", tmp_path / "right.py"
    wrong.write_text(WRONG)
    right.write_text(RIGHT)
    # this checkout's depthkit, not an installed copy; the cache scripts/test.sh's mypy run leaves warm
    monkeypatch.setenv("MYPYPATH", str(ROOT))
    monkeypatch.chdir(ROOT)
    out, err, status = api.run(["--config-file", str(ROOT / "pyproject.toml"),
                                "--cache-dir", str(ROOT / ".mypy_cache"), str(wrong), str(right)])
    report = out + err
    assert status == 1, report
    assert _errors(report, wrong) == EXPECTED, report
    assert not _errors(report, right) and f"{right.name}:" not in report, report
