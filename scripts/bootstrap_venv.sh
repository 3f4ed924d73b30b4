#!/usr/bin/env bash
# Creates .venv with Python 3.11 and installs the pinned requirements (again only when
# requirements.txt changed).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3.11}
if [ ! -x "$VENV/bin/python" ]; then
  command -v "$PYTHON" >/dev/null || { echo "Python 3.11 is required (set PYTHON=/path/to/python3.11)." >&2; exit 2; }
  "$PYTHON" -m venv "$VENV"
fi
stamp="$VENV/.requirements.sha256"
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "Installing the pinned requirements into $VENV (log: $VENV/pip.log) ..."
  if ! { "$VENV/bin/python" -m pip install --upgrade pip &&
         "$VENV/bin/python" -m pip install -r requirements.txt; } >"$VENV/pip.log" 2>&1; then
    grep -v "^WARNING: Location" "$VENV/pip.log" | tail -30 >&2
    echo "pip install failed; see $VENV/pip.log" >&2
    exit 1
  fi
  echo "$want" > "$stamp"
fi
