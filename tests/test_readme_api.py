"""The notebook API README shows keeps working: its snippet runs as written, the names it cites exist."""

import contextlib
import io
import pathlib
import re

import numpy as np

import depthkit

README = (pathlib.Path(__file__).resolve().parents[1] / "README.md").read_text()


def _section(title: str) -> str:
    start = README.index(f"## {title}")
    end = README.find("\n## ", start + 1)
    return README[start:end if end > 0 else None]


def test_readme_snippet_runs_and_prints_the_fields_it_names():
    section = _section("Using depthkit from Python")
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    out = io.StringIO()
    namespace: dict = {}
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), namespace)
    result = namespace["result"]
    assert result.layer_grad_norms.shape[1] == 20  # one norm per hidden layer
    assert 0.0 <= result.final_val_acc <= 1.0 and result.diverged_step is None
    assert out.getvalue().splitlines()[-1] == f"{result.final_val_acc} None"


def test_names_the_readme_cites_exist():
    section = _section("Using depthkit from Python")
    for name in ("train_many", "probe_at_init", "MAX_FLOPS", "BudgetError"):
        assert name in section and hasattr(depthkit, name), name
    data = depthkit.make_dataset(depthkit.DataSettings(n_samples=200, seed=1))
    model = depthkit.ModelSettings(depth=4, width=8)
    runs = [(model, depthkit.TrainSettings(steps=5, seed=s), data) for s in range(2)]
    results = depthkit.train_many(runs)
    assert [r.batch_size_models for r in results] == [2, 2]
    probe = depthkit.probe_at_init([model], [0], data)[0]
    assert np.all(np.isfinite(probe.weight_grad_norms)) and len(probe.weight_grad_norms) == 4
