"""Names and results read from stored files, checked before any of them becomes a path."""

from __future__ import annotations

import functools
import json
import os
import re
from pathlib import Path

from harness import bounded
from harness.errors import HarnessError
from harness.model import CellResult

NAME = re.compile(r"[A-Za-z0-9._@+][A-Za-z0-9._@+-]{0,199}")  # no separator, no leading "-"
RUN_ID = re.compile(r"\d{8}T\d{6}-[A-Za-z0-9._@+-]+")  # Store.run_id: time, then pid
MODES = ("suite", "probe")
TEMPORARY = re.compile(r"\..+\.tmp")  # write_atomic's, left by a killed process
OUTPUTS = (
    "compat.json",
    "compat.md",
    "compat.html",
    "audit.json",
    "disk.json",
    "gate.json",
    "gate.md",
    "plan.json",
)  # the reports the harness writes at the top of the folder
ENVS_MARKER = ".harness-envs"  # in the tox work dir the harness made (REPORTS/envs)
UNREADABLE = (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError)
SCHEMA = Path(__file__).with_name("schemas") / "compat.schema.json"


class BadName(HarnessError, ValueError):
    """A stored name that cannot become a path: a separator, ``..``, a leading ``-``."""


def is_name(text) -> bool:
    return isinstance(text, str) and text not in (".", "..") and bool(NAME.fullmatch(text))


def safe_name(text, what: str = "name") -> str:
    """``text`` when it is a plain file name (letters, digits, ``._@+-``), else BadName."""
    if not is_name(text):
        raise BadName(f"{what} {text!r} is not a plain name (letters, digits, . _ - @ +)")
    return text


def is_run_id(text) -> bool:
    """A run folder's name as the harness makes it (``20240131T120000-4242``)."""
    return is_name(text) and bool(RUN_ID.fullmatch(text))


def log_parts(log) -> tuple:
    """``(RUN, NAME)`` of a stored ``runs/RUN/NAME/tox.log``; ``()`` for no log; else BadName."""
    if log == "":
        return ()
    parts = log.split("/") if isinstance(log, str) else []
    if len(parts) != 4 or parts[0] != "runs" or parts[3] != "tox.log" or not is_run_id(parts[1]):
        raise BadName(f"log {log!r} is not runs/RUN/NAME/tox.log")
    return parts[1], safe_name(parts[2], "log folder")


def evidence_parts(link) -> tuple:
    """``(NAME,)`` of a survey row's ``projects/NAME/reports/compat.html``; ``()`` for none;
    else BadName: a link read from a stored survey is checked like a name, never followed."""
    if link == "":
        return ()
    parts = link.split("/") if isinstance(link, str) else []
    if len(parts) != 4 or (parts[0], parts[2], parts[3]) != ("projects", "reports", "compat.html"):
        raise BadName(f"evidence {str(link)[:200]!r} is not projects/NAME/reports/compat.html")
    return (safe_name(parts[1], "evidence folder"),)


def run_of(log) -> str:
    """The run id of a stored log path; "" for no log or one that is not plain."""
    try:
        return (log_parts(log) or ("",))[0]
    except BadName:
        return ""


@functools.lru_cache(maxsize=None)
def _validator():
    import jsonschema

    schema = json.loads(SCHEMA.read_text())
    stored = {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": "#/$defs/result"}
    return jsonschema.Draft202012Validator(stored)


def ready() -> None:
    """Build ``check_result``'s validator (importing jsonschema) ahead of its first use: a run
    does it in a thread while its cells run."""
    _validator()


def check_result(data):
    """A stored result (``cells/NAME.json``) of the schema's shape and with plain names, else a
    ValueError saying what is wrong."""
    error = next(iter(_validator().iter_errors(data)), None)
    if error is not None:
        where = "/".join(map(str, error.absolute_path)) or "the top level"
        raise ValueError(f"wrong shape at {where}: {error.message[:200]}")
    safe_name(data["cell"]["name"], "cell name")
    if data.get("mode", "suite") not in MODES:
        raise BadName(f"mode {data.get('mode')!r} is not one of {', '.join(MODES)}")
    log_parts(data["log"])
    return data


def within(stored, *folders):
    """The path a stored result names (a cell's ``lock``, relative to the first folder or
    absolute) when it lies inside one of ``folders`` once resolved, and no link inside that
    folder leads there; else None: a path read from a stored result is never followed out."""
    if not isinstance(stored, str) or not stored or "\x00" in stored:
        return None
    for folder in map(Path, folders if os.path.isabs(stored) else folders[:1]):
        candidate = Path(os.path.normpath(Path(folder).absolute() / stored))
        try:
            base, resolved = folder.resolve(), candidate.resolve()
            inside = candidate.relative_to(os.path.normpath(folder.absolute()))
        except (OSError, RuntimeError, ValueError):
            continue
        if base in resolved.parents and resolved.relative_to(base) == inside:  # no link
            return candidate
    return None


def plain_file(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()


def read_result(path: Path) -> CellResult:
    """A stored result, checked: its file name and the names in it are plain, its shape the
    schema's; one of UNREADABLE otherwise."""
    if not is_name(path.stem) or not plain_file(path):
        raise ValueError(f"{path} is not a plain file with a plain name")
    return CellResult.from_dict(check_result(bounded.load_json(path)))


def made_by_harness(folder: Path) -> bool:
    """Whether an unmarked folder holds only what the harness names there: nothing (a new
    folder), or the files of a reports folder of an earlier version."""
    try:
        for entry in folder.iterdir():
            name = entry.name
            if (
                name in OUTPUTS
                or name in (".lock", ".gitignore", "locks")
                or TEMPORARY.fullmatch(name)
            ):
                continue
            if name == "cells" and all(
                (n.endswith(".json") and is_name(n[:-5])) or TEMPORARY.fullmatch(n)
                for n in os.listdir(entry)
            ):
                continue
            if name == "runs" and all(is_run_id(n) for n in os.listdir(entry)):
                continue
            if name == "envs" and plain_file(entry / ENVS_MARKER):
                continue
            return False
    except FileNotFoundError:
        return not folder.exists()  # a folder not made yet
    except OSError:
        return False
    return True
