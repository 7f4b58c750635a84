"""What ``harness gate`` prints in GitHub Actions, with test ids and paths chosen to escape.

The runner reads workflow commands from each line of stdout and stderr: a line that starts
(after leading whitespace) with ``::``, or holds ``##[`` anywhere. ``runner_commands`` and
``parse`` follow actions/runner's ActionCommand.TryParseV2 / TryParse and its unescaping.
"""

import json
import re
import signal

import pytest

from harness.cli import main
from harness.commands import gate as gating
from harness.gate import judge as gate
from harness.gate import output as gate_output
from harness.model import Cell, CellResult, Counts
from harness.stages.sources import Line, Sources

SPOOF = "\n::error title=SPOOF::x"
TEST = f"tests/t.py::test_x[100%0A|`a`,b:c\r{SPOOF}\u2028::warning::w ##[error]y]"
PATH = "deps::x,1:%0A 100%\r.txt"
EVIDENCE = "AssertionError: 100% off\r\n::notice::z"
FIX = "pkg @ https://x/##[error]p.whl"


def runner_lines(text: str) -> list:
    return re.split(r"\r\n|\r|\n", text)  # .NET's ReadLine


def runner_commands(text: str) -> list:
    return [line for line in runner_lines(text) if line.lstrip().startswith("::") or "##[" in line]


def _unescape(text: str, mappings: tuple) -> str:
    for token, replacement in mappings:
        text = text.replace(replacement, token)
    return text


def parse(line: str) -> tuple:
    """``(name, properties, data)`` as the runner reads a ``::`` command."""
    line = line.lstrip()
    assert line.startswith("::")
    end = line.index("::", 2)
    name, _, listed = line[2:end].partition(" ")
    pairs = [p.split("=", 1) for p in listed.strip().split(",") if p]
    properties = {
        key: _unescape(value, (("\r", "%0D"), ("\n", "%0A"), (":", "%3A"), (",", "%2C"), ("%", "%25")))
        for key, value in pairs
    }  # fmt: skip
    return (
        name,
        properties,
        _unescape(line[end + 2 :], (("\r", "%0D"), ("\n", "%0A"), ("%", "%25"))),
    )


def result(name: str, verdict: str) -> CellResult:
    return CellResult(Cell(name, {}), verdict, Counts(passed=1), versions={"packaging": "23.2"})


def judgement() -> gate.Judgement:
    return gate.Judgement(
        gate.EXIT_REGRESSION,
        "1 test(s) that passed in the baseline broke",
        [gate.Change("packaging", "23.2", "24.1")],
        [gate.Broken(TEST, "failed", "assertion", EVIDENCE)],
        [TEST],
        [gate.Fix("raise", FIX, "keep packaging below 24", "py-gate_1", "baseline HEAD")],
    )


class State:
    def __init__(self, label: str, root, requirement: str, verdict: str) -> None:
        root.mkdir()
        (root / PATH).write_text(f"# pins\n\n{requirement}\n")
        self.label, self.root = label, root
        self.sources = Sources(label, [Line(PATH, 3, requirement)])
        self.result = result(f"py-gate_{label}", verdict)


@pytest.fixture
def doc(tmp_path):
    baseline = State("HEAD", tmp_path / "base", "packaging==23.2", "pass")
    proposed = State("working tree", tmp_path / "tree", "packaging==24.1", "fail")
    return gate_output.document(judgement(), baseline, proposed, tmp_path)


@pytest.mark.parametrize(
    "text", ["plain", "%0A%25%%", "a\r\nb\n\rc", "file:1,2::3", TEST, PATH, EVIDENCE]
)
def test_escaping_round_trips_through_the_runners_unescaping(text):
    name, properties, data = parse(gate_output.workflow_command("error", text, file=text, line=7))
    assert (name, properties, data) == ("error", {"file": text, "line": "7"}, text)
    assert gate_output.escaped("a%\r\n:,") == "a%25%0D%0A:,"
    assert gate_output.escaped("a%\r\n:,", in_property=True) == "a%25%0D%0A%3A%2C"


def test_annotations_are_one_escaped_line_each_naming_the_changed_line(doc):
    (annotation,) = gate_output.annotations(doc)
    assert runner_lines(annotation) == [annotation] and runner_commands(annotation) == [annotation]
    name, properties, message = parse(annotation)
    assert name == "error" and properties == {"file": PATH, "line": "3"}
    assert message.startswith(f"{doc['headline']}; e.g. {TEST}: assertion: {EVIDENCE}")
    assert message.endswith(f". Measured fix: {FIX}")


def test_an_annotation_ends_the_evidences_sentence_once(doc):
    doc["regressions"][0]["evidence"] = "AttributeError: `np.float_` was removed. Use `np.float64`."
    (annotation,) = gate_output.annotations(doc)
    assert "Use `np.float64`. Measured fix: " in parse(annotation)[2]


def test_the_terminal_screen_and_the_json_hold_no_command(doc):
    screen = gate_output.terminal(doc)
    assert runner_commands(screen) == []
    assert len(runner_lines(screen)) == len(screen.splitlines())  # no value split a line
    assert "\\n::error title=SPOOF::x" in screen and "\\u2028" in screen and "##\\[error]" in screen
    assert gate_output.inert("  ::x") == "  \\::x" and gate_output.inert("a::b") == "a::b"
    text = gate_output.json_text(doc)
    assert runner_commands(text) == [] and json.loads(text) == doc


def test_the_markdown_shows_test_ids_as_code_on_their_own_row(doc):
    text = gate_output.markdown(doc)
    row, listed = [line for line in text.splitlines() if "SPOOF" in line]  # broken; failing before
    assert row.startswith("| ``tests/t.py::test_x[100%0A\\|`a`,b:c") and row.endswith(" |")
    assert listed.startswith("- ``tests/t.py::test_x[100%0A\\|`a`,b:c") and listed.endswith("``")
    assert not [line for line in text.splitlines() if line.lstrip().startswith("::")]


@pytest.fixture
def gated(tmp_path, monkeypatch):
    """A project and a gate whose measuring is replaced: baseline and proposed differ on one
    requirement line of a file whose name holds ``::``, ``,``, ``:``, ``%`` and CR."""
    project = tmp_path / "p"
    project.mkdir()
    (project / "tox.ini").write_text("[tox]\nenv_list = py\n")
    (project / PATH).write_text("packaging==24.1\n")

    (tmp_path / "base").mkdir()
    (tmp_path / "base" / PATH).write_text("packaging==23.2\n")
    (tmp_path / "base" / "tox.ini").write_text("[tox]\nenv_list = py\n")

    def baseline(args, folder, store):
        lines = [Line(PATH, 1, "packaging==23.2")]
        return gating.Side("HEAD", Sources("HEAD", lines), root=tmp_path / "base"), [PATH]

    def run(state, store, base, proposed):
        base.result, proposed.result = result("py-gate_a", "pass"), result("py-gate_b", "fail")
        return judgement()

    monkeypatch.setattr(gating, "_baseline", baseline)
    monkeypatch.setattr(gating.snapshot, "commit_of", lambda folder, ref: "0" * 40)
    monkeypatch.setattr(gating, "_run", run)
    monkeypatch.setattr(gating.publish, "publish", lambda *args, **kwargs: None)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    yield project
    for number, handler in handlers.items():
        signal.signal(number, handler)


@pytest.mark.parametrize("as_json", [True, False])
def test_gate_in_actions_prints_annotations_on_stderr_only(gated, tmp_path, capsys, as_json):
    argv = [
        "gate",
        "--project",
        str(gated),
        "--reports",
        str(tmp_path / "r"),
        "--requirements",
        PATH,
    ]
    assert main(argv + ["--json"] * as_json) == gate.EXIT_REGRESSION
    out, err = capsys.readouterr()
    assert runner_commands(out) == []
    if as_json:
        doc = json.loads(out)  # one document: json.loads refuses anything after it
        assert doc["regressions"][0]["test"] == TEST and doc["changed_lines"][0]["path"] == PATH
    (annotation,) = runner_commands(err)
    assert parse(annotation)[:2] == ("error", {"file": PATH, "line": "1"})
    assert err.endswith(annotation + "\n")
    assert "SPOOF" in (tmp_path / "summary.md").read_text()


def test_a_gate_that_passes_with_failing_cells_says_all_the_screen_says(tmp_path):
    baseline = State("HEAD", tmp_path / "base", "packaging==23.2", "fail")
    proposed = State("working tree", tmp_path / "tree", "packaging==23.2", "fail")
    judged = gate.Judgement(gate.EXIT_PASS, "no regression: the proposed state is fail as before",
                            [gate.Change("pytest", "8.0.0", "8.1.0")], [], ["tests/t.py::test_old"])  # fmt: skip
    doc = gate_output.document(judged, baseline, proposed, tmp_path)
    page, screen = gate_output.markdown(doc), gate_output.terminal(doc)
    assert "already failing with the base's dependencies (not gating): 1" in screen
    assert "pytest 8.0.0" in screen
    for text in ("## Dependency gate: pass", "| baseline: `HEAD` | `py-gate_HEAD` | fail | 1 passed |",
                 "| `pytest` | 8.0.0 | 8.1.0 |", "- `tests/t.py::test_old`"):  # fmt: skip
        assert text in page, text


def test_an_annotation_without_a_broken_test_is_the_headline_and_the_fix(doc):
    doc["regressions"] = []
    doc["headline"] = "the proposed requirements cannot be installed: no numpy==9.9.9."
    (annotation,) = gate_output.annotations(doc)
    assert (
        parse(annotation)[2]
        == f"the proposed requirements cannot be installed: no numpy==9.9.9. Measured fix: {FIX}"
    )
