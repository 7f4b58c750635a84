#!/usr/bin/env bash
# A new user's first pull request through the action, as GitHub's runner would run it, on this
# machine: `bash scripts/simulate_ci.sh [WORKDIR]`.
#
# In WORKDIR (default: a new temporary folder) it makes a consumer repository, a small
# torch-free package on NumPy (tox.ini `deps = -r requirements.txt`, numpy==1.26.4, a test that
# uses np.float_), pushes it to a bare `origin`, opens a pull request branch that bumps NumPy
# to 2.2.6 and makes GitHub's merge ref for it (refs/pull/1/merge). Then, as the workflow of
# docs/howto/ci.md would (actions/checkout and the action, both with their defaults):
#   checkout   what actions/checkout@v4 does with its defaults on a pull_request event: a new
#              repository with `origin`, `git fetch --depth=1` of the merge commit, detached
#              (SIMULATE_FETCH_DEPTH=0: its fetch-depth: 0, every branch and tag;
#              SIMULATE_CHECKOUT=branch: `git clone --depth 1 --branch` of the PR branch);
#   setup-uv   uv alone on PATH (this checkout's .venv/bin/uv, else the one on PATH), uv's
#              usual cache; setup-python: python3's interpreter (SIMULATE_PYTHON to choose
#              another) alone in a folder first on PATH;
#   the action the steps of action.yml: `scripts/action.sh install` then `run`, each in
#              `bash --noprofile --norc -eo pipefail`, with GITHUB_*, RUNNER_* and the inputs
#              as action.yml hands them over (INPUT_*, defaults), GITHUB_ACTION_PATH this
#              checkout.
# It prints the run step's exit code, its ::error and ::warning lines, the step outputs and
# the job summary, and exits with the step's code (the gate: 1 is the expected answer, a
# regression). SIMULATE_PROJECT=DIR puts the package in that folder of the repository (a
# monorepo; the action's `project` input names it) and SIMULATE_HASHES=1 makes requirements.txt
# with `uv pip compile --generate-hashes`, as pip-tools users have it.
# Network: uv fetches wheels through its usual cache (numpy, pytest, tox's).
set -euo pipefail

ACTION=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${1:-$(mktemp -d "${TMPDIR:-/tmp}/simulate-ci.XXXXXX")}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
[[ -z $(ls -A "$WORK") ]] || {
	echo "simulate_ci: $WORK is not empty" >&2
	exit 2
}
CHECKOUT=${SIMULATE_CHECKOUT:-merge}
DEPTH=${SIMULATE_FETCH_DEPTH:-1} # actions/checkout's fetch-depth: 1 by default, 0 for all
[[ $DEPTH =~ ^[0-9]+$ ]] || {
	echo "simulate_ci: SIMULATE_FETCH_DEPTH is a number, not $DEPTH" >&2
	exit 2
}
PROJECT=${SIMULATE_PROJECT:-.}
[[ $PROJECT =~ ^[A-Za-z0-9._/-]+$ && $PROJECT != /* && $PROJECT != *..* ]] || {
	echo "simulate_ci: SIMULATE_PROJECT is a relative folder, not $PROJECT" >&2
	exit 2
}
uv=$ACTION/.venv/bin/uv
[[ -x $uv ]] || uv=$(command -v uv) || {
	echo "simulate_ci: no uv (run scripts/bootstrap.sh, or put uv on PATH)" >&2
	exit 3
}
say() { printf '\n=== %s\n' "$*"; }

git_() { git -c user.email=dev@example.com -c user.name=dev -c init.defaultBranch=main "$@"; }

# --- the consumer's repository, its origin and the pull request ---------------------------------
repo="$WORK/author" origin="$WORK/origin.git"
author=$repo/$PROJECT # the package's folder
mkdir -p "$author/src/floaty" "$author/tests"
cat >"$author/pyproject.toml" <<'EOF'
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "floaty"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = ["numpy"]
EOF
pin() { # pin VERSION: requirements.txt holds numpy==VERSION, with hashes when asked
	if [[ ${SIMULATE_HASHES:-0} == 1 ]]; then
		echo "numpy==$1" >"$WORK/requirements.in"
		"$uv" pip compile -q --generate-hashes --no-header --python-version 3.11 \
			"$WORK/requirements.in" -o "$author/requirements.txt"
	else
		echo "numpy==$1" >"$author/requirements.txt"
	fi
}
pin 1.26.4
cat >"$author/tox.ini" <<'EOF'
[tox]
env_list = py

[testenv]
deps =
    -r requirements.txt
    pytest
commands = pytest tests -q {posargs}
EOF
cat >"$author/src/floaty/__init__.py" <<'EOF'
"""Averages as floats."""

import numpy as np


def mean(values):
    return np.asarray(values, dtype=np.float_).mean()


def total(values):
    return int(np.asarray(values).sum())
EOF
cat >"$author/tests/test_floaty.py" <<'EOF'
import floaty


def test_mean():
    assert floaty.mean([1, 2, 3, 6]) == 3.0


def test_total():
    assert floaty.total([1, 2, 3]) == 6
EOF
printf '.tox/\n__pycache__/\n' >"$repo/.gitignore"
mkdir -p "$repo/.github/workflows"
cat >"$repo/.github/workflows/compat-gate.yml" <<EOF
name: compat-gate
on: pull_request
jobs:
  gate:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: OWNER/REPO@v1
        with:
          project: $PROJECT
EOF
git_ init -q "$repo"
git_ -C "$repo" add -A
git_ -C "$repo" commit -qm "floaty on numpy 1.26.4"
git_ init -q --bare "$origin"
git_ -C "$repo" remote add origin "$origin"
git_ -C "$repo" push -q origin main
git_ -C "$repo" checkout -qb bump-numpy
pin 2.2.6
git_ -C "$repo" commit -qam "Bump numpy from 1.26.4 to 2.2.6"
git_ -C "$repo" push -q origin bump-numpy
git_ -C "$repo" checkout -q main
git_ -C "$repo" merge -q --no-ff --no-edit -m "Merge bump-numpy into main" bump-numpy
git_ -C "$repo" push -q origin "HEAD:refs/pull/1/merge"
git_ -C "$repo" reset -q --hard origin/main
merge_sha=$(git -C "$origin" rev-parse refs/pull/1/merge)

# --- the runner --------------------------------------------------------------------------------
workspace="$WORK/runner/work/floaty/floaty" temp="$WORK/runner/temp"
mkdir -p "$workspace" "$temp" "$WORK/runner/tool/bin"
case $CHECKOUT in
merge) # actions/checkout@v4's own commands for a pull_request event
	git -C "$workspace" init -q
	git -C "$workspace" remote add origin "file://$origin"
	if [[ $DEPTH == 0 ]]; then # fetch-depth: 0, every branch and tag, then the merge ref
		git -C "$workspace" -c protocol.version=2 fetch -q --prune --no-recurse-submodules origin \
			'+refs/heads/*:refs/remotes/origin/*' '+refs/tags/*:refs/tags/*'
		git -C "$workspace" -c protocol.version=2 fetch -q --no-tags --prune \
			--no-recurse-submodules origin "+$merge_sha:refs/remotes/pull/1/merge"
	else
		git -C "$workspace" -c protocol.version=2 fetch -q --no-tags --prune \
			--no-recurse-submodules --depth="$DEPTH" origin "+$merge_sha:refs/remotes/pull/1/merge"
	fi
	git -C "$workspace" checkout -q --force refs/remotes/pull/1/merge
	;;
branch)
	depth=()
	[[ $DEPTH == 0 ]] || depth=(--depth "$DEPTH")
	git clone -q "${depth[@]}" --branch bump-numpy "file://$origin" "$workspace"
	;;
*)
	echo "simulate_ci: SIMULATE_CHECKOUT is merge or branch, not $CHECKOUT" >&2
	exit 2
	;;
esac

ln -s "$uv" "$WORK/runner/tool/bin/uv"
[[ ! -x ${uv%/*}/uvx ]] || ln -s "${uv%/*}/uvx" "$WORK/runner/tool/bin/uvx"
# setup-python's: a CPython of its own first on PATH, nothing else beside it. Links to a real
# interpreter, not a venv (uv passes over virtual environments it finds on PATH, so a venv
# here would leave uv the system's Python).
real_python=$("${SIMULATE_PYTHON:-python3}" -c \
	'import sys; print(getattr(sys, "_base_executable", "") or sys.executable)')
real_python=$(readlink -f "$real_python")
python_minor=$("$real_python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
# a new folder name each time: uv caches what it learnt of an interpreter by its path, and a
# WORKDIR used again would hand it an answer about another file
job_python=$(mktemp -d "$WORK/runner/tool/python.XXXXXX")/bin
mkdir "$job_python"
for name in python python3 "python$python_minor"; do
	ln -s "$real_python" "$job_python/$name"
done

# GitHub's variables for a pull_request event; nothing of this shell's GITHUB_*, INPUT_*,
# RUNNER_* or virtualenv leaks in, and PATH holds the system's tools, uv and the job's Python.
base_env=()
while IFS= read -r name; do
	case $name in GITHUB_* | INPUT_* | RUNNER_* | VIRTUAL_ENV | PYTHONPATH | PYTHONHOME | CONDA_* | PATH) ;;
	*) base_env+=("$name=${!name}") ;;
	esac
done < <(compgen -e)
system_path=$(getconf PATH)
printf '{"pull_request": {"number": 1, "base": {"ref": "main"}, "head": {"ref": "bump-numpy"}}}\n' \
	>"$temp/event.json"
: >"$temp/summary.md"
github_env=(
	"PATH=$WORK/runner/tool/bin:$job_python:$system_path"
	CI=true GITHUB_ACTIONS=true GITHUB_EVENT_NAME=pull_request GITHUB_EVENT_PATH="$temp/event.json"
	GITHUB_BASE_REF=main GITHUB_HEAD_REF=bump-numpy GITHUB_REF=refs/pull/1/merge
	GITHUB_REF_NAME=1/merge GITHUB_SHA="$merge_sha" GITHUB_REPOSITORY=example/floaty
	GITHUB_SERVER_URL="file://$WORK" GITHUB_WORKFLOW=compat-gate GITHUB_JOB=gate
	GITHUB_WORKSPACE="$workspace" GITHUB_ACTION_PATH="$ACTION" GITHUB_STEP_SUMMARY="$temp/summary.md"
	GITHUB_PATH="$temp/path" GITHUB_ENV="$temp/env" RUNNER_TEMP="$temp" RUNNER_OS=Linux
	RUNNER_ARCH=X64
)

# The inputs each step of action.yml hands over, with action.yml's defaults: they must be the
# ones action.yml names (checked here, so that this simulation follows the action).
install_inputs=(INPUT_PYTHON_VERSION=3.11)
run_inputs=(INPUT_COMMAND=gate INPUT_BASE= INPUT_PROJECT="$PROJECT" INPUT_ENV= INPUT_LABELS=
	INPUT_TRY_FIXES=0 INPUT_DISK_BUDGET= INPUT_REPORTS=.harness INPUT_ARGS=)
named=$(grep -oE '^ +INPUT_[A-Z_]+:' "$ACTION/action.yml" | tr -d ' :' | sort | tr '\n' ' ')
ours=$(printf '%s\n' "${install_inputs[@]%%=*}" "${run_inputs[@]%%=*}" | sort | tr '\n' ' ')
[[ $named == "$ours" ]] || {
	echo "simulate_ci: action.yml hands over $named; this script sets $ours" >&2
	exit 3
}

step() { # step NAME OUTPUT-FILE ENV...: one `run:` step of action.yml as the runner runs it
	local name=$1 output=$2
	shift 2
	: >"$output"
	local path_add=""
	[[ ! -s $temp/path ]] || path_add=$(tac "$temp/path" | paste -sd:)
	local env_path
	env_path="PATH=${path_add:+$path_add:}$WORK/runner/tool/bin:$job_python:$system_path"
	(cd "$workspace" && env -i "${base_env[@]}" "${github_env[@]}" "$env_path" \
		GITHUB_OUTPUT="$output" "$@" \
		bash --noprofile --norc -eo pipefail -c "bash \"\$GITHUB_ACTION_PATH/scripts/action.sh\" $name")
}

say "consumer: $origin, project $PROJECT, pull request bump-numpy (numpy 1.26.4 -> 2.2.6, hashes: ${SIMULATE_HASHES:-0}), checkout: $CHECKOUT, fetch-depth $DEPTH"
git -C "$workspace" log --oneline -1
echo "shallow: $(git -C "$workspace" rev-parse --is-shallow-repository)"

echo "job python: $("$job_python/python" --version) ($real_python)"

say "step: Install the harness"
install_code=0
step install "$temp/install-output" "${install_inputs[@]}" >"$WORK/install.log" 2>&1 ||
	install_code=$?
tail -n 5 "$WORK/install.log"
echo "harness venv: $(sed -n 's/^version_info = //p' "$temp/compat-harness/venv/pyvenv.cfg" 2>/dev/null)"
if ((install_code != 0)); then
	echo "install step: exit $install_code (log: $WORK/install.log)"
	exit "$install_code"
fi
harness=$(sed -n 's/^harness=//p' "$temp/install-output")
python=$(sed -n 's/^python=//p' "$temp/install-output")

say "step: Run the harness (gate)"
code=0
step run "$temp/run-output" HARNESS="$harness" HARNESS_PYTHON="$python" "${run_inputs[@]}" \
	>"$WORK/run.log" 2>&1 || code=$?

say "exit code: $code"
say "annotations (::error / ::warning)"
grep -E '^::(error|warning)' "$WORK/run.log" || echo "(none)"
say "step outputs"
cat "$temp/run-output"
say "job summary ($temp/summary.md)"
cat "$temp/summary.md"
say "log: $WORK/run.log (last 15 lines)"
tail -n 15 "$WORK/run.log"
exit "$code"
