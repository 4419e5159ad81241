#!/usr/bin/env bash
# Install everything the test suite needs, lint, and run every test.
# README's test command and CI (.ci/run) both run exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

# requirements-dev.txt includes the playwright package (its driver only); -e . installs depthkit.
"$PY" -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -e .

# Browser tests drive Debian's chromium through Playwright; `playwright install`
# (its own browser download) is never run.
if ! command -v chromium >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium >/dev/null
fi

# axe-core (tests/test_a11y_browser.py) comes from npm, pinned in package.json/package-lock.json.
# Debian's npm brings node; npm ci reinstalls only when the lock file is newer than node_modules.
if ! command -v npm >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq npm >/dev/null
fi
command -v npm >/dev/null 2>&1 || { echo "npm is missing and could not be installed (apt package npm)" >&2; exit 1; }
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --silent --no-audit --no-fund
fi

"$PY" -m ruff check .
# Types: settings fields, Result fields and Optionals checked statically (config: pyproject [tool.mypy]).
"$PY" -m mypy

# -n 2: two workers with one torch thread each use both cores of a small machine (-n 3 measured
# slower here: 9.5 against 8.5 min). --dist loadgroup keeps each browser test file on one worker
# (tests/conftest.py groups them), so its tests share the file's streamlit server and chromium.
# --durations=10: the ten slowest tests, in every run's output (CI's included).
# The claim files (each draws its seeds from tests/seeds.py; tests/test_kernels.py checks this list)
# run a second time with kernels that round like another CPU's (tests/kernels.py), so that no claim
# holds on this machine's rounding alone. Arguments (a test selection) run the first pass only.
CLAIMS=(tests/test_exploding_claims.py tests/test_overfitting.py tests/test_quiz_charts.py
        tests/test_speed_claims.py tests/test_vanishing_claims.py tests/test_vanishing_inputs.py)
run_pytest() {
  set +e
  "$PY" -m pytest -n 2 --dist loadgroup --durations=10 "$@"
  local rc=$?
  set -e
  if [ "$rc" -eq 5 ]; then
    echo "pytest collected no tests: failing on purpose" >&2
    exit 1
  fi
  return "$rc"
}
rc=0
run_pytest "$@" || rc=$?
if [ "$#" -eq 0 ]; then
  echo "== the claims again, with other kernels (DEPTHKIT_KERNELS=other, tests/kernels.py)"
  DEPTHKIT_KERNELS=other run_pytest "${CLAIMS[@]}" || rc=$?
fi
exit "$rc"
