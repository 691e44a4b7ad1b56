#!/usr/bin/env bash
# Creates .venv with Python >= 3.11 and installs Sunbid with its development tools.
set -euo pipefail
cd "$(dirname "$0")/.."
pick_python() {
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [[ -n "$candidate" ]] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "error: Sunbid needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)" >&2
  return 1
}
if [[ ! -x .venv/bin/python ]]; then
  py=$(pick_python)
  echo "bootstrap: creating .venv with $($py --version)"
  "$py" -m venv .venv
fi
echo "bootstrap: installing Sunbid and its tools into .venv (first run takes a minute)"
.venv/bin/python -m pip install --quiet --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -m pip install --quiet -e '.[dev]' 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -c 'import sunbid, litestar, pgserver' || { echo "error: installation into .venv failed" >&2; exit 1; }
