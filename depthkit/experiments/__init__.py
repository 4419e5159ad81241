"""One module per challenge page: its flat `Settings`, its `Result`, and `run(settings)`.

Conventions every experiment follows:
- `Settings` is a frozen dataclass deriving `depthkit.spec.Settings`, every
  field declared with `param(...)` (bounds, choices, label) so the UI and the
  URL parser derive from it; small, fast defaults that already tell the story.
- `cost(settings)` returns the run's FLOPs; `run` calls
  `depthkit.budget.check_budget` before any training.
- `run(settings) -> Result` is deterministic for a seed; `Result` holds numpy
  arrays and plain numbers only.
"""
