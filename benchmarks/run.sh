#!/usr/bin/env bash
# Runs every benchmark in one environment where regwire and the reference systems
# (mmengine, hydra-core) are installed side by side, so each table compares them in one run.
#   bash benchmarks/run.sh              # all benchmarks
#   bash benchmarks/run.sh registry     # only bench_registry.py
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${BENCH_VENV:-.venv-bench}
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet torch==2.13.0
    "$VENV/bin/pip" install --quiet -r benchmarks/requirements.txt
    "$VENV/bin/pip" install --quiet -e ".[examples]"
fi
for script in benchmarks/bench_${1:-*}.py; do
    echo "## $(basename "$script")"
    "$VENV/bin/python" "$script"
    echo
done
