"""Every kind of input, good and bad, through the native bridge (no torch.from_numpy)."""

import io

import numpy as np
import pytest
import torch
from PIL import Image

from inference.errors import InvalidInputError
from inference.inputs import check_bridge, decode_image, to_tensors


def encode(image: Image.Image, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def native(source, **kwargs):
    return to_tensors(source, bridge="native", **kwargs)


def test_paths_bytes_and_pil_give_the_same_tensor(png_file, png_bytes, scenes):
    from_path, from_bytes, from_pil = (
        native([png_file, str(png_file)]),
        native(png_bytes),
        native(scenes[0].image),
    )
    assert from_pil[0].shape == (3, 128, 128) and from_pil[0].dtype == torch.float32
    for tensor in (*from_path, *from_bytes):
        assert torch.equal(tensor, from_pil[0])


def test_numpy_arrays_uint8_float_gray_rgba_and_batched():
    hwc = np.random.default_rng(0).integers(0, 256, (40, 60, 3), dtype=np.uint8)
    expected = torch.tensor(hwc.tolist(), dtype=torch.float32).permute(2, 0, 1) / 255
    assert torch.allclose(native(hwc)[0], expected)
    assert torch.allclose(native(hwc.astype(np.float32) / 255)[0], expected, atol=1e-6)
    rgba = np.concatenate([hwc, np.full((40, 60, 1), 7, np.uint8)], axis=2)
    assert torch.allclose(native(rgba)[0], expected)
    gray = native(hwc[..., 0])[0]
    assert gray.shape == (3, 40, 60) and torch.equal(gray[0], gray[2])
    assert len(native(np.stack([hwc, hwc]))) == 2


def test_tensors_chw_nchw_uint8_and_single_channel():
    chw = torch.rand(3, 20, 30)
    assert torch.equal(native(chw)[0], chw)
    assert torch.allclose(native((chw * 255).to(torch.uint8))[0], chw, atol=1 / 255)
    assert len(native(torch.rand(4, 3, 20, 30))) == 4
    assert native(torch.rand(1, 20, 30))[0].shape == (3, 20, 30)


@pytest.mark.parametrize("mode", ["L", "LA", "P", "RGBA", "1", "CMYK", "I;16", "I"])
def test_other_modes_are_converted_to_rgb(mode):
    image = Image.new("RGB", (16, 12), (200, 10, 10)).convert(
        mode if mode not in ("I;16", "I") else "L"
    )
    if mode in ("I;16", "I"):
        image = Image.new(mode, (16, 12), 40000)
    tensor = native(encode(image) if mode not in ("CMYK", "I") else image)[0]
    assert tensor.shape == (3, 12, 16)
    if mode in ("I;16", "I"):
        assert torch.allclose(tensor, torch.full_like(tensor, (40000 // 256) / 255))


def test_transparent_pixels_become_grey_background():
    image = Image.new("RGBA", (4, 4), (255, 0, 0, 0))
    assert torch.allclose(native(image)[0], torch.full((3, 4, 4), 114 / 255))


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"this is not an image at all", "corrupt"),
        (encode(Image.new("RGB", (64, 64), (1, 2, 3)), "JPEG")[:200], "corrupt or truncated"),
        (encode(Image.new("RGB", (64, 64), (1, 2, 3)), "PNG")[:-30], "corrupt or truncated"),
    ],
)
def test_corrupt_truncated_and_empty_bytes(data, message):
    with pytest.raises(InvalidInputError, match=message):
        native(data)


def test_empty_file_and_missing_path(tmp_path):
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(InvalidInputError, match="empty"):
        native(empty)
    with pytest.raises(InvalidInputError, match="no such image file"):
        native(tmp_path / "missing.png")
    with pytest.raises(InvalidInputError, match="no such image file"):
        native(tmp_path)


def test_zero_size_and_oversized_images():
    with pytest.raises(InvalidInputError, match="zero size"):
        native(Image.new("RGB", (0, 5)))
    with pytest.raises(InvalidInputError, match="zero size"):
        native(torch.rand(3, 0, 4))
    with pytest.raises(InvalidInputError, match="too large"):
        native(Image.new("RGB", (100, 100)), max_pixels=9_999)
    with pytest.raises(InvalidInputError, match="too large"):
        decode_image(encode(Image.new("L", (200, 200))), max_pixels=100)


def test_non_finite_and_badly_shaped_or_typed_tensors():
    bad = torch.rand(3, 8, 8)
    bad[0, 0, 0] = float("nan")
    with pytest.raises(InvalidInputError, match="NaN or infinite"):
        native(bad)
    with pytest.raises(InvalidInputError, match="NaN or infinite"):
        native(np.full((8, 8, 3), np.inf, dtype=np.float32))
    for wrong in (
        torch.rand(8, 8),
        torch.rand(2, 2, 3, 8, 8),
        torch.rand(8, 8, 3),
        torch.rand(2, 8, 8),
    ):
        with pytest.raises(InvalidInputError, match="CHW or NCHW"):
            native(wrong)
    for wrong in (torch.zeros(3, 8, 8, dtype=torch.int64), torch.zeros(3, 8, 8, dtype=torch.bool)):
        with pytest.raises(InvalidInputError, match="dtype"):
            native(wrong)


def test_badly_shaped_or_typed_arrays_and_unknown_types():
    with pytest.raises(InvalidInputError, match="dtype"):
        native(np.zeros((8, 8, 3), dtype=np.int32))
    with pytest.raises(InvalidInputError, match="HW, HWC or NHWC"):
        native(np.zeros((8, 8, 5), dtype=np.uint8))
    with pytest.raises(InvalidInputError, match="unsupported input type"):
        native(12)
    with pytest.raises(InvalidInputError, match="no images"):
        native([])
    with pytest.raises(InvalidInputError, match="unsupported image mode"):
        native(Image.new("F", (4, 4)))
    with pytest.raises(ValueError, match="bridge"):
        check_bridge("pickle")
