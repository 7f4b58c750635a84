"""Measure which dependency combinations a project's test suite survives, and why the rest fail.

The pipeline, one module a stage: matrix -> lock -> environments -> runner -> collect ->
classify -> verdicts -> store -> reports.
"""

__version__ = "1.2.0"
