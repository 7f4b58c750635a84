"""Detection results in the style of YOLOv5's ``Detections``."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from .boxes import xyxy_to_xywh

XYXY_COLUMNS = ["xmin", "ymin", "xmax", "ymax", "confidence", "class"]
XYWH_COLUMNS = ["xcenter", "ycenter", "width", "height", "confidence", "class"]


@dataclass
class PandasDetections:
    """Per-image DataFrames for each box format, as ``Detections.pandas()`` returns them."""

    xyxy: list
    xyxyn: list
    xywh: list
    xywhn: list


class Detections:
    """Boxes per image as ``(n, 6)`` tensors ``[*box, confidence, class]`` in several formats.

    ``xyxy`` and ``xywh`` are in original-image pixels; the ``n`` variants are normalised by
    each image's width and height. ``times`` holds per-stage wall times in milliseconds.
    """

    def __init__(self, xyxy: list, names: tuple, sizes: list, times: dict) -> None:
        self.xyxy = xyxy
        self.names = tuple(names)
        self.sizes = sizes  # [(width, height), ...]
        self.times = times
        gains = [
            torch.tensor([w, h, w, h, 1.0, 1.0], device=d.device) for d, (w, h) in zip(xyxy, sizes)
        ]
        self.xywh = [torch.cat((xyxy_to_xywh(d[:, :4]), d[:, 4:]), dim=1) for d in xyxy]
        self.xyxyn = [d / g for d, g in zip(self.xyxy, gains)]
        self.xywhn = [d / g for d, g in zip(self.xywh, gains)]

    def __len__(self) -> int:
        return len(self.xyxy)

    def __repr__(self) -> str:
        counts = ", ".join(str(len(d)) for d in self.xyxy)
        return f"Detections(images={len(self)}, boxes=[{counts}], names={self.names})"

    def pandas(self) -> PandasDetections:
        """DataFrames with columns xmin..class plus name, through ``Tensor.numpy()``."""
        return PandasDetections(
            *(
                [self._frame(d, columns) for d in getattr(self, kind)]
                for kind, columns in (
                    ("xyxy", XYXY_COLUMNS),
                    ("xyxyn", XYXY_COLUMNS),
                    ("xywh", XYWH_COLUMNS),
                    ("xywhn", XYWH_COLUMNS),
                )  # fmt: skip
            )
        )

    def _frame(self, boxes: Tensor, columns: list):
        import pandas as pd

        frame = pd.DataFrame(boxes.detach().cpu().numpy(), columns=columns)
        frame["class"] = frame["class"].astype("int64")
        frame["name"] = [self.names[c] for c in frame["class"]]
        return frame

    def tolist(self) -> list:
        """Per image, the records ``pandas().xyxy[i].to_dict("records")`` gives, without numpy."""
        return [
            [
                dict(zip(XYXY_COLUMNS, row[:5] + [int(row[5])]), name=self.names[int(row[5])])
                for row in boxes.detach().cpu().tolist()
            ]
            for boxes in self.xyxy
        ]
