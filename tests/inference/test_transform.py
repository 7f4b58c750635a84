import torch

from inference.transform import PAD_VALUE, Letterbox, Placement


def test_letterbox_keeps_aspect_and_pads_centrally():
    batch, (placement,) = Letterbox(128)([torch.ones(3, 50, 100)])
    assert batch.shape == (1, 3, 128, 128)
    assert placement == Placement(width=100, height=50, scale=1.28, pad_x=0.0, pad_y=32.0)
    assert torch.all(batch[0, :, :32] == PAD_VALUE) and torch.all(batch[0, :, 96:] == PAD_VALUE)
    assert torch.allclose(batch[0, :, 32:96], torch.ones(3, 64, 128))


def test_rescale_maps_boxes_back_and_clips():
    _, (placement,) = Letterbox(128)([torch.ones(3, 50, 100)])
    boxes = torch.tensor([[12.8, 32.0 + 12.8, 64.0, 96.0], [-10.0, 0.0, 200.0, 140.0]])
    back = Letterbox.rescale(boxes, placement)
    assert torch.allclose(back[0], torch.tensor([10.0, 10.0, 50.0, 50.0]))
    assert back[1].tolist() == [0.0, 0.0, 100.0, 50.0]


def test_tiny_and_tall_images():
    batch, placements = Letterbox(64)([torch.rand(3, 1, 1), torch.rand(3, 300, 20)])
    assert batch.shape == (2, 3, 64, 64)
    assert placements[1].height == 300 and placements[1].pad_y == 0.0
