# Sourced by the other scripts: make .venv with the tool and its dev tools (-e ".[dev]") and the
# inference service's pinned requirements (requirements.txt), on a Python both install on.
# The tool runs on CPython 3.10 or later; torch>=2.1,<2.2 has wheels for 3.8 to 3.11. So .venv
# is made with the first of $PYTHON, python3, then python3.13 down to python3.10 (on PATH, then
# in pyenv's versions, then uv's) that uv can resolve both for: a python3 of 3.10 or 3.11 is
# used as it is, one of 3.12 or 3.13 gives way to an installed 3.11 or 3.10. When none fits, the
# Python to install is read from uv's reasons.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

_bootstrap_say() { echo "bootstrap: $*" >&2; }

_BOOTSTRAP_MINORS="13 12 11 10"  # the CPython 3.x versions the tool runs on, newest first
_bootstrap_uv_said=""  # uv's reasons for every Python that did not fit
_bootstrap_why=""

# Sets _bootstrap_why to nothing when uv ($1) can resolve requirements.txt and .[dev] for
# interpreter $2, else to why not (and keeps uv's words). A failure other than "no solution"
# (an index out of reach) is left to the install. Not run in a subshell: it keeps state.
_bootstrap_misfit() {
  local out
  _bootstrap_why=""
  if out=$("$1" pip compile --quiet --python "$2" --extra dev requirements.txt pyproject.toml \
    -o /dev/null 2>&1); then
    return 0
  fi
  case "$out" in
    *"No solution found"*)
      _bootstrap_uv_said="$_bootstrap_uv_said$out"$'\n'
      # uv wraps its reasons at the terminal's width: the cause is its line and those under it
      _bootstrap_why=$(printf '%s\n' "$out" | awk '
        cause && /^ +[^ ]/ { sub(/^ +/, ""); cause = cause " " $0; next }
        cause { exit }
        /^ *cause: Because / { cause = $0 }
        END { sub(/^ *cause: Because /, "", cause); sub(/ and only the following.*/, "", cause)
              sub(/, we can conclude.*/, "", cause); print cause }') || true
      _bootstrap_why=${_bootstrap_why:-no solution}
      ;;
  esac
  return 0
}

# The Python to install, from uv's reasons: the newest CPython every wheel list allows (uv's
# "only found wheels ... with the following Python ABI tags"), else the highest "Python>=3.N"
# a package demands; nothing when uv said neither.
_bootstrap_wanted() {
  printf '%s\n' "$_bootstrap_uv_said" | awk '
    /only found wheels for .* ABI tags?:/ { top = 0; line = $0; sub(/.* ABI tags?:/, "", line)
      n = split(line, words, /`cp3/)
      for (i = 2; i <= n; i++) { m = words[i] + 0; if (m > top) top = m }
      if (top && (!tags || top < tags)) tags = top }
    { line = $0
      while (match(line, /depends on Python>=3\.[0-9]+/)) {
        m = substr(line, RSTART + 21, RLENGTH - 21) + 0; if (m > floor) floor = m
        line = substr(line, RSTART + RLENGTH) } }
    END { if (tags && floor && tags < floor) exit
          if (tags) print "3." tags; else if (floor) print "3." floor }'
}

# The interpreters to try, one a line, in order; with uv ($1), those it knows of too.
_bootstrap_candidates() {
  local root=${PYENV_ROOT:-$HOME/.pyenv} found minor
  if [ -n "${PYTHON:-}" ]; then echo "$PYTHON"; fi
  echo python3
  for minor in $_BOOTSTRAP_MINORS; do echo "python3.$minor"; done
  for minor in $_BOOTSTRAP_MINORS; do
    for found in "$root"/versions/3."$minor"*/bin/python3."$minor"; do
      if [ -x "$found" ]; then echo "$found"; fi
    done
  done
  if [ -n "${1:-}" ]; then
    for minor in $_BOOTSTRAP_MINORS; do
      "$1" python find --no-python-downloads "3.$minor" 2>/dev/null || true
    done
  fi
}

# "VERSION<tab>BASE_PREFIX<tab>EXECUTABLE" of an interpreter that runs and can make a venv;
# nothing otherwise (a pyenv shim of a version that is not selected does not run).
_bootstrap_identify() {
  "$1" -c 'import sys, venv; print("%d.%d.%d" % sys.version_info[:3], sys.base_prefix,
    sys.executable, sep="\t")' 2>/dev/null || true
}

_bootstrap_venv() {  # .venv made with interpreter $1, with pip and uv in it (by uv $2 if given)
  rm -rf .venv
  if [ -n "${2:-}" ]; then  # uv installs pip: ensurepip's own takes as long again
    "$1" -m venv --without-pip .venv
    "$2" pip install --quiet --python .venv/bin/python --upgrade pip uv
  else
    "$1" -m venv .venv
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
      _bootstrap_say "no Python found (PYTHON, python3, python3.13 to python3.10, pyenv's):" \
        "install Python 3.11 and rerun, or set PYTHON=/path/to/python3.11"
      return 1
    fi
    _bootstrap_venv "$first"
  fi
  _bootstrap_misfit "$uv" .venv/bin/python
  why=$_bootstrap_why
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
    _bootstrap_misfit "$uv" "$exe"
    why=$_bootstrap_why
    if [ -z "$why" ]; then
      chosen=$exe
      break
    fi
    tried="$tried; not Python $version ($exe): $why"
  done < <(_bootstrap_candidates "$uv")
  if [ -z "$chosen" ]; then
    version=$(_bootstrap_wanted)
    if [ -n "$version" ]; then
      _bootstrap_say "no Python found can install requirements.txt and the tool together;" \
        "install Python $version (uv python install $version, or pyenv install $version) and" \
        "rerun, or set PYTHON=/path/to/python$version ($tried)"
    else
      _bootstrap_say "no Python found can install requirements.txt and the tool together ($tried)"
    fi
    return 1
  fi
  _bootstrap_say ".venv uses Python $version ($chosen), $tried"
  scratch=$(mktemp -d)
  cp "$uv" "$scratch/uv"
  _bootstrap_venv "$chosen" "$scratch/uv"
  rm -rf "$scratch"
}

_bootstrap
# Compiled as installed: where PYTHONDONTWRITEBYTECODE is set (as on CI machines), every
# process would otherwise compile what it imports again (torch: 4.9 s a start instead of 1.7 s).
.venv/bin/uv pip install --quiet --compile-bytecode --python .venv/bin/python -r requirements.txt \
  -e ".[dev]"
unset -f _bootstrap _bootstrap_say _bootstrap_misfit _bootstrap_candidates _bootstrap_identify \
  _bootstrap_venv _bootstrap_wanted
unset _BOOTSTRAP_MINORS _bootstrap_uv_said _bootstrap_why
export PATH="$PWD/.venv/bin:$PATH"
