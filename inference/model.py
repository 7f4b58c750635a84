"""A small single-stage detector: a YOLO-style grid head over a plain conv backbone."""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import Tensor, nn

from .errors import ModelLoadError
from .shapes import NAMES

WEIGHTS_FORMAT = 1
DEFAULT_WEIGHTS = Path(__file__).parent / "weights" / "shapes_detector.pt"


@dataclass
class ModelConfig:
    names: tuple = NAMES
    img_size: int = 128
    widths: tuple = (16, 32, 64)
    anchor: float = 32.0  # box sizes are predicted relative to this many input pixels

    @property
    def stride(self) -> int:
        return 2 ** len(self.widths)


def _conv(c_in: int, c_out: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), nn.BatchNorm2d(c_out), nn.SiLU()
    )


class ShapesDetector(nn.Module):
    """Maps ``(N, 3, S, S)`` images in [0, 1] to raw ``(N, 5 + C, S/stride, S/stride)`` maps."""

    def __init__(self, config: ModelConfig = None) -> None:
        super().__init__()
        self.config = config or ModelConfig()
        layers, c_in = [], 3
        for width in self.config.widths:
            layers += [_conv(c_in, width, stride=2), _conv(width, width)]
            c_in = width
        layers += [_conv(c_in, c_in), _conv(c_in, c_in)]
        self.backbone = nn.Sequential(*layers)
        self.head = nn.Conv2d(c_in, 5 + len(self.config.names), 1)

    def forward(self, images: Tensor) -> Tensor:
        return self.head(self.backbone(images))

    def decode(self, raw: Tensor) -> tuple:
        """Raw maps to ``(boxes xyxy (N, A, 4), scores (N, A), classes (N, A))`` in input pixels."""
        n, _, rows, cols = raw.shape
        raw = raw.permute(0, 2, 3, 1).reshape(n, rows * cols, -1)
        ys, xs = torch.meshgrid(
            torch.arange(rows, device=raw.device),
            torch.arange(cols, device=raw.device),
            indexing="ij",
        )
        grid = torch.stack((xs, ys), dim=-1).reshape(1, rows * cols, 2).to(raw.dtype)
        stride, anchor = self.config.stride, self.config.anchor
        centre = (grid + raw[..., 0:2].sigmoid()) * stride
        size = raw[..., 2:4].clamp(max=4.0).exp() * anchor
        boxes = torch.cat((centre - size / 2, centre + size / 2), dim=-1)
        class_prob, classes = raw[..., 5:].softmax(-1).max(-1)
        return boxes, raw[..., 4].sigmoid() * class_prob, classes


def save_weights(model: ShapesDetector, path: Path, provenance: dict) -> None:
    payload = {
        "format": WEIGHTS_FORMAT,
        "config": {
            k: list(v) if isinstance(v, tuple) else v for k, v in asdict(model.config).items()
        },
        "provenance": provenance,
        "state_dict": model.state_dict(),
    }
    torch.save(payload, str(path))


def load_model(path: Path = None, device: str = "cpu") -> ShapesDetector:
    """Build the detector from a weights file; every failure is a ``ModelLoadError``."""
    path = Path(path) if path is not None else DEFAULT_WEIGHTS
    if not path.is_file():
        raise ModelLoadError(f"weights file not found: {path}")
    try:
        with warnings.catch_warnings():  # torch 2.1 warns about its own TypedStorage use here
            warnings.simplefilter("ignore", UserWarning)
            payload = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ModelLoadError(f"weights file {path} is unreadable: {exc}") from exc
    if not isinstance(payload, dict) or payload.get("format") != WEIGHTS_FORMAT:
        raise ModelLoadError(f"weights file {path} is not a format-{WEIGHTS_FORMAT} detector")
    try:
        config = {k: tuple(v) if isinstance(v, list) else v for k, v in payload["config"].items()}
        model = ShapesDetector(ModelConfig(**config))
        model.load_state_dict(payload["state_dict"])
    except Exception as exc:
        raise ModelLoadError(f"weights file {path} does not fit the model: {exc}") from exc
    return model.to(device).eval()


__all__ = ["DEFAULT_WEIGHTS", "ModelConfig", "ShapesDetector", "load_model", "save_weights"]
