"""Sphinx configuration of the documentation site (MyST markdown, furo)."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE / "_ext")]

from harness import __version__  # noqa: E402

project = "compat-harness"
author = "the compat-harness authors"
release = version = __version__
extensions = ["myst_parser", "sphinxarg.ext", "harness_reference"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "_generated", "Thumbs.db", ".DS_Store"]
myst_heading_anchors = 4
myst_enable_extensions = ["colon_fence"]
html_theme = "furo"
html_title = f"compat-harness {release}"
html_static_path = []
nitpicky = True
# sphinx-argparse's domain lacks resolve_any_xref, which MyST asks every domain for; nothing of ours
suppress_warnings = ["myst.domains"]
smartquotes = False  # "--try-fixes" stays two hyphens, quotes stay as typed
