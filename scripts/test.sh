#!/usr/bin/env bash
# Set up and run every test: the inference suite and the harness's own tests, plus lint.
# Both tiers: the fast one (a bare `pytest`) and the integration one (real tox envs, real wheels,
# the package index, the browser); `-m` here overrides the `-m 'not integration'` of addopts.
source "$(dirname "$0")/bootstrap.sh"
ruff check .
ruff format --check .
status=0
pytest tests/inference tests/harness -m "integration or not integration" -n auto \
  --cov=inference --cov=harness --cov-report=term --durations=25 "$@" || status=$?
if [ "$status" -eq 5 ]; then
  echo "error: pytest collected no tests; that is a failure, not a pass" >&2
  exit 1
fi
exit "$status"
