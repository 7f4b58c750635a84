"""The detection pipeline: inputs -> letterbox -> model -> threshold + NMS -> Detections."""

from __future__ import annotations

import time
from pathlib import Path

import torch
from torch import Tensor

from .boxes import batched_nms
from .device import select_device
from .inputs import DEFAULT_MAX_PIXELS, check_bridge, to_tensors
from .model import load_model
from .results import Detections
from .transform import Letterbox, Placement


class Detector:
    def __init__(
        self,
        weights: Path = None,
        device: str = None,
        conf: float = 0.25,
        iou: float = 0.45,
        max_det: int = 100,
        bridge: str = "numpy",
        max_pixels: int = DEFAULT_MAX_PIXELS,
        require_gpu: bool = None,
    ) -> None:
        if not 0.0 <= conf <= 1.0 or not 0.0 <= iou <= 1.0:
            raise ValueError(f"conf and iou must lie in [0, 1], got conf={conf}, iou={iou}")
        self.bridge = check_bridge(bridge)
        self.conf, self.iou, self.max_det, self.max_pixels = conf, iou, max_det, max_pixels
        self.device = select_device(device, require_gpu)
        start = time.perf_counter()
        self.model = load_model(weights, self.device)
        self.load_ms = (time.perf_counter() - start) * 1000
        self.names = tuple(self.model.config.names)
        self.letterbox = Letterbox(self.model.config.img_size)

    @torch.inference_mode()
    def __call__(self, images) -> Detections:
        clock = [time.perf_counter()]
        tensors = [t.to(self.device) for t in to_tensors(images, self.bridge, self.max_pixels)]
        batch, placements = self.letterbox(tensors)
        clock.append(self._sync())
        boxes, scores, classes = self.model.decode(self.model(batch))
        clock.append(self._sync())
        kept = [self._select(*per_image) for per_image in zip(boxes, scores, classes, placements)]
        clock.append(self._sync())
        stages = ("preprocess", "inference", "postprocess")
        times = {stage: (b - a) * 1000 for stage, a, b in zip(stages, clock, clock[1:])}
        return Detections(kept, self.names, [(p.width, p.height) for p in placements], times)

    def _select(
        self, boxes: Tensor, scores: Tensor, classes: Tensor, placement: Placement
    ) -> Tensor:
        mask = scores > self.conf
        boxes, scores, classes = boxes[mask], scores[mask], classes[mask]
        boxes = self.letterbox.rescale(boxes, placement)
        keep = batched_nms(boxes, scores, classes, self.iou)[: self.max_det]
        return torch.cat(
            (boxes[keep], scores[keep, None], classes[keep, None].to(boxes.dtype)), dim=1
        )

    def _sync(self) -> float:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        return time.perf_counter()
