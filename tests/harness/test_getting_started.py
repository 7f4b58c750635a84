"""The getting-started page is what a new user gets: its files are made as shown, its commands
run in order in one shell, and each prints what the page shows (durations and the folder aside).
The page is the test's input, so a page that drifts from the tool fails here."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration  # real tox envs and numpy wheels

PAGE = Path(__file__).resolve().parents[2] / "docs" / "getting-started.md"
HOME = "/home/you"  # where the page says it ran
MARK = "@@harness-getting-started@@"


def files(page: str) -> dict:
    found = re.findall(r"```\{code-block\} \w+\n:caption: (\S+)\n\n(.*?)```", page, re.S)
    return dict(found)


def sessions(page: str) -> list:
    """``(command, printed lines)`` of every ``$ `` line of the page's console blocks."""
    steps = []
    for block in re.findall(r"```console\n(.*?)```", page, re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            else:
                steps[-1][1].append(line)
    return steps


def same(text: str) -> str:
    return re.sub(r"\b\d+(?:\.\d+)?s\b", "Ns", text)  # a duration


def test_the_page_s_commands_print_what_it_shows(tmp_path):
    page = PAGE.read_text()
    made = files(page)
    assert set(made) == {"demo/requirements.txt", "demo/tox.ini", "demo/tests/test_stats.py"}
    for name, text in made.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    steps = sessions(page)
    assert [command.split()[0] for command, _ in steps].count("harness") == 4
    # the mark between commands must not change what `$?` says: the last command's status is kept
    script = "s=0\n" + "".join(f"echo {MARK}; (exit $s)\n{command}\ns=$?\n" for command, _ in steps)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "GIT_AUTHOR_NAME": "you", "GIT_AUTHOR_EMAIL": "you@example.com",
           "GIT_COMMITTER_NAME": "you", "GIT_COMMITTER_EMAIL": "you@example.com",
           "NO_COLOR": "1"}  # fmt: skip
    env.pop("GITHUB_ACTIONS", None)  # the page shows a terminal, not a workflow's log
    done = subprocess.run(["bash", "--noprofile", "--norc", "-c", script], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    printed = done.stdout.replace(str(tmp_path), HOME).split(f"{MARK}\n")[1:]
    assert len(printed) == len(steps), done.stdout + done.stderr
    for (command, shown), said in zip(steps, printed):
        assert same(said).splitlines() == same("\n".join(shown)).splitlines(), (
            f"$ {command}\n{said}\n--- stderr:\n{done.stderr[-3000:]}"
        )
