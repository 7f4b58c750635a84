import pytest
import torch

from inference.errors import ModelLoadError
from inference.model import DEFAULT_WEIGHTS, ModelConfig, ShapesDetector, load_model, save_weights


def test_shipped_weights_load_with_provenance():
    payload = torch.load(str(DEFAULT_WEIGHTS), map_location="cpu", weights_only=True)
    assert payload["provenance"]["command"].startswith("python -m inference.train")
    assert DEFAULT_WEIGHTS.stat().st_size < 5_000_000
    model = load_model()
    assert not model.training and model.config.names == ("circle", "square", "triangle")


def test_forward_and_decode_shapes():
    model = ShapesDetector(ModelConfig(img_size=64))
    raw = model(torch.rand(2, 3, 64, 64))
    assert raw.shape == (2, 8, 8, 8)
    boxes, scores, classes = model.decode(raw)
    assert boxes.shape == (2, 64, 4) and scores.shape == classes.shape == (2, 64)
    assert torch.all((scores >= 0) & (scores <= 1)) and torch.all(boxes[..., 2:] > boxes[..., :2])


def test_missing_weights(tmp_path):
    with pytest.raises(ModelLoadError, match="not found"):
        load_model(tmp_path / "nope.pt")


@pytest.mark.parametrize("content", [b"", b"garbage" * 100, DEFAULT_WEIGHTS.read_bytes()[:5000]])
def test_corrupt_or_truncated_weights(tmp_path, content):
    path = tmp_path / "bad.pt"
    path.write_bytes(content)
    with pytest.raises(ModelLoadError, match="unreadable"):
        load_model(path)


def test_weights_of_the_wrong_format_or_architecture(tmp_path):
    path = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(3)}, str(path))
    with pytest.raises(ModelLoadError, match="not a format-1 detector"):
        load_model(path)
    save_weights(ShapesDetector(ModelConfig(widths=(8, 8))), path, provenance={})
    payload = torch.load(str(path), weights_only=True)
    payload["config"]["widths"] = [16, 16]
    torch.save(payload, str(path))
    with pytest.raises(ModelLoadError, match="does not fit"):
        load_model(path)
