#!/usr/bin/env bash
# Set up and run every test: the inference suite and the harness's own tests, plus lint.
source "$(dirname "$0")/bootstrap.sh"
ruff check .
ruff format --check .
status=0
pytest tests/inference tests/harness --cov=inference --cov=harness --cov-report=term "$@" || status=$?
if [ "$status" -eq 5 ]; then
  echo "error: pytest collected no tests; that is a failure, not a pass" >&2
  exit 1
fi
exit "$status"
