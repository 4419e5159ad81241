"""The other-kernels pass (tests/kernels.py) really rounds differently, and covers every claim file.

If a torch or MKL upgrade stopped honouring the two variables, the second claims pass in
scripts/test.sh would silently repeat the first: these tests fail instead.
"""

import json
import os
import pathlib
import re
import subprocess
import sys

from tests import kernels

ROOT = pathlib.Path(__file__).resolve().parents[1]
SEEDS_IMPORT = re.compile(r"^from tests\.seeds import", re.MULTILINE)
# a short full-batch run of the Exploding page's default problem network: chaotic enough that one
# rounding difference shows in its final loss
PROGRAM = """
import json, torch
from tests import kernels
kernels.select()
torch.set_num_threads(1)
from depthkit import make_dataset, train
from depthkit.experiments import exploding as exp
s = exp.ExplodingSettings(seed=3).replace(steps=40)
r = train(s.model("fix"), s.training("fix"), make_dataset(s.data()))
print(json.dumps({"cap": torch.backends.cpu.get_cpu_capability(),
                  "losses": [float(x) for x in r.train_loss]}))
"""


def _run(which: str) -> dict:
    env = {**os.environ, kernels.ENV_VAR: which}
    for name in kernels.OTHER:
        env.pop(name, None)  # as a fresh process on a server: only ENV_VAR decides
    out = subprocess.run([sys.executable, "-c", PROGRAM], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True, timeout=300)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_other_kernels_round_differently_from_this_cpus_own():
    own, other = _run("own"), _run("other")
    assert other["cap"] == "DEFAULT" and own["cap"] != "DEFAULT", (own["cap"], other["cap"])
    assert own["losses"][0] == other["losses"][0] or abs(own["losses"][0] / other["losses"][0] - 1) < 1e-5
    assert own["losses"] != other["losses"], "the other kernels gave bit-for-bit the same run"
    again = _run("own")
    assert again["losses"] == own["losses"], "the same kernels must give the same run"


def test_every_claim_file_runs_in_the_other_kernels_pass():
    """A test file that draws its seeds from tests/seeds.py is a claim file: test.sh reruns it."""
    script = (ROOT / "scripts" / "test.sh").read_text()
    listed = set(re.search(r"CLAIMS=\(([^)]*)\)", script).group(1).split())
    claim_files = {f"tests/{p.name}" for p in (ROOT / "tests").glob("test_*.py")
                   if SEEDS_IMPORT.search(p.read_text())}
    assert claim_files and claim_files <= listed, claim_files - listed
