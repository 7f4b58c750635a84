"""Turn what callers pass (paths, bytes, PIL images, numpy arrays, tensors) into RGB tensors.

Two bridges from host memory to torch: ``"numpy"`` goes through ``torch.from_numpy`` as
most services do; ``"native"`` never touches the numpy bridge (``torch.frombuffer``), so
it keeps working where torch was built against an incompatible numpy.
"""

from __future__ import annotations

import io
from pathlib import Path

import torch
from PIL import Image, UnidentifiedImageError
from torch import Tensor

from .errors import InvalidInputError

BRIDGES = ("numpy", "native")
DEFAULT_MAX_PIXELS = 40_000_000
_SIXTEEN_BIT = {"I;16", "I;16B", "I;16L", "I;16N", "I"}
_CONVERTIBLE = {"1", "L", "LA", "P", "PA", "RGB", "RGBA", "RGBX", "RGBa", "CMYK", "YCbCr", "La"}
_TORCH_DTYPES = {
    "uint8": torch.uint8, "float16": torch.float16, "float32": torch.float32,
    "float64": torch.float64,
}  # fmt: skip
_BACKGROUND = (114, 114, 114)


def check_bridge(bridge: str) -> str:
    if bridge not in BRIDGES:
        raise ValueError(f"bridge must be one of {BRIDGES}, not {bridge!r}")
    return bridge


def to_tensors(source, bridge: str = "numpy", max_pixels: int = DEFAULT_MAX_PIXELS) -> list:
    """One image or a list/tuple of them, as float ``(3, H, W)`` tensors in [0, 1]."""
    check_bridge(bridge)
    items = list(source) if isinstance(source, (list, tuple)) else [source]
    if not items:
        raise InvalidInputError("no images given")
    tensors = []
    for item in items:
        tensors.extend(_one(item, bridge, max_pixels))
    return tensors


def _one(item, bridge: str, max_pixels: int) -> list:
    if isinstance(item, (str, Path)):
        item = _read_file(Path(item))
    if isinstance(item, (bytes, bytearray, memoryview)):
        item = decode_image(bytes(item), max_pixels)
    if isinstance(item, Image.Image):
        return [_pil_to_tensor(_to_rgb(item, max_pixels), bridge)]
    if isinstance(item, Tensor):
        return _check_tensor(item, max_pixels)
    if type(item).__module__ == "numpy" and hasattr(item, "shape"):
        return _check_tensor(_ndarray_to_tensor(item, bridge), max_pixels)
    raise InvalidInputError(f"unsupported input type {type(item).__name__}")


def _read_file(path: Path) -> bytes:
    if not path.is_file():
        raise InvalidInputError(f"no such image file: {path}")
    return path.read_bytes()


def decode_image(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Decode encoded image bytes fully, so corrupt and truncated files fail here."""
    if not data:
        raise InvalidInputError("image data is empty")
    try:
        image = Image.open(io.BytesIO(data))
        _check_size(image.size, max_pixels)
        image.load()
    except InvalidInputError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InvalidInputError(f"image data is corrupt or truncated: {exc}") from exc
    except Image.DecompressionBombError as exc:
        raise InvalidInputError(f"image is too large: {exc}") from exc
    return image


def _check_size(size: tuple, max_pixels: int) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise InvalidInputError(f"image has zero size ({width}x{height})")
    if width * height > max_pixels:
        raise InvalidInputError(f"image is too large: {width}x{height} exceeds {max_pixels} pixels")


def _to_rgb(image: Image.Image, max_pixels: int) -> Image.Image:
    _check_size(image.size, max_pixels)
    if image.mode in _SIXTEEN_BIT:
        image = image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    elif image.mode not in _CONVERTIBLE:
        raise InvalidInputError(f"unsupported image mode {image.mode!r}")
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        background = Image.new("RGB", image.size, _BACKGROUND)
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        return background
    return image.convert("RGB")


def _pil_to_tensor(image: Image.Image, bridge: str) -> Tensor:
    width, height = image.size
    if bridge == "numpy":
        import numpy as np

        hwc = torch.from_numpy(np.array(image, dtype=np.uint8))
    else:
        hwc = torch.frombuffer(bytearray(image.tobytes()), dtype=torch.uint8)
    return hwc.view(height, width, 3).permute(2, 0, 1).float().div_(255)


def _ndarray_to_tensor(array, bridge: str) -> Tensor:
    """HW, HWC or NHWC arrays (uint8 in 0..255 or float in 0..1) to (N)CHW tensors."""
    if array.dtype.name not in _TORCH_DTYPES:
        raise InvalidInputError(f"unsupported array dtype {array.dtype.name}")
    if array.ndim not in (2, 3, 4) or (array.ndim > 2 and array.shape[-1] not in (1, 3, 4)):
        raise InvalidInputError(
            f"array must be HW, HWC or NHWC with 1, 3 or 4 channels, got {array.shape}"
        )
    if array.ndim == 2:
        array = array[..., None]
    if bridge == "numpy":
        import numpy as np

        tensor = torch.from_numpy(np.array(array, order="C"))  # a writable copy
    else:
        dtype = _TORCH_DTYPES[array.dtype.name]
        tensor = torch.frombuffer(bytearray(array.tobytes()), dtype=dtype).view(*array.shape)
    tensor = tensor[..., :3] if tensor.shape[-1] == 4 else tensor
    return tensor.movedim(-1, -3)


def _check_tensor(tensor: Tensor, max_pixels: int) -> list:
    """CHW or NCHW, 1 or 3 channels, uint8 or floating point; returns float CHW tensors."""
    if tensor.ndim not in (3, 4) or tensor.shape[-3] not in (1, 3):
        raise InvalidInputError(
            f"tensor must be CHW or NCHW with 1 or 3 channels, got {tuple(tensor.shape)}"
        )
    if tensor.dtype != torch.uint8 and not tensor.is_floating_point():
        raise InvalidInputError(f"unsupported tensor dtype {tensor.dtype}")
    _check_size((tensor.shape[-1], tensor.shape[-2]), max_pixels)
    if tensor.is_floating_point():
        if not torch.isfinite(tensor).all():
            raise InvalidInputError("tensor contains NaN or infinite values")
        tensor = tensor.float()
    else:
        tensor = tensor.float().div(255)
    if tensor.shape[-3] == 1:
        tensor = tensor.expand(*tensor.shape[:-3], 3, *tensor.shape[-2:])
    return list(tensor.unsqueeze(0) if tensor.ndim == 3 else tensor)
