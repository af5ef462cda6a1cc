#!/usr/bin/env bash
# Make benchmarks/pyworkforce/venv with pyworkforce pinned (requirements.txt): the venv is git-ignored
# and never part of callsim. Run from anywhere: bash benchmarks/pyworkforce/setup.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python3 -m venv "$here/venv"
"$here/venv/bin/python" -m pip install --quiet --upgrade pip
"$here/venv/bin/python" -m pip install --quiet -r "$here/requirements.txt"
"$here/venv/bin/python" -c "import pyworkforce, importlib.metadata as m; print('pyworkforce', m.version('pyworkforce'))"
