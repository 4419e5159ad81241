"""Results kept and served: computed once, on disk, shipped in git, warmed before a visitor asks.

- `store`: results on disk, keyed by the code that made them (`imports`: that code's import graph).
- `figures`: chart specs built once per (chart, result, mode) and shared by every session.
- `warmup`: every page's default view and presets computed in the background.
- `ship`: the set of results shipped with the app (`python -m depthkit.ship`).

Imports the layers below (core, engine, experiments, presentation); never ui.
"""
