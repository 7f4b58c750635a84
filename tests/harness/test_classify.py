import json

import pytest

from harness.errors import ConfigError
from harness.stages.classify import classify, failure, setup_failure
from harness.stages.signatures import BUILTIN, EXAMPLES, by_id, load_signatures


@pytest.mark.parametrize(
    "text, expected",
    [
        ("E   RuntimeError: Numpy is not available", "numpy-bridge-unavailable"),
        ("UserWarning: Failed to initialize NumPy: _ARRAY_API not found", "numpy-abi-import"),
        ("A module that was compiled using NumPy 1.x cannot be run in\nNumPy 2.2.6 as it may crash.",
         "numpy-abi-import"),
        ("ValueError: numpy.dtype size changed, may indicate binary incompatibility. Expected 96",
         "binary-incompatible"),
        ("  cause: Because there is no version of torch==9.9 and you require torch==9.9, we can",
         "unsatisfiable"),
        ("error: No solution found when resolving dependencies:", "unsatisfiable"),
        ("Caused by: Failed to fetch: `https://example.invalid/simple/torch/`", "install-network"),
        ("OSError: [Errno 28] No space left on device", "install-network"),
        ("Fatal Python error: Segmentation fault", "crash-signal"),
        ("ModuleNotFoundError: No module named 'torch._C'", "import-error"),
        ("harness: cell timed out after 30s", "timeout"),
        ("collected 0 items", "no-tests"),
        ("AssertionError: assert 3 == 4", "other"),
        ("AssertionError: assert 'np.float64(1.5)' == '1.5'", "numpy2-scalar-repr"),
        ("np.int64(3)", "numpy2-scalar-repr"),  # a doctest's "Got:" line
        ("[np.float64(1.0), np.float64(-inf)]", "numpy2-scalar-repr"),  # mizani 0.11.4's doctest
        ("{'a': np.int64(3)}", "numpy2-scalar-repr"),
        ("Got:\n    np.False_", "numpy2-scalar-repr"),  # mizani 0.11.4's zero_range doctest
        ("AssertionError: assert 'np.True_' == 'True'", "numpy2-scalar-repr"),
        ("    assert flag is np.True_\nAssertionError: assert False", "other"),  # source
        (">>> censor(np.float64(1.0))\nAssertionError: differs", "other"),  # a doctest's source
        ("'an_int': np.int_([1, 2, 3]),\nAssertionError: frames differ", "other"),  # source, not a repr
        # the texts below are what pytest printed under numpy 2.2.6 (2.3.5 and Python 3.12 where
        # marked), for test bodies that pass under numpy 1.26.4
        ("DeprecationWarning: `np.compat`, which was used during the Python 2 to 3 transition, "
         "is deprecated since 1.26.0, and will be removed", "numpy2-removed-module"),
        ("E       ModuleNotFoundError: No module named 'numpy.compat'",  # numpy 2.3.5
         "numpy2-removed-module"),
        ("ModuleNotFoundError: No module named 'numpy.array_api'",  # einops 0.8.0's tests
         "numpy2-removed-module"),
        ("E       ModuleNotFoundError: No module named 'numpy.core._methods'",
         "numpy2-removed-module"),
        ("E       ImportError: cannot import name 'ComplexWarning' from 'numpy.core.numeric' "
         "(/tmp/np2/lib/python3.11/site-packages/numpy/core/numeric.py)", "numpy2-removed-module"),
        ("E       ImportError: cannot import name 'set_string_function' from "
         "'numpy.core._multiarray_umath' "
         "(/tmp/np2/lib/python3.11/site-packages/numpy/core/_multiarray_umath.py)",
         "numpy2-removed-module"),
        ("E       ImportError: cannot import name 'alltrue' from 'numpy.core' "
         "(/tmp/np2/lib/python3.11/site-packages/numpy/core/__init__.py)", "numpy2-removed-module"),
        ("E       AttributeError: Module 'numpy._core' has no attribute 'alltrue'",
         "numpy2-removed-module"),
        ("E       ModuleNotFoundError: No module named 'numpy.distutils'",  # Python 3.12, any numpy
         "numpy-distutils-removed"),
        ("E       ModuleNotFoundError: No module named 'numpy_financial'", "import-error"),
        ("ModuleNotFoundError: No module named 'numpy.core._multiarray_umath'",  # numpy < 1.16's ABI
         "import-error"),
        ("AssertionError: assert <class 'numpy.float32'> is <class 'numpy.float64'>",
         "numpy2-promotion"),
        ("AssertionError: assert dtype('float64') == <class 'numpy.float32'>", "numpy2-promotion"),
        ("AssertionError: assert dtype('float64') == dtype('float32')", "numpy2-promotion"),
        ("AssertionError: assert dtype('uint8') == <class 'numpy.int64'>", "numpy2-promotion"),
        ("E           AssertionError: dtype('float64') != <class 'numpy.float32'>",  # unittest
         "numpy2-promotion"),
        ("E       AssertionError: assert False\n"
         "E        +  where False = isinstance(np.float32(6.0), <class 'numpy.float64'>)",
         "numpy2-promotion"),
        ("AssertionError: numpy.float32 is not numpy.float64", "numpy2-promotion"),
        ("E       AssertionError: \nE       Items are not equal:\nE        ACTUAL: dtype('float64')\n"
         "E        DESIRED: <class 'numpy.float32'>", "other"),  # assert_equal: not on one line
    ],
)  # fmt: skip
def test_each_signature_and_its_evidence(text, expected):
    signature, evidence = classify("noise before\n" + text + "\nnoise after")
    assert signature.id == expected
    said = " ".join(
        text.replace("\nE ", " ").split()
    )  # a bare "AssertionError:" with its next line
    assert evidence.strip() and (evidence in text or " ".join(evidence.split()) in said)


def test_table_order_decides_between_matches():
    text = "UserWarning: _ARRAY_API not found\nRuntimeError: Numpy is not available"
    assert classify(text)[0].id == "numpy-bridge-unavailable"


def test_a_removed_private_name_wins_over_the_abi_message_its_shim_quotes():
    text = """\
    def __getattr__(attr_name):
        if attr_name in {"_ARRAY_API", "_UFUNC_API"}:
            msg = textwrap.dedent(f\"\"\"
                A module that was compiled using NumPy 1.x cannot be run in
                NumPy {short_version} as it may crash. To support both 1.x and 2.x
        ret = getattr(_multiarray_umath, attr_name, None)
        if ret is None:
>           raise AttributeError(
                "module 'numpy.core._multiarray_umath' has no attribute "
                f"{attr_name}")
E           AttributeError: module 'numpy.core._multiarray_umath' has no attribute set_legacy_print_mode
"""  # numpy 2.2.6, `numpy.core._multiarray_umath.set_legacy_print_mode`, abridged
    signature, evidence = classify(text)
    assert signature.id == "numpy2-removed-module"
    assert evidence.startswith("E           AttributeError: module 'numpy.core._multiarray_umath'")


def test_empty_text_is_other_with_placeholder():
    assert classify("") == (by_id(BUILTIN)["other"], "(no output)")


def test_failure_record_trims_long_lines():
    found = failure("t::x", "RuntimeError: Numpy is not available " + "x" * 1000, "m" * 1000)
    assert found.signature == "numpy-bridge-unavailable"
    assert len(found.evidence) == 400 and len(found.message) == 400


def test_extra_signatures_come_first(tmp_path):
    extra = tmp_path / "extra.json"
    entry = {"id": "cuda-oom", "title": "CUDA out of memory", "pattern": "CUDA out of memory",
             "kind": "infrastructure", "hint": "smaller batch"}  # fmt: skip
    extra.write_text(json.dumps([entry]))
    table = load_signatures(extra)
    assert table[0].id == "cuda-oom" and table[1:] == BUILTIN
    assert (
        classify("RuntimeError: CUDA out of memory. Numpy is not available", table)[0].id
        == "cuda-oom"
    )


@pytest.mark.parametrize("content", ["not json", '[{"id": "x"}]', '{"id": 1}'])
def test_malformed_signature_files(tmp_path, content):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    with pytest.raises(ConfigError, match="cannot read signatures"):
        load_signatures(bad)


def test_a_name_imported_from_numpy_that_numpy_2_removed():
    text = "E   ImportError: cannot import name 'float_' from 'numpy' (/env/numpy/__init__.py)"
    assert classify(text)[0].id == "numpy2-removed-name"
    other = "E   ImportError: cannot import name 'float_' from 'mypkg' (/src/mypkg/__init__.py)"
    assert classify(other)[0].id == "import-error"


def test_an_env_setup_failure_quotes_the_line_that_explains_it():
    log = (
        "py: venv> uv venv -p python3.11 /p/.tox/py\n"
        "Using CPython 3.11.7 interpreter at: /usr/bin/python3.11\n"
        "py: install_deps> python -I -m pip install pytest\n"
        "/p/.tox/py/bin/python: No module named pip\n"
        "py: exit 1 (0.03 seconds) /p> python -I -m pip install pytest pid=1"
    )
    found = setup_failure("install", log)
    assert (found.signature, found.evidence) == (
        "env-config",
        "/p/.tox/py/bin/python: No module named pip",
    )
    unknown = setup_failure("install", "Using CPython 3.11.7\nbackend hook could not run: boom\n")
    assert (unknown.signature, unknown.evidence) == (
        "env-setup",
        "backend hook could not run: boom",
    )


@pytest.mark.parametrize(
    "text",
    [
        "AttributeError: type object 'numpy.ndarray' has no attribute 'ptp'",  # quantities 0.15
        "AttributeError: 'numpy.ndarray' object has no attribute 'newbyteorder'",
    ],
)
def test_an_ndarray_method_numpy_2_removed(text):
    assert classify(text)[0].id == "numpy2-removed-name"
    assert classify("AttributeError: 'numpy.ndarray' object has no attribute 'frob'")[0].id != (
        "numpy2-removed-name"
    )


def test_an_unclassified_doctest_failure_quotes_what_it_got_not_its_line_number():
    text = "314 \n315     Returns\nExpected:\n    3\nGot:\n    4\n\nbounds.py:323: DocTestFailure"
    assert classify(text)[1] == "4"


def test_each_signature_s_example_in_the_reference_is_classified_as_it():
    """The signature reference shows one example per signature: each is a line that signature,
    in table order, matches first."""
    assert list(EXAMPLES) == [signature.id for signature in BUILTIN]
    assert {i: classify(line)[0].id for i, line in EXAMPLES.items()} == {i: i for i in EXAMPLES}
