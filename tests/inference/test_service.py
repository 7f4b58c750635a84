"""End-to-end detection through the service, on both host-to-torch bridges.

Tests marked ``bridge`` go through ``torch.from_numpy`` / ``Tensor.numpy()``: in an environment
where torch cannot use the installed numpy they fail with ``Numpy is not available``.
"""

import io

import numpy as np
import pytest
import torch
from PIL import Image

from inference import InferenceService, InvalidInputError, ModelInferenceError, ModelLoadError
from inference.device import DEVICE_ENV, REQUIRE_GPU_ENV, select_device

from .conftest import matches

bridge = pytest.mark.bridge


def assert_finds_all(records, scene):
    assert matches(records, scene) == len(scene.boxes), (records, scene.boxes, scene.labels)


@bridge
def test_predict_from_path(bridge_service, png_file, scenes):
    assert_finds_all(bridge_service.predict(png_file), scenes[0])


@bridge
def test_predict_from_bytes(bridge_service, png_bytes, scenes):
    assert_finds_all(bridge_service.predict(png_bytes), scenes[0])


@bridge
def test_predict_from_pil(bridge_service, scenes):
    assert_finds_all(bridge_service.predict(scenes[1].image), scenes[1])


@bridge
def test_predict_from_numpy_array(bridge_service, scenes):
    assert_finds_all(bridge_service.predict(np.asarray(scenes[2].image)), scenes[2])


@bridge
def test_predict_from_tensor(bridge_service, scenes):
    hwc = torch.frombuffer(bytearray(scenes[3].image.tobytes()), dtype=torch.uint8).view(
        128, 128, 3
    )
    tensor = hwc.permute(2, 0, 1)
    assert_finds_all(bridge_service.predict(tensor), scenes[3])


@bridge
def test_predict_batch_of_pil_images(bridge_service, scenes):
    batch = bridge_service.predict_batch([s.image for s in scenes])
    assert len(batch) == len(scenes)
    for records, scene in zip(batch, scenes):
        assert_finds_all(records, scene)


@bridge
def test_predict_batched_numpy_array(bridge_service, scenes):
    batch = bridge_service.predict_batch([np.stack([np.asarray(s.image) for s in scenes[:4]])])
    assert [matches(r, s) for r, s in zip(batch, scenes)] == [len(s.boxes) for s in scenes[:4]]


@bridge
def test_predict_grayscale_and_rgba(bridge_service, scenes):
    for mode in ("L", "RGBA"):
        records = bridge_service.predict(scenes[4].image.convert(mode))
        assert {r["name"] for r in records} <= {"circle", "square", "triangle"}
        assert matches(records, scenes[4]) >= len(scenes[4].boxes) - 1


@bridge
def test_boxes_come_back_in_original_pixels(bridge_service, scenes):
    big = scenes[5].image.resize((512, 256))
    records = bridge_service.predict(big)
    assert max(r["xmax"] for r in records) > 128
    assert all(
        0 <= r["xmin"] < r["xmax"] <= 512 and 0 <= r["ymin"] < r["ymax"] <= 256 for r in records
    )


@bridge
def test_recall_and_precision_on_mixed_sizes(bridge_service, mixed_scenes):
    batch = bridge_service.predict_batch([s.image for s in mixed_scenes])
    objects = sum(len(s.boxes) for s in mixed_scenes)
    found = sum(matches(r, s) for r, s in zip(batch, mixed_scenes))
    assert found / objects >= 0.85  # extreme aspect ratios shrink some shapes to a few pixels
    assert found / sum(len(r) for r in batch) >= 0.8


@bridge
def test_bridge_and_native_agree(bridge_service, native_service, scenes):
    for scene in scenes[:4]:
        assert bridge_service.predict(scene.image) == native_service.predict(scene.image)


@bridge
def test_records_are_plain_python(bridge_service, scenes):
    record = bridge_service.predict(scenes[6].image)[0]
    assert set(record) == {"xmin", "ymin", "xmax", "ymax", "confidence", "class", "name"}
    assert type(record["class"]) is int and type(record["confidence"]) is float


def test_native_predict_from_every_input_kind(native_service, png_file, png_bytes, scenes):
    for source in (png_file, png_bytes, scenes[0].image, np.asarray(scenes[0].image)):
        assert_finds_all(native_service.predict(source), scenes[0])


def test_native_batch_accuracy(native_service, mixed_scenes):
    batch = native_service.predict_batch([s.image for s in mixed_scenes])
    found = sum(matches(r, s) for r, s in zip(batch, mixed_scenes))
    assert found / sum(len(s.boxes) for s in mixed_scenes) >= 0.85


def test_empty_scene_gives_no_detections(native_service):
    assert native_service.predict(Image.new("RGB", (128, 128), (90, 90, 90))) == []


def test_invalid_input_is_not_wrapped(native_service, bridge_service):
    for service in (native_service, bridge_service):
        with pytest.raises(InvalidInputError, match="corrupt"):
            service.predict(b"\x89PNG\r\n\x1a\n broken")


def test_model_failure_is_wrapped_and_chained(monkeypatch):
    service = InferenceService(bridge="native")

    def explode(_):
        raise RuntimeError("CUDA error: device-side assert triggered")

    monkeypatch.setattr(service.detector.model, "forward", explode)
    with pytest.raises(ModelInferenceError, match="^Inference failed: CUDA error") as caught:
        service.predict(Image.new("RGB", (32, 32)))
    assert isinstance(caught.value.__cause__, RuntimeError)


def test_constructor_errors(tmp_path):
    with pytest.raises(ModelLoadError):
        InferenceService(weights=tmp_path / "missing.pt")
    with pytest.raises(ValueError, match="conf and iou"):
        InferenceService(conf=1.5)
    with pytest.raises(ValueError, match="bridge"):
        InferenceService(bridge="json")


def test_timings_and_device(native_service, scenes):
    results = native_service.detector([s.image for s in scenes[:2]])
    assert set(results.times) == {"preprocess", "inference", "postprocess"}
    assert all(t >= 0 for t in results.times.values()) and native_service.detector.load_ms > 0
    # The device the service was told to use: $INFERENCE_DEVICE when set, else CUDA when
    # present, else CPU -- resolved by the service's own rule, not re-implemented here.
    assert native_service.device == select_device()
    assert all(d.device.type == native_service.device.type for d in results.xyxy)


def test_device_override_runs_on_cpu(monkeypatch, scenes):
    monkeypatch.setenv(DEVICE_ENV, "cpu")
    monkeypatch.delenv(REQUIRE_GPU_ENV, raising=False)
    # Pretend CUDA is present so that "auto" would pick it: only the override keeps it on CPU.
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert select_device("auto").type == "cuda"
    service = InferenceService(bridge="native")
    assert service.device == torch.device("cpu")
    assert {p.device.type for p in service.detector.model.parameters()} == {"cpu"}
    results = service.detector([scenes[0].image])
    assert all(d.device.type == "cpu" for d in results.xyxy)
    assert_finds_all(service.predict(scenes[0].image), scenes[0])


def test_confidence_threshold_filters(scenes):
    strict = InferenceService(bridge="native", conf=0.999).predict(scenes[0].image)
    loose = InferenceService(bridge="native", conf=0.01).predict(scenes[0].image)
    assert len(strict) <= len(loose) and all(r["confidence"] > 0.999 for r in strict)


def test_truncated_gif_is_invalid_input(native_service):
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64)).save(buffer, format="GIF")
    with pytest.raises(InvalidInputError):
        native_service.predict(buffer.getvalue()[:20])
