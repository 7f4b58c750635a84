"""Letterbox resize into the model's square input, and the way back for boxes."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from .boxes import clip_boxes

PAD_VALUE = 114 / 255


@dataclass(frozen=True)
class Placement:
    """Where one original image sits inside the letterboxed input."""

    width: int
    height: int
    scale: float
    pad_x: float
    pad_y: float


class Letterbox:
    """Resize keeping aspect ratio, pad to ``size x size``; ``rescale`` maps boxes back."""

    def __init__(self, size: int) -> None:
        self.size = size

    def __call__(self, images: list) -> tuple:
        batch, placements = [], []
        for image in images:
            padded, placement = self._one(image)
            batch.append(padded)
            placements.append(placement)
        return torch.stack(batch), placements

    def _one(self, image: Tensor) -> tuple:
        height, width = image.shape[-2:]
        scale = self.size / max(height, width)
        new_h, new_w = max(1, round(height * scale)), max(1, round(width * scale))
        resized = F.interpolate(
            image[None], size=(new_h, new_w), mode="bilinear", align_corners=False
        )
        pad_x, pad_y = (self.size - new_w) / 2, (self.size - new_h) / 2
        left, top = int(pad_x), int(pad_y)
        padded = F.pad(
            resized[0],
            (left, self.size - new_w - left, top, self.size - new_h - top),
            value=PAD_VALUE,
        )
        return padded, Placement(width, height, scale, float(left), float(top))

    @staticmethod
    def rescale(boxes: Tensor, placement: Placement) -> Tensor:
        """xyxy boxes in letterboxed pixels to clipped boxes in original pixels."""
        offset = boxes.new_tensor([placement.pad_x, placement.pad_y] * 2)
        return clip_boxes((boxes - offset) / placement.scale, placement.width, placement.height)
