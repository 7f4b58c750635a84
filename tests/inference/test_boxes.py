import torch

from inference.boxes import (
    batched_nms,
    box_area,
    box_iou,
    clip_boxes,
    nms,
    xywh_to_xyxy,
    xyxy_to_xywh,
)


def test_xyxy_xywh_round_trip():
    boxes = torch.tensor([[10.0, 20.0, 50.0, 80.0], [0.0, 0.0, 1.0, 3.0]])
    assert torch.equal(
        xyxy_to_xywh(boxes), torch.tensor([[30.0, 50.0, 40.0, 60.0], [0.5, 1.5, 1.0, 3.0]])
    )
    assert torch.allclose(xywh_to_xyxy(xyxy_to_xywh(boxes)), boxes)


def test_box_iou_and_area():
    a = torch.tensor([[0.0, 0.0, 10.0, 10.0]])
    b = torch.tensor([[5.0, 0.0, 15.0, 10.0], [20.0, 20.0, 30.0, 30.0], [0.0, 0.0, 10.0, 10.0]])
    assert torch.allclose(box_iou(a, b), torch.tensor([[50 / 150, 0.0, 1.0]]))
    assert torch.equal(
        box_area(torch.tensor([[0.0, 0.0, 2.0, 3.0], [5.0, 5.0, 4.0, 4.0]])),
        torch.tensor([6.0, 0.0]),
    )


def test_nms_keeps_best_of_overlapping_and_disjoint_boxes():
    boxes = torch.tensor([[0.0, 0, 10, 10], [1.0, 1, 11, 11], [50.0, 50, 60, 60], [0.5, 0, 10, 10]])
    scores = torch.tensor([0.8, 0.9, 0.7, 0.3])
    assert nms(boxes, scores, 0.5).tolist() == [1, 2]
    assert nms(boxes, scores, 1.0).tolist() == [1, 0, 2, 3]
    assert nms(boxes[:0], scores[:0], 0.5).numel() == 0


def test_batched_nms_does_not_suppress_across_classes():
    boxes = torch.tensor([[0.0, 0, 10, 10], [1.0, 1, 11, 11], [1.0, 1, 11, 11]])
    scores = torch.tensor([0.9, 0.8, 0.7])
    assert sorted(batched_nms(boxes, scores, torch.tensor([0, 1, 0]), 0.5).tolist()) == [0, 1]
    assert batched_nms(boxes[:0], scores[:0], torch.tensor([], dtype=torch.long), 0.5).numel() == 0


def test_clip_boxes():
    boxes = torch.tensor([[-5.0, 3.0, 120.0, 90.0]])
    assert clip_boxes(boxes, 100, 80).tolist() == [[0.0, 3.0, 100.0, 80.0]]
