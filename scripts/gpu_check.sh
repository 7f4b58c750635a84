#!/usr/bin/env bash
# The GPU check, for a machine with one: the service's suite on CUDA with coverage, the device
# the harness's probe records for a cell, and the suite forced onto the CPU (INFERENCE_DEVICE).
# Prints what it saw; its figures go into docs/howto/gpu.md with the machine named.
set -uo pipefail
source "$(dirname "$0")/bootstrap.sh"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "no nvidia-smi"
python - <<'PY'
import torch
print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available(),
      torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")
PY
echo "== suite, default device (CUDA when present)"
pytest tests/inference -q -p no:cacheprovider --cov=inference --cov-report=term | tail -n 4
echo "== suite, INFERENCE_DEVICE=cpu"
INFERENCE_DEVICE=cpu pytest tests/inference -q -p no:cacheprovider | tail -n 2
echo "== the probe's recorded device"
reports=${OUT:-$(mktemp -d)}/gpu-probe
harness probe -e torch21-numpy126 --reports "$reports" >/dev/null 2>&1
python - "$reports" <<'PY'
import json, pathlib, sys
for path in sorted(pathlib.Path(sys.argv[1], "cells").glob("*.json")):
    cell = json.loads(path.read_text())
    print(path.stem, cell["verdict"], cell["device"])
PY
