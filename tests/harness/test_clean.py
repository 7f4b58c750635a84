"""``harness clean --cache``: the packages the harness's locks pin leave uv's cache, bytes and all."""

import os
import subprocess
import sys

import pytest

from harness.stages.budget import du

pytestmark = pytest.mark.integration


def test_clean_cache_frees_what_the_locks_pinned(tiny_project, tmp_path):
    cache = tmp_path / "uv-cache"
    env = {**os.environ, "UV_CACHE_DIR": str(cache)}

    def harness(*args):
        return subprocess.run([sys.executable, "-m", "harness", *args, "--project", str(tiny_project)],
                              capture_output=True, text=True, timeout=900, env=env)  # fmt: skip

    assert harness("run", "-e", "pkg24-ok").returncode == 0
    before = du([cache])
    done = harness("clean", "--cache")
    assert done.returncode == 0, done.stderr
    after = du([cache])
    assert after < before / 10  # pytest, packaging and their deps: nearly all the cache held
    freed = round((before - after) / 1e6)
    assert f"cleaned 5 package(s) from uv's cache ({cache}), {freed} MB freed" in done.stdout
