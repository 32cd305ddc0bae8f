#!/usr/bin/env bash
# Set up (if needed) and run the main job: the Mach 5.5 shock-structure experiment.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python experiments/shock_structure/run.py "$@"
