import json
import runpy
import sys

import pytest

from inference.cli import EXIT_INPUT, EXIT_LOAD, main


@pytest.mark.bridge
def test_cli_text_output(png_file, capsys):
    status = main([str(png_file), "--device", "cpu"])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert out.startswith(f"{png_file}: ") and "detection(s)" in out


@pytest.mark.bridge
def test_cli_json_output(png_file, scenes, capsys):
    status = main([str(png_file), "--json"])
    out, err = capsys.readouterr()
    assert status == 0, err
    document = json.loads(out)
    (result,) = document["results"]
    assert result["image"] == str(png_file)
    assert sorted(r["class"] for r in result["detections"]) == sorted(scenes[0].labels)


def test_cli_native_bridge_and_bad_images(png_file, tmp_path, capsys):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really")
    status = main(
        [str(png_file), str(broken), str(tmp_path / "missing.png"), "--bridge", "native", "--json"]
    )
    assert status == EXIT_INPUT
    captured = capsys.readouterr()
    results = json.loads(captured.out)["results"]
    assert "detections" in results[0]
    assert "corrupt" in results[1]["error"] and "no such image file" in results[2]["error"]
    assert "error: " in captured.err


def test_cli_text_output_native_with_no_detections(tmp_path, capsys):
    from PIL import Image

    blank = tmp_path / "blank.png"
    Image.new("RGB", (64, 64), (90, 90, 90)).save(blank)
    assert main([str(blank), "--bridge", "native"]) == 0
    assert "(none)" in capsys.readouterr().out


def test_cli_load_and_argument_errors(tmp_path, png_file, capsys):
    assert main([str(png_file), "--weights", str(tmp_path / "none.pt")]) == EXIT_LOAD
    assert main([str(png_file), "--conf", "2"]) == EXIT_INPUT
    assert main([str(png_file), "--device", "tpu"]) == EXIT_LOAD
    assert "error:" in capsys.readouterr().err


def test_module_entry_point(png_file, capsys, monkeypatch):
    """`python -m inference` runs the CLI: the module run as __main__ in this process (a
    subprocess would import torch again for seconds)."""
    monkeypatch.setattr(sys, "argv", ["inference", str(png_file), "--bridge", "native", "--json"])
    with pytest.raises(SystemExit) as exit_:
        runpy.run_module("inference", run_name="__main__", alter_sys=True)
    assert exit_.value.code == 0, capsys.readouterr().err
    assert json.loads(capsys.readouterr().out)["results"][0]["detections"]
