"""Pure box functions on ``(N, 4)`` tensors. No numpy, no torchvision."""

from __future__ import annotations

import torch
from torch import Tensor


def xyxy_to_xywh(boxes: Tensor) -> Tensor:
    """Corners ``(x1, y1, x2, y2)`` to centre and size ``(cx, cy, w, h)``."""
    x1, y1, x2, y2 = boxes.unbind(-1)
    return torch.stack(((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1), dim=-1)


def xywh_to_xyxy(boxes: Tensor) -> Tensor:
    """Centre and size ``(cx, cy, w, h)`` to corners ``(x1, y1, x2, y2)``."""
    cx, cy, w, h = boxes.unbind(-1)
    return torch.stack((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), dim=-1)


def box_area(boxes: Tensor) -> Tensor:
    return (boxes[:, 2] - boxes[:, 0]).clamp(min=0) * (boxes[:, 3] - boxes[:, 1]).clamp(min=0)


def box_iou(a: Tensor, b: Tensor) -> Tensor:
    """Pairwise IoU of ``a (N, 4)`` and ``b (M, 4)`` in xyxy, shaped ``(N, M)``."""
    top_left = torch.max(a[:, None, :2], b[None, :, :2])
    bottom_right = torch.min(a[:, None, 2:], b[None, :, 2:])
    inter = (bottom_right - top_left).clamp(min=0).prod(dim=2)
    union = box_area(a)[:, None] + box_area(b)[None, :] - inter
    return inter / union.clamp(min=1e-9)


def nms(boxes: Tensor, scores: Tensor, iou_threshold: float) -> Tensor:
    """Greedy non-maximum suppression; indices of kept boxes, highest score first."""
    order = scores.argsort(descending=True)
    if order.numel() == 0:
        return order
    suppressed = box_iou(boxes[order], boxes[order]) > iou_threshold
    keep = torch.ones(order.numel(), dtype=torch.bool, device=boxes.device)
    for i in range(order.numel()):
        if keep[i]:
            keep[i + 1 :] &= ~suppressed[i, i + 1 :]
    return order[keep]


def batched_nms(boxes: Tensor, scores: Tensor, classes: Tensor, iou_threshold: float) -> Tensor:
    """Class-aware NMS: boxes of different classes never suppress each other."""
    if boxes.numel() == 0:
        return torch.empty(0, dtype=torch.long, device=boxes.device)
    span = boxes.max() - boxes.min() + 1
    offsets = classes.to(boxes.dtype)[:, None] * span
    return nms(boxes + offsets, scores, iou_threshold)


def clip_boxes(boxes: Tensor, width: int, height: int) -> Tensor:
    """Clamp xyxy boxes to the image rectangle."""
    limits = boxes.new_tensor([width, height, width, height])
    return torch.min(boxes.clamp(min=0), limits)
