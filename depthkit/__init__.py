"""depthkit: small, real experiments on why deep networks are hard to train.

    from depthkit import DataSettings, ModelSettings, TrainSettings, make_dataset, train
    data = make_dataset(DataSettings(name="moons", n_samples=1000, seed=0))
    result = train(ModelSettings(depth=20, activation="sigmoid"), TrainSettings(steps=200), data)
    print(result.layer_grad_norms[0])   # per-layer gradient norms at step 0

Importing depthkit applies `depthkit.engine.runtime.configure()`: denormal floats
flush to zero and freed tensor memory stays in the heap (see runtime.py).
It works best before torch's first parallel operation, so import depthkit early.
"""

from depthkit.engine import runtime

runtime.configure()

from depthkit.engine.budget import MAX_FLOPS, BudgetError, check_budget  # noqa: E402
from depthkit.engine.data import DATASETS, Dataset, DataSettings, make_dataset  # noqa: E402
from depthkit.engine.models import ModelSettings, predict_proba  # noqa: E402
from depthkit.engine.probes import ProbeResult, probe, probe_at_init  # noqa: E402
from depthkit.engine.train import TrainResult, TrainSettings, train, train_many  # noqa: E402

__all__ = [
    "MAX_FLOPS", "BudgetError", "check_budget", "DATASETS", "Dataset", "DataSettings",
    "make_dataset", "ModelSettings", "predict_proba", "ProbeResult", "probe", "probe_at_init",
    "TrainResult", "TrainSettings", "train", "train_many",
]
