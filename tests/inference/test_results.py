import pytest
import torch

from inference.results import XYWH_COLUMNS, XYXY_COLUMNS, Detections

NAMES = ("circle", "square", "triangle")


@pytest.fixture
def detections():
    boxes = torch.tensor([[10.0, 20.0, 30.0, 60.0, 0.9, 2.0], [0.0, 0.0, 100.0, 50.0, 0.5, 0.0]])
    return Detections([boxes, boxes[:0]], NAMES, [(100, 50), (10, 10)], {"inference": 1.0})


def test_formats_and_normalisation(detections):
    assert len(detections) == 2
    assert detections.xywh[0][0].tolist() == [20.0, 40.0, 20.0, 40.0, pytest.approx(0.9), 2.0]
    assert detections.xyxyn[0][1].tolist()[:4] == [0.0, 0.0, 1.0, 1.0]
    assert detections.xywhn[0][0].tolist()[:4] == pytest.approx([0.2, 0.8, 0.2, 0.8])
    assert detections.xyxyn[1].shape == (0, 6)
    assert (
        repr(detections)
        == "Detections(images=2, boxes=[2, 0], names=('circle', 'square', 'triangle'))"
    )


def test_tolist_records_without_numpy(detections):
    records = detections.tolist()
    assert records[1] == []
    assert records[0][0] == {
        "xmin": 10.0, "ymin": 20.0, "xmax": 30.0, "ymax": 60.0,
        "confidence": pytest.approx(0.9), "class": 2, "name": "triangle",
    }  # fmt: skip


@pytest.mark.bridge
def test_pandas_frames_match_tolist(detections):
    frames = detections.pandas()
    assert list(frames.xyxy[0].columns) == XYXY_COLUMNS + ["name"]
    assert list(frames.xywhn[0].columns) == XYWH_COLUMNS + ["name"]
    assert frames.xyxy[0].to_dict("records") == detections.tolist()[0]
    assert frames.xyxy[1].empty and list(frames.xyxyn[1].columns) == XYXY_COLUMNS + ["name"]
    assert frames.xywh[0]["name"].tolist() == ["triangle", "circle"]
