"""What every part of depthkit shares and nothing in it depends on.

- `spec`: typed, bounded settings fields (`Settings`, `param`), their validation and lenient parsing.
- `fmt`: numbers written for people, the one formatter of every page, chart and note.

Imports nothing from the rest of depthkit (tests/test_structure.py checks the layers).
"""
