"""Parsing what the harness did not write (stored results, a project's TOML, an index's JSON, a
sdist's test modules) within bounds: a size, a nesting depth and a range of numbers. Whatever
goes wrong is ``Unparsable`` (a ``ValueError`` naming the file), never a ``RecursionError``, a
``MemoryError`` or a number too large to format; callers decide what it means (bad input, a
stored result that cannot be read, a project's row)."""

from __future__ import annotations

import ast
import itertools
import json
import re
from pathlib import Path

from harness._toml import tomllib

MAX_BYTES = 64 * 1024**2  # a JSON or TOML file
MAX_SOURCE_BYTES = 4 * 1024**2  # a Python module
MAX_DEPTH = 100  # arrays and objects (tables) inside each other
MAX_NUMBER = 2**53  # the largest integer a float (and so JSON everywhere) holds exactly

_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_TOML_SKIPPED = re.compile(  # strings (each kind) and comments: brackets there do not nest
    r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*'
)
_BRACKETS = re.compile(r"[^\[\]{}]+")


class Unparsable(ValueError):
    """A file (or text) that cannot be read within the bounds; ``str()`` names it and why."""


def _depth(text: str, skipped: re.Pattern) -> int:
    brackets = _BRACKETS.sub("", skipped.sub("", text))
    steps = (1 if c in "[{" else -1 for c in brackets)
    return max(itertools.accumulate(steps), default=0)


def _read(path: Path, limit: int) -> bytes:
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise Unparsable(f"{path}: larger than {limit} bytes")
    return data


def _number(text: str, where: str) -> object:
    value = float(text) if any(c in text for c in ".eE") else int(text)
    if not _in_range(value):
        raise Unparsable(f"{where}: the number {text[:40]} is out of range (|n| <= 2**53)")
    return value


def _in_range(value) -> bool:
    return abs(value) <= MAX_NUMBER  # False for inf and nan too


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def json_text(text, where: str = "the JSON", limit: int = MAX_BYTES) -> object:
    """``json.loads`` within the bounds."""
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig", errors="strict") if len(text) <= limit else text
    if len(text) > limit:
        raise Unparsable(f"{where}: larger than {limit} bytes")
    if _depth(text, _JSON_STRING) > MAX_DEPTH:
        raise Unparsable(f"{where}: nested deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(text, parse_int=lambda s: _number(s, where),
                          parse_float=lambda s: _number(s, where),
                          parse_constant=_refuse_constant)  # fmt: skip
    except Unparsable:
        raise
    except (ValueError, RecursionError, MemoryError) as exc:
        raise Unparsable(f"{where}: not valid JSON: {_first(exc)}") from None


def load_json(path: Path, limit: int = MAX_BYTES) -> object:
    """A JSON file within the bounds; an unreadable one is an OSError, as ``open`` says."""
    try:
        return json_text(_read(path, limit), str(path), limit)
    except UnicodeDecodeError as exc:
        raise Unparsable(f"{path}: not UTF-8: {exc}") from None


def toml_text(text: str, where: str = "the TOML", limit: int = MAX_BYTES) -> dict:
    """``tomllib.loads`` within the bounds (its numbers checked too)."""
    if len(text) > limit:
        raise Unparsable(f"{where}: larger than {limit} bytes")
    if _depth(text, _TOML_SKIPPED) > MAX_DEPTH:
        raise Unparsable(f"{where}: nested deeper than {MAX_DEPTH} levels")
    try:
        data = tomllib.loads(text)
    except (ValueError, RecursionError, MemoryError) as exc:
        raise Unparsable(f"{where}: not valid TOML: {_first(exc)}") from None
    _check_numbers(data, where)
    return data


def load_toml(path: Path, limit: int = MAX_BYTES, errors: str = "strict") -> dict:
    """A TOML file within the bounds; an unreadable one is an OSError."""
    try:
        text = _read(path, limit).decode("utf-8", errors=errors)
    except UnicodeDecodeError as exc:
        raise Unparsable(f"{path}: not UTF-8: {exc}") from None
    return toml_text(text, str(path), limit)


def _check_numbers(data, where: str) -> None:
    pending = [data]
    while pending:  # no recursion: the depth is bounded, but a walk needs no stack either
        value = pending.pop()
        if isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            if not _in_range(value):
                raise Unparsable(f"{where}: the number {str(value)[:40]} is out of range")


def python_source(path: Path, limit: int = MAX_SOURCE_BYTES) -> ast.Module:
    """A Python module's syntax tree; a module too large, too deeply nested for the parser (it
    may run out of memory or recursion) or not Python is Unparsable."""
    data = _read(path, limit)
    try:
        return ast.parse(data, str(path))
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise Unparsable(f"{path}: not parsed: {type(exc).__name__} {_first(exc)}") from None


def _first(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
