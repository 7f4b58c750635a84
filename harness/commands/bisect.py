"""``harness bisect AXIS RANGE``: the first (or last) release of a package that passes.

The releases come from the index: final releases in RANGE with a wheel for the cell's
interpreter and this platform. Each step is an ad-hoc cell (the base env, the ``--with``
pins, and ``AXIS==version``) run through the pipeline, with the probe by default or the
whole suite with ``--suite``; a stored result with the same fingerprint is reused. The upper
end is checked first (when it fails, no release in the range passes), then the range is
halved, so it takes at most ceil(log2 n) + 1 steps. A release that cannot be installed is
dropped and said so; where the steps contradict one another, the property is not monotone
and it is said so. Its cells stay in the reports folder, where ``harness gate
--from-report`` can use them as evidence for a fix.
"""

from __future__ import annotations

import math
import time

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import compatible_tags, cpython_tags

from harness import index, processes
from harness.bisection import MEASURED, Search, Step, answer, search
from harness.errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_UNMEASURED, ConfigError
from harness.model import PROBE, SUITE, UNSATISFIABLE
from harness.report import publish
from harness.stages import pipeline, prepare
from harness.stages import select as matrix
from harness.state import State, add
from harness.store import Store

DESCRIPTION = "Find the first (or, with --last-pass, the last) release of a package that passes. The releases are the index's final releases in RANGE with a wheel for the cell's Python; each step is an ad-hoc cell, run with the probe (or the whole suite with --suite). The upper end is tried first, then the range is halved: at most ceil(log2 n) + 1 steps. A release that cannot be installed is left out and named. The cells stay in the reports folder, where harness gate --from-report can use them as evidence for a fix."
EXAMPLES = ("harness bisect torch '>=2.0,<2.6' --with numpy==2.2.6",)
EXITS = (0, 2, 3, 130)  # the exit codes this command can return (harness.errors)


def add_parser(commands) -> None:
    parser = commands.add_parser("bisect", help="find the first release of a package that passes")
    parser.set_defaults(handler=command)
    add(parser, "project", "reports")
    parser.add_argument("axis", help="the package to search, e.g. torch")
    parser.add_argument("range", help='its versions, as a specifier: ">=2.0,<2.6"')
    add(parser, "adhoc")
    parser.add_argument(
        "-e", "--env", default=None, help="the env to start from (default: first of env_list)"
    )
    parser.add_argument("--suite", action="store_true", help="run the whole suite, not the probe")
    parser.add_argument("--last-pass", action="store_true", help="find the last passing release")
    add(parser, "timeout", "jobs", "threads_per_cell", "as_of")


def target_tags(python: str) -> set:
    """The wheel tags an interpreter of this version accepts on this platform."""
    version = tuple(int(part) for part in python.split(".")[:2])
    return set(cpython_tags(python_version=version)) | set(compatible_tags(python_version=version))


def releases(axis: str, specifier: SpecifierSet, python: str, available: list = None) -> list:
    """Final releases in range with a wheel for ``python``; ``available``: ``index.wheel_tags``."""
    accepted = target_tags(python)
    available = index.wheel_tags(axis) if available is None else available
    found = {v for v, tags, _ in available if tags & accepted and not v.is_prerelease}
    return sorted(v for v in found if specifier.contains(v))


def command(state: State) -> int:
    args, folder = state.args, state.project
    axis = index.project_name(args.axis)  # PEP 503: Packaging_ and PACKAGING mean packaging
    try:
        specifier = SpecifierSet(args.range)
    except InvalidSpecifier as exc:
        raise ConfigError(f"{args.range!r} is not a version range, e.g. '>=2.0,<2.6'") from exc
    pins = matrix.parse_pins(args.adhoc)
    available = index.wheel_tags(axis)  # an unknown package stops here, before tox is asked
    base = args.env or next(iter(matrix.env_list(folder)), None)
    if base is None:
        raise ConfigError("bisect needs an env to start from: name one with -e")
    python = prepare.identity(prepare.find_pythons(matrix.tox_cells(folder, [base]))[base])
    versions = releases(axis, specifier, python.rpartition(" ")[2] or "3.11", available)
    if not versions:
        raise ConfigError(
            f"no release of {axis} in {args.range} has a wheel for {python or 'this Python'}"
        )
    mode = SUITE if args.suite else PROBE
    print(f"harness bisect: {len(versions)} {axis} releases in {args.range} ({versions[0]} … {versions[-1]}), "
          f"at most {math.ceil(math.log2(len(versions))) + 1} steps, {mode} cells")  # fmt: skip
    with state.folder("bisect") as store:
        try:
            found = search(
                versions,
                lambda v: _measure(folder, store, base, axis, v, pins, mode, state),
                args.last_pass,
            )
        except (KeyboardInterrupt, processes.Interrupted):
            processes.LIVE.stopping = False
            publish.publish(store, folder, [], True, {})
            return EXIT_INTERRUPTED
        publish.publish(store, folder, [], False, {})
    return _say(found, axis, pins, args.last_pass)


def _measure(
    folder, store: Store, base: str, axis: str, version, pins: dict, mode: str, state: State
) -> Step:
    wanted = {**pins, axis: f"=={version}"}
    name = matrix.adhoc_name(base, wanted)
    cells = matrix.derived_cells(folder, base, {name: [f"{n}{s}" for n, s in wanted.items()]})
    options = pipeline.RunOptions(project=folder, reports=store.reports, cells=cells, resume=True,
                                  timeout_s=state.timeout, jobs=state.jobs, mode=mode,
                                  threads=state.threads, as_of=state.as_of,
                                  signatures=state.signatures)  # fmt: skip
    start = time.monotonic()
    outcome = pipeline.run(options, store, pipeline.Silent())
    if outcome.interrupted:
        raise processes.Interrupted()
    (result,) = outcome.results
    signature = max(result.signature_counts().items(), key=lambda kv: kv[1], default=("", 0))[0]
    step = Step(str(version), result.verdict, signature, round(time.monotonic() - start, 1))
    print(
        f"  {axis} {step.version:<10} {step.verdict:<14} {step.signature:<26} {step.seconds:.0f}s",
        flush=True,
    )
    return step


def _say(state: Search, axis: str, pins: dict, last: bool) -> int:
    found, before, monotone = answer(state, last)
    held = ", ".join(f"{n}{s}" for n, s in pins.items()) or "nothing else pinned"
    n = len(state.versions)
    print(
        f"harness bisect: {len(state.steps)} step(s) for {n} releases (bound: {math.ceil(math.log2(n)) + 1})"
    )
    for version in state.dropped:
        print(
            f"  {axis} {version} could not be installed ({UNSATISFIABLE} or infrastructure): left out"
        )
    if found is None:
        print(f"harness bisect: no {axis} release in the range passes with {held}")
        return (
            EXIT_UNMEASURED
            if state.dropped and not any(s.verdict in MEASURED for s in state.steps)
            else EXIT_OK
        )
    word = "last" if last else "first"
    print(f"harness bisect: the {word} passing {axis} release is {found} with {held}"
          + (f"; {before} fails" if before else ""))  # fmt: skip
    if not monotone:
        print(
            "harness bisect: the steps contradict each other: the property is not monotone over this range"
        )
    return EXIT_OK
