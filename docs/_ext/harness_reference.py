"""Pages generated from the code at build time, so the reference cannot drift from it: the exit
codes (``harness.errors.EXIT_CODES``), the signatures with an example each
(``harness.stages.signatures``), the JSON schemas (``harness/schemas``) and each command's
examples and exit codes (the epilogs of ``harness.cli``'s parser). They are written to
``docs/_generated/`` (not tracked) and included by the reference pages."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from harness.cli import build_parser
from harness.errors import EXIT_CODES
from harness.stages.signatures import BUILTIN, EXAMPLES

SCHEMAS = Path(__file__).resolve().parents[2] / "harness" / "schemas"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def exit_codes() -> str:
    rows = [f"| {code} | {_cell(meaning)} |" for code, meaning in EXIT_CODES.items()]
    return "\n".join(["| code | meaning |", "|---|---|", *rows]) + "\n"


def signatures() -> str:
    lines = ["| id | kind | title | example | hint |", "|---|---|---|---|---|"]
    for signature in BUILTIN:
        example = EXAMPLES[signature.id]
        lines.append(f"| `{signature.id}` | {signature.kind} | {_cell(signature.title)} | "
                     f"``{_cell(example)}`` | {_cell(signature.hint)} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def _type(spec: dict) -> str:
    if "const" in spec:
        return f"`{json.dumps(spec['const'])}`"
    if "enum" in spec:
        return " or ".join(f"`{json.dumps(v)}`" for v in spec["enum"])
    if "$ref" in spec:
        return spec["$ref"].rpartition("/")[2]
    kind = spec.get("type", "")
    return " or ".join(kind) if isinstance(kind, list) else kind


def schema(name: str) -> str:
    data = json.loads((SCHEMAS / name).read_text())
    required = set(data.get("required", []))
    lines = [f"`{data['$id']}`: {data.get('description', '')}", "",
             "| field | type | required | description |", "|---|---|---|---|"]  # fmt: skip
    for field, spec in data.get("properties", {}).items():
        lines.append(f"| `{field}` | {_cell(_type(spec))} | {'yes' if field in required else ''} "
                     f"| {_cell(spec.get('description', ''))} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def cli() -> str:
    """One section per command: its usage, description and options (sphinx-argparse, from the
    parser), then its examples and exit codes as its ``--help`` prints them."""
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    parts = ["```{argparse}", ":module: harness.cli", ":func: build_parser", ":prog: harness",
             ":nosubcommands:", ":nodefault:", "```", ""]  # fmt: skip
    for name, sub in commands.choices.items():
        parts += [f"## harness {name}", "", "```{argparse}", ":module: harness.cli",
                  ":func: build_parser", ":prog: harness", f":path: {name}", ":noepilog:", ":nodefault:",
                  "```", "", "```text", (sub.epilog or "").strip(), "```", ""]  # fmt: skip
    return "\n".join(parts)


def write(folder: Path) -> None:
    folder.mkdir(exist_ok=True)
    pages = {"exit-codes.md": exit_codes(), "signatures.md": signatures(),
             "cli.md": cli()}  # fmt: skip
    for path in sorted(SCHEMAS.glob("*.schema.json")):
        pages[path.name.replace(".schema.json", "-schema.md")] = schema(path.name)
    for name, text in pages.items():
        target = folder / name
        if not target.exists() or target.read_text() != text:  # unchanged files keep Sphinx's cache
            target.write_text(text)


def setup(app) -> dict:
    app.connect("builder-inited", lambda app: write(Path(app.srcdir) / "_generated"))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
