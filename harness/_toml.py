"""TOML reading on every Python the tool runs on: the standard ``tomllib`` from 3.11, and
``tomli`` (the same parser, a dependency only there) on 3.10. Import ``tomllib`` from here."""

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

__all__ = ["tomllib"]
