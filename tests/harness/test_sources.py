import pytest

from harness.errors import ConfigError
from harness.stages.sources import edits, read


@pytest.fixture
def repository(tmp_path):
    (tmp_path / "requirements.txt").write_text(
        "# runtime\ntorch>=2.1,<2.2\n-r extra.txt\nnumpy<2.0  # the bridge\n"
    )
    (tmp_path / "extra.txt").write_text("pandas\n-c pins.txt\n")
    return tmp_path


def test_requirements_with_includes_and_where_each_line_was_written(repository):
    state = read(repository, [], "HEAD")
    assert state.requirements() == [
        "torch>=2.1,<2.2",
        "pandas",
        f"-c {repository / 'pins.txt'}",
        "numpy<2.0",
    ]
    assert [line.number for line in state.names()["numpy"]] == [4]


def test_pyproject_dependencies_when_there_is_no_requirements_file(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = [\n  "numpy>=2",\n]\n'
    )
    (line,) = read(tmp_path, []).lines
    assert (line.path, line.number, line.text) == ("pyproject.toml", 4, "numpy>=2")


def test_no_requirement_file_means_the_tox_config_holds_the_deps(tmp_path):
    assert read(tmp_path, []).lines == []
    with pytest.raises(ConfigError, match="nope.txt does not exist in HEAD"):
        read(tmp_path, ["nope.txt"], "HEAD")


LOCK = """version = 1
[[package]]
name = "numpy"
version = "{numpy}"
source = {{ registry = "https://pypi.org/simple" }}

[[package]]
name = "app"
version = "0.1.0"
"""


@pytest.mark.parametrize(
    "path, before, after, expected",
    [
        ("requirements.txt", "numpy==1.26.4\n", "numpy==2.2.6\n", (1, "numpy==2.2.6")),
        ("pyproject.toml", '[project]\ndependencies = [\n  "numpy<2",\n]\n',
         '[project]\ndependencies = [\n  "numpy>=2",\n]\n', (3, "numpy>=2")),
        ("tox.ini", "[testenv]\ndeps =\n    pytest\n    numpy<2\n",
         "[testenv]\ndeps =\n    pytest\n    numpy>=2\n", (4, "numpy>=2")),
        ("uv.lock", LOCK.format(numpy="1.26.4"), LOCK.format(numpy="2.2.6"), (4, "numpy==2.2.6")),
        ("requirements/test.in", "numpy<2  # pin\n", "numpy>=2  # pin\n", (1, "numpy>=2")),
        ("dependencies/requirements.txt", "numpy>=1.20,<2.0; python_version>='3.8'\r\n",
         "numpy>=2.0; python_version>='3.8'\r\n", (1, "numpy>=2.0; python_version>='3.8'")),
        ("pyproject.toml", "dependencies = [\n  \"numpy<2; python_version>'3.8'\",\n]\n",
         "dependencies = [\n  \"numpy>=2; python_version>'3.8'\",\n]\n",
         (2, "numpy>=2; python_version>'3.8'")),
    ],
)  # fmt: skip
def test_edits_point_at_the_line_of_the_file_that_holds_the_bump(tmp_path, path, before, after,
                                                                 expected):  # fmt: skip
    for state, text in (("base", before), ("tree", after)):
        (tmp_path / state / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / state / path).write_text(text)
    (tmp_path / "tree" / "README.md").write_text("prose is not a dependency file\n")
    (moved,) = edits(tmp_path / "base", tmp_path / "tree")
    assert (moved.path, moved.number, moved.text) == (path, *expected)
    assert edits(tmp_path / "base", tmp_path / "base") == []
