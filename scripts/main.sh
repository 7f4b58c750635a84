#!/usr/bin/env bash
# Set up and run the main job: the inference suite with coverage.
source "$(dirname "$0")/bootstrap.sh"
pytest tests/inference --cov=inference --cov-report=term-missing "$@"
