"""One module per challenge page: its flat `Settings`, its `Result`, and `run(settings)`.

Conventions every experiment follows:
- `Settings` is a frozen dataclass deriving `depthkit.core.spec.Settings`, every
  field declared with `param(...)` (bounds, choices, label) so the UI and the
  URL parser derive from it; small, fast defaults that already tell the story.
- `cost(settings)` returns the run's FLOPs; `run` calls
  `depthkit.engine.budget.check_budget` before any training.
- `run(settings) -> Result` is deterministic for a seed; `Result` holds numpy
  arrays and plain numbers only.
"""


def warmup_jobs() -> list[tuple]:
    """(run function, settings) for every challenge page's default view and presets, defaults first.

    Exactly what the pages pass to `ui.run_cached` (the overfitting page's capacity sweep's
    smaller depths included); the Training speed page's live timings are not here: they are measured live.
    """
    from depthkit.experiments import exploding, overfitting, speed, vanishing

    pages = [(vanishing, vanishing.VanishingSettings), (exploding, exploding.ExplodingSettings),
             (overfitting, overfitting.OverfittingSettings), (speed, speed.SpeedSettings)]
    jobs: list[tuple] = [(mod.run, cls()) for mod, cls in pages]
    jobs.append((overfitting.run_smaller, overfitting.sweep_settings(overfitting.OverfittingSettings())))
    for mod, cls in pages:
        for preset in mod.PRESETS.values():
            jobs.append((mod.run, cls(**preset)))
            if mod is overfitting:
                jobs.append((overfitting.run_smaller, overfitting.sweep_settings(cls(**preset))))
    unique: list[tuple] = []
    for job in jobs:
        if job not in unique:
            unique.append(job)
    return unique
