# Sourced by the other scripts: make .venv with the tool and its dev tools (-e ".[dev]") and the
# inference service's pinned requirements (requirements.txt), on a Python both install on.
# torch>=2.1,<2.2 has wheels for CPython 3.8 to 3.11 and the tool needs 3.11 or later, so a
# python3 of 3.10, 3.12 or 3.13 will not do: .venv is made with the first of $PYTHON, python3,
# python3.11, python3.10 (on PATH, then in pyenv's versions, then uv's) that uv can resolve
# both for.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

_bootstrap_say() { echo "bootstrap: $*" >&2; }

# Nothing when uv ($1) can resolve requirements.txt and .[dev] for interpreter $2, else why
# not. A failure other than "no solution" (an index out of reach) is left to the install.
_bootstrap_misfit() {
  local out reason
  if out=$("$1" pip compile --quiet --python "$2" --extra dev requirements.txt pyproject.toml \
    -o /dev/null 2>&1); then
    return 0
  fi
  case "$out" in
    *"No solution found"*)
      reason=$(printf '%s\n' "$out" | awk '/^ *cause: Because /{
        sub(/^ *cause: Because /, ""); sub(/ and only the following.*/, "");
        sub(/, we can conclude.*/, ""); print; exit }') || true
      echo "${reason:-no solution}"
      ;;
  esac
  return 0
}

# The interpreters to try, one a line, in order; with uv ($1), the 3.11 it knows of too.
_bootstrap_candidates() {
  local root=${PYENV_ROOT:-$HOME/.pyenv} found
  if [ -n "${PYTHON:-}" ]; then echo "$PYTHON"; fi
  printf '%s\n' python3 python3.11 python3.10
  for found in "$root"/versions/3.11*/bin/python3.11 "$root"/versions/3.10*/bin/python3.10; do
    if [ -x "$found" ]; then echo "$found"; fi
  done
  if [ -n "${1:-}" ]; then "$1" python find --no-python-downloads 3.11 2>/dev/null || true; fi
}

# "VERSION<tab>BASE_PREFIX<tab>EXECUTABLE" of an interpreter that runs and can make a venv;
# nothing otherwise (a pyenv shim of a version that is not selected does not run).
_bootstrap_identify() {
  "$1" -c 'import sys, venv; print("%d.%d.%d" % sys.version_info[:3], sys.base_prefix,
    sys.executable, sep="\t")' 2>/dev/null || true
}

_bootstrap_venv() {  # .venv made with interpreter $1, with pip and uv in it (by uv $2 if given)
  rm -rf .venv
  "$1" -m venv .venv
  if [ -n "${2:-}" ]; then
    "$2" pip install --quiet --python .venv/bin/python --upgrade pip uv
  else
    .venv/bin/python -m pip install --quiet --upgrade pip uv
  fi
}

_bootstrap() {
  local uv=.venv/bin/uv candidate found version prefix exe seen=" " why tried scratch
  local first="" chosen=""
  if [ ! -x "$uv" ]; then  # a first .venv, with the first Python that runs, holds uv
    while read -r candidate; do
      if [ -n "$(_bootstrap_identify "$candidate")" ]; then first=$candidate && break; fi
    done < <(_bootstrap_candidates)
    if [ -z "$first" ]; then
      _bootstrap_say "no Python found (PYTHON, python3, python3.11, python3.10, pyenv's):" \
        "install Python 3.11 and rerun, or set PYTHON=/path/to/python3.11"
      return 1
    fi
    _bootstrap_venv "$first"
  fi
  why=$(_bootstrap_misfit "$uv" .venv/bin/python)
  IFS=$'\t' read -r version prefix exe < <(_bootstrap_identify .venv/bin/python)
  if [ -z "$why" ]; then
    if [ -n "${PYTHON:-}" ] && [ -n "$first" ] && [ "$first" != "$PYTHON" ]; then
      first="$first; PYTHON=$PYTHON does not run or cannot make a venv"
    fi
    if [ -n "$first" ]; then _bootstrap_say ".venv uses Python $version ($first)"; fi
    return 0
  fi
  tried="not Python $version (${first:-the existing .venv}): $why"
  seen="$seen$prefix "
  while read -r candidate; do
    found=$(_bootstrap_identify "$candidate")
    [ -n "$found" ] || continue
    IFS=$'\t' read -r version prefix exe <<<"$found"
    case "$seen" in *" $prefix "*) continue ;; esac
    seen="$seen$prefix "
    why=$(_bootstrap_misfit "$uv" "$exe")
    if [ -z "$why" ]; then
      chosen=$exe
      break
    fi
    tried="$tried; not Python $version ($exe): $why"
  done < <(_bootstrap_candidates "$uv")
  if [ -z "$chosen" ]; then
    _bootstrap_say "no Python found can install requirements.txt and the tool together;" \
      "install Python 3.11 (pyenv install 3.11, or uv python install 3.11) and rerun, or set" \
      "PYTHON=/path/to/python3.11 ($tried)"
    return 1
  fi
  _bootstrap_say ".venv uses Python $version ($chosen), $tried"
  scratch=$(mktemp -d)
  cp "$uv" "$scratch/uv"
  _bootstrap_venv "$chosen" "$scratch/uv"
  rm -rf "$scratch"
}

_bootstrap
.venv/bin/uv pip install --quiet --python .venv/bin/python -r requirements.txt -e ".[dev]"
unset -f _bootstrap _bootstrap_say _bootstrap_misfit _bootstrap_candidates _bootstrap_identify \
  _bootstrap_venv
export PATH="$PWD/.venv/bin:$PATH"
