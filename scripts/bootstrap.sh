# Sourced by the other scripts: make .venv with the pinned service requirements and the dev tools.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/uv ]; then
  "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip uv
fi
.venv/bin/uv pip install --quiet --python .venv/bin/python -r requirements.txt -e ".[dev]"
export PATH="$PWD/.venv/bin:$PATH"
