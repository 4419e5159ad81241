"""The training engine: data, models, and K same-shaped networks trained together in one batch.

- `data`: scikit-learn toy datasets, split and scaled.   `models`: the MLP settings and forward pass.
- `fused`, `optim`, `stacked`, `history`, `train`: the batched trainer (hand-written backward,
  stacked SGD/Adam, per-step records) behind `train` and `train_many`.
- `probes`: a network's statistics on one batch without training.
- `budget`: the FLOP budget that refuses unbounded work.   `runtime`: process-wide CPU settings.
- `progress`: progress of long loops, for whoever listens.   `reference`: the same loop in plain PyTorch.

Knows nothing of pages, words or charts; imports only depthkit.core.
"""
