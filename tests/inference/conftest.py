from __future__ import annotations

import io

import pytest
import torch

from inference import InferenceService
from inference.evaluate import held_out_scenes
from inference.shapes import make_scenes


@pytest.fixture(scope="session")
def scenes():
    """Held-out scenes (seed 7, never used in training), 128x128."""
    return make_scenes(8, seed=7)


@pytest.fixture(scope="session")
def mixed_scenes():
    return held_out_scenes(seed=11, count=24)


@pytest.fixture(scope="session")
def bridge_service():
    return InferenceService()


@pytest.fixture(scope="session")
def native_service():
    return InferenceService(bridge="native")


@pytest.fixture
def png_bytes(scenes):
    buffer = io.BytesIO()
    scenes[0].image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def png_file(tmp_path, png_bytes):
    path = tmp_path / "scene.png"
    path.write_bytes(png_bytes)
    return path


def iou(a, b) -> float:
    from inference.boxes import box_iou

    return float(box_iou(torch.tensor([a]), torch.tensor([b]))[0, 0])


def matches(records: list, scene, min_iou: float = 0.5) -> int:
    """How many of the scene's objects are found with the right class and IoU >= min_iou."""
    found = 0
    for box, label in zip(scene.boxes, scene.labels):
        found += any(
            r["class"] == label
            and iou([r["xmin"], r["ymin"], r["xmax"], r["ymax"]], box) >= min_iou
            for r in records
        )
    return found
