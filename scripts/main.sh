#!/usr/bin/env bash
# Set up, then run the main job: the default torch x numpy matrix, reports in reports/.
# Extra arguments go to `harness run` (e.g. -m full, --with torch==2.2.2 --with numpy==2.0.2).
source "$(dirname "$0")/bootstrap.sh"
harness run --reports reports "$@"
