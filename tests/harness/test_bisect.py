"""The bisect's search on measured outcomes, and its step bound over every shape of range."""

import math

import pytest
from packaging.version import Version

from harness.commands.bisect import Step, answer, search, target_tags


def measuring(outcomes: dict):
    def measure(version):
        return Step(str(version), outcomes[str(version)], "", 0.0)

    return measure


VERSIONS = [Version(v) for v in ("2.0.1", "2.1.2", "2.2.2", "2.3.1", "2.4.1", "2.5.1")]


def test_the_first_passing_release_and_the_one_before_it():
    outcomes = {
        "2.0.1": "fail",
        "2.1.2": "fail",
        "2.2.2": "fail",
        "2.3.1": "pass",
        "2.4.1": "pass",
        "2.5.1": "pass",
    }
    state = search(VERSIONS, measuring(outcomes))
    assert state.steps[0].version == "2.5.1"  # the upper end first
    assert answer(state, last=False) == ("2.3.1", "2.2.2", True)
    assert len(state.steps) <= math.ceil(math.log2(len(VERSIONS))) + 1


def test_nothing_passes_or_everything_passes():
    assert (
        answer(search(VERSIONS, measuring(dict.fromkeys(map(str, VERSIONS), "fail"))), False)[0]
        is None
    )
    everything = search(VERSIONS, measuring(dict.fromkeys(map(str, VERSIONS), "pass")))
    assert answer(everything, False) == ("2.0.1", None, True)


def test_a_release_that_cannot_be_installed_is_dropped():
    outcomes = {
        "2.0.1": "fail",
        "2.1.2": "fail",
        "2.2.2": "unsatisfiable",
        "2.3.1": "pass",
        "2.4.1": "pass",
        "2.5.1": "infra-error",
    }
    state = search(VERSIONS, measuring(outcomes))
    assert [s.version for s in state.steps] == ["2.5.1", "2.4.1", "2.2.2", "2.1.2", "2.3.1"]
    assert state.dropped == ["2.5.1", "2.2.2"]  # each unmeasurable release, in the order met
    assert answer(state, False) == ("2.3.1", "2.1.2", True)  # 2.2.2 dropped: 2.1.2 is before


def test_the_last_passing_release():
    outcomes = {
        "2.0.1": "pass",
        "2.1.2": "pass",
        "2.2.2": "pass",
        "2.3.1": "pass",
        "2.4.1": "fail",
        "2.5.1": "fail",
    }
    state = search(VERSIONS, measuring(outcomes), last=True)
    assert state.steps[0].version == "2.0.1"
    assert answer(state, last=True) == ("2.3.1", "2.4.1", True)


def test_steps_that_contradict_each_other_are_not_monotone():
    outcomes = {
        "2.0.1": "fail",
        "2.1.2": "pass",
        "2.2.2": "fail",
        "2.3.1": "fail",
        "2.4.1": "pass",
        "2.5.1": "pass",
    }
    state = search(VERSIONS, measuring(outcomes))
    for extra in ("2.1.2", "2.2.2"):  # what a user sees once more steps are on record
        if extra not in {s.version for s in state.steps}:
            state.steps.append(Step(extra, outcomes[extra], "", 0.0))
    assert answer(state, False)[2] is False


@pytest.mark.parametrize("n", range(1, 40))
def test_never_more_than_log2_n_plus_one_steps(n):
    versions = [Version(f"1.{i}") for i in range(n)]
    for boundary in range(n + 1):  # releases from `boundary` on pass
        outcomes = {str(v): ("pass" if i >= boundary else "fail") for i, v in enumerate(versions)}
        state = search(versions, measuring(outcomes))
        assert len(state.steps) <= math.ceil(math.log2(n)) + 1 if n > 1 else len(state.steps) == 1
        expected = str(versions[boundary]) if boundary < n else None
        assert answer(state, False)[0] == expected


def test_wheel_tags_of_another_python():
    from packaging.tags import platform_tags

    tags = {str(t) for t in target_tags("3.10.13")}
    platforms = list(platform_tags())  # this machine's: linux_x86_64, manylinux_2_36_x86_64, ...
    assert platforms and {f"cp310-cp310-{p}" for p in platforms} <= tags
    assert {f"cp310-abi3-{p}" for p in platforms} <= tags
    assert {"py310-none-any", "py3-none-any"} <= tags
    assert not any(t.startswith(("cp311", "py311")) for t in tags)


@pytest.mark.integration
def test_bisect_on_a_real_project_finds_the_last_passing_release(tiny_project):
    """The tiny project's `fail` cells need packaging 23.x: the last passing release is 23.2."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "harness", "bisect", "packaging", ">=23.0,<24.2", "-e", "pkg23-fail",
         "--suite", "--last-pass", "--project", str(tiny_project)],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        "the last passing packaging release is 23.2" in done.stdout and "24.0 fails" in done.stdout
    )
    steps = [line for line in done.stdout.splitlines() if line.startswith("  packaging ")]
    assert steps[0].split()[1] == "23.0" and len(steps) <= math.ceil(math.log2(5)) + 1
    bad = subprocess.run([sys.executable, "-m", "harness", "bisect", "packaging", "not a range",
                          "--project", str(tiny_project)], capture_output=True, text=True)  # fmt: skip
    assert bad.returncode == 2 and "is not a version range" in bad.stderr
