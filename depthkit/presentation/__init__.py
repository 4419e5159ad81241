"""What a page shows of a Result: its words, charts and tables, all pure functions of the result.

- `text/`: each page's sentences, computed from its result; the glossary and plain words.
- `charts/`: plotly figure builders (plotting never trains).
- `views`: which figures each page draws for its settings (the warm-up builds them ahead).
- `tables`: the CSV downloads.   `codegen`: the plain-PyTorch snippet.   `sources`: the papers cited.

Imports depthkit.core, engine, experiments and workshop; never serving or ui.
"""
