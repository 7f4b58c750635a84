#!/usr/bin/env bash
# The shell steps of the composite action (action.yml at the repository's root), kept here so
# that they can be tested and linted. action.yml hands every input over as an environment
# variable (INPUT_*), never as text spliced into shell code.
#
#   action.sh install   put the harness, and what it imports (no torch), in a venv of its own
#                       under $RUNNER_TEMP, from the action's own files ($GITHUB_ACTION_PATH);
#                       outputs `harness` and `python`; `harness` goes on $GITHUB_PATH
#   action.sh run       run `harness gate` or `harness run` in $GITHUB_WORKSPACE with JUnit XML
#                       in the reports folder; the job summary gets the harness's Markdown
#                       (gate/gate.md or compat.md); outputs exit-code, result, verdicts, reports,
#                       junit and summary; exits with the harness's exit code
#
# Inputs of `run` (all optional): INPUT_COMMAND (gate | run), INPUT_PROJECT, INPUT_REPORTS,
# INPUT_BASE, INPUT_ENV, INPUT_LABELS, INPUT_TRY_FIXES, INPUT_DISK_BUDGET, INPUT_ARGS; HARNESS
# and HARNESS_PYTHON (the install step's outputs). Of `install`: INPUT_PYTHON_VERSION.
set -euo pipefail

SUMMARY_LIMIT=1000000 # bytes; GitHub refuses a step summary over 1 MiB

# One workflow command's message, escaped as the runner unescapes it (%, CR, LF).
escaped() {
	local text=${1//%/%25}
	text=${text//$'\r'/%0D}
	printf '%s' "${text//$'\n'/%0A}"
}

die() { # bad input: one ::error line, exit 2 (the harness's code for it)
	printf '::error title=compat-harness::%s\n' "$(escaped "$*")" >&2
	exit 2
}

output() { # one step output; the values here are one line each
	printf '%s=%s\n' "$1" "${2//$'\n'/ }" >>"${GITHUB_OUTPUT:-/dev/null}"
}

install() {
	local action=${GITHUB_ACTION_PATH:?the folder of the action} root
	root="${RUNNER_TEMP:?}/compat-harness"
	rm -rf "$root/source"
	mkdir -p "$root/source" "$root/bin"
	# a copy of the distribution's files, so that building it writes nothing into the checkout
	cp "$action/pyproject.toml" "$action/README.md" "$root/source/"
	cp -R "$action/harness" "$root/source/harness"
	uv venv --quiet --allow-existing --python "${INPUT_PYTHON_VERSION:-3.11}" "$root/venv"
	uv pip install --quiet --python "$root/venv/bin/python" "$root/source"
	ln -sfn "$root/venv/bin/harness" "$root/bin/harness" # on PATH without the venv's python
	echo "$root/bin" >>"${GITHUB_PATH:-/dev/null}"
	output harness "$root/venv/bin/harness"
	output python "$root/venv/bin/python"
	"$root/venv/bin/harness" --version
}

# The words of INPUT_ARGS as a shell would split them (quotes kept together), one per line of
# NUL-separated output; nothing in them is expanded or run.
split_args() {
	"$PYTHON" -c 'import os, shlex, sys
sys.stdout.write("".join(w + "\0" for w in shlex.split(os.environ.get("INPUT_ARGS", ""))))'
}

# The base ref: the input, else the pull request's base branch, else the commit before HEAD.
# A base the checkout lacks is fetched, at depth 1 in a shallow checkout (actions/checkout's
# default): the gate reads only the base's files, never its history. `origin/BRANCH` fetches
# that branch, a commit id that commit, `HEAD~N` deepens the checkout by N.
base_ref() {
	local base=${INPUT_BASE:-}
	if [[ -z $base ]]; then
		if [[ -n ${GITHUB_BASE_REF:-} ]]; then base="origin/$GITHUB_BASE_REF"; else base="HEAD~1"; fi
	fi
	if ! has_commit "$base"; then
		fetch_base "$base" >&2 || die "could not fetch the base $base from origin"
		has_commit "$base" ||
			die "the base ref $base is not in the checkout: fetch it, or check out with fetch-depth: 0"
	fi
	printf '%s' "$base"
}

has_commit() { git -C "$PROJECT" rev-parse --verify --quiet "$1^{commit}" >/dev/null; }

fetch_base() { # fetch what names the base; success when there was nothing to fetch
	local base=$1 depth=() fetch=(git -C "$PROJECT" fetch --quiet --no-tags)
	[[ $(git -C "$PROJECT" rev-parse --is-shallow-repository) == true ]] && depth=(--depth=1)
	if [[ $base =~ ^origin/(.+)$ ]]; then
		"${fetch[@]}" "${depth[@]}" origin "+refs/heads/${BASH_REMATCH[1]}:refs/remotes/$base"
	elif [[ $base =~ ^[0-9a-f]{40}$ ]]; then
		"${fetch[@]}" "${depth[@]}" origin "$base"
	elif [[ $base =~ ^HEAD~([0-9]+)$ && ${#depth[@]} -gt 0 ]]; then
		"${fetch[@]}" "--deepen=${BASH_REMATCH[1]}" origin "$(git -C "$PROJECT" rev-parse HEAD)"
	else
		return 0
	fi
}

# A file's identity (inode and modification time), empty when it does not exist: the harness
# writes each report whole under a new inode, so a report left by an earlier run keeps its own.
identity() { stat -c '%i %y' "$1" 2>/dev/null || true; }

summarize() { # the report's Markdown into the job summary, cut to what GitHub accepts
	local markdown=$1 code=$2 summary=${GITHUB_STEP_SUMMARY:-}
	[[ -n $summary ]] || return 0
	if [[ -n $markdown ]]; then
		if (($(wc -c <"$markdown") > SUMMARY_LIMIT)); then
			head -c "$SUMMARY_LIMIT" "$markdown" >>"$summary"
			printf '\n\n*The report is cut here: the whole of it is %s in the artifact.*\n' \
				"${markdown##*/}" >>"$summary"
		else
			cat "$markdown" >>"$summary"
		fi
	else
		printf '### harness %s: exit %s\n\nIt wrote no report; its log says why.\n' \
			"$COMMAND" "$code" >>"$summary"
	fi
}

result_word() { # the exit code as a word; the gate says `regression` for 1
	case $1 in
	0) echo pass ;;
	1) if [[ $COMMAND == gate ]]; then echo regression; else echo fail; fi ;;
	2) echo usage ;;
	3) echo unmeasured ;;
	130) echo interrupted ;;
	*) echo error ;;
	esac
}

verdicts() { # {"pass": 3, "fail": 1}: the cells of compat.json by verdict, {} without it
	[[ -f $1 ]] || {
		echo "{}"
		return
	}
	"$PYTHON" -c 'import collections, json, sys
try:
    cells = json.load(open(sys.argv[1], encoding="utf-8"))["cells"]
    print(json.dumps(dict(sorted(collections.Counter(c["verdict"] for c in cells).items()))))
except Exception:
    print("{}")' "$1"
}

run() {
	COMMAND=${INPUT_COMMAND:-gate}
	local harness=${HARNESS:-harness}
	PYTHON=${HARNESS_PYTHON:-python3}
	cd "${GITHUB_WORKSPACE:-.}"
	PROJECT=${INPUT_PROJECT:-.}
	local reports=${INPUT_REPORTS:-.harness}
	[[ $reports == /* ]] || reports="$PWD/$reports"
	local junit="$reports/junit.xml" markdown compat base args=() extra=() labels=() label
	case $COMMAND in
	gate)
		[[ -z ${INPUT_LABELS:-} ]] || die "labels applies to command: run, not gate"
		[[ -z ${INPUT_DISK_BUDGET:-} ]] || die "disk-budget applies to command: run, not gate"
		markdown="$reports/gate/gate.md" compat="$reports/gate/compat.json" # the gate's own folder
		base=$(base_ref) || exit $?
		args=(gate --project "$PROJECT" --reports "$reports" --junit "$junit" --base "$base")
		[[ -z ${INPUT_ENV:-} ]] || args+=(--env "$INPUT_ENV")
		case ${INPUT_TRY_FIXES:-0} in
		0 | "") ;;
		*[!0-9]*) die "try-fixes must be a number of cells, not ${INPUT_TRY_FIXES}" ;;
		*) args+=(--try-fixes "$INPUT_TRY_FIXES") ;;
		esac
		;;
	run)
		[[ -z ${INPUT_BASE:-} ]] || die "base applies to command: gate, not run"
		[[ ${INPUT_TRY_FIXES:-0} == 0 ]] || die "try-fixes applies to command: gate, not run"
		markdown="$reports/compat.md" compat="$reports/compat.json"
		args=(run --project "$PROJECT" --reports "$reports" --junit "$junit")
		[[ -z ${INPUT_ENV:-} ]] || args+=(-e "$INPUT_ENV")
		IFS=$', \t\n' read -r -a labels <<<"${INPUT_LABELS:-}"
		for label in "${labels[@]}"; do [[ -z $label ]] || args+=(-m "$label"); done
		[[ -z ${INPUT_DISK_BUDGET:-} ]] || args+=(--disk-budget "$INPUT_DISK_BUDGET")
		;;
	*) die "command must be gate or run, not $COMMAND" ;;
	esac
	if [[ -n ${INPUT_ARGS:-} ]]; then
		mapfile -d '' -t extra < <(split_args)
		wait $! || die "args does not split into shell words: $INPUT_ARGS"
	fi
	local before before_junit code=0
	before=$(identity "$markdown")
	before_junit=$(identity "$junit")
	# the harness would append its Markdown to the summary itself; this step writes it, once
	env -u GITHUB_STEP_SUMMARY "$harness" "${args[@]}" "${extra[@]}" || code=$?
	[[ -f $markdown && $(identity "$markdown") != "$before" ]] || markdown=""
	summarize "$markdown" "$code"
	[[ -f $junit && $(identity "$junit") != "$before_junit" ]] || junit=""
	output exit-code "$code"
	output result "$(result_word "$code")"
	output verdicts "$(verdicts "$compat")"
	output reports "$reports"
	output junit "$junit"
	output summary "$markdown"
	return "$code"
}

case ${1:-} in
install) install ;;
run) run ;;
*)
	echo "usage: $0 install|run" >&2
	exit 2
	;;
esac
