"""The server's garbage collection: the imports' objects frozen once per process, no full pass per run.

The freezing runs in a fresh interpreter, so that pytest's own heap is not frozen.
"""

import os
import subprocess
import sys
import tomllib

from tests.apptest_util import ROOT

SCRIPT = """
import gc
from depthkit import runtime
before = len(gc.get_objects())
first, again = runtime.freeze_startup_heap(), runtime.freeze_startup_heap()
left = len(gc.get_objects())
kept = [[] for _ in range(1000)]  # objects made after the freeze are still tracked
print(first, again, before, left, len(gc.get_objects()) - left, gc.get_freeze_count() >= before)
"""


def test_freeze_takes_the_imports_out_of_later_collections_once():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, cwd=ROOT, env=env,
                         timeout=120, check=True).stdout.split()
    first, again, before, left, new, frozen_all = out
    assert (first, again, frozen_all) == ("True", "False", "True")
    assert int(before) > 50_000  # torch's import alone leaves this many
    assert int(left) < 100  # a full collection now scans only what was made since
    assert int(new) >= 1000


APP = """
import gc
from tests.apptest_util import open_page
at = open_page("pages/home.py")
print(gc.get_freeze_count(), len(at.exception))
"""


def test_the_app_shell_freezes_after_its_imports():
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DEPTHKIT_WARMUP": "off", "DEPTHKIT_SHIPPED": "off"}
    frozen, errors = subprocess.run([sys.executable, "-c", APP], capture_output=True, text=True, cwd=ROOT,
                                    env=env, timeout=300, check=True).stdout.split()[-2:]
    assert int(frozen) > 50_000 and errors == "0"  # torch, plotly and Streamlit, frozen by the first run


def test_the_server_runs_no_full_collection_after_every_script_run():
    """runner.postScriptGC walks every session's objects after each run: off (see .streamlit/config.toml)."""
    with open(ROOT / ".streamlit" / "config.toml", "rb") as f:
        assert tomllib.load(f)["runner"]["postScriptGC"] is False
