import random

import pytest
import torch

from inference.detector import Detector
from inference.evaluate import average_precision, evaluate, held_out_scenes, mean_average_precision
from inference.evaluate import main as evaluate_main
from inference.model import ModelConfig, load_model
from inference.train import detection_loss, make_batch
from inference.train import main as train_main


def test_average_precision_envelope():
    assert average_precision([1.0], [1.0]) == 1.0
    assert average_precision([0.5, 0.5, 1.0], [1.0, 0.5, 2 / 3]) == pytest.approx(0.5 + 0.5 * 2 / 3)


def test_mean_average_precision_counts_misses_and_false_positives():
    truths = [(torch.tensor([[0.0, 0, 10, 10], [20.0, 20, 30, 30]]), torch.tensor([0, 1]))]
    perfect = [torch.tensor([[0.0, 0, 10, 10, 0.9, 0], [20.0, 20, 30, 30, 0.8, 1]])]
    assert mean_average_precision(perfect, truths, 3) == (1.0, [1.0, 1.0, None])
    wrong_class = [torch.tensor([[0.0, 0, 10, 10, 0.9, 1], [20.0, 20, 30, 30, 0.8, 1]])]
    assert mean_average_precision(wrong_class, truths, 3)[1][:2] == [0.0, 0.5]
    duplicate = [torch.tensor([[0.0, 0, 10, 10, 0.9, 0], [0.0, 0, 10, 10, 0.95, 0]])]
    assert mean_average_precision(duplicate, truths, 2)[1][0] == 1.0
    assert mean_average_precision([torch.zeros(0, 6)], truths, 2)[0] == 0.0


def test_loss_decreases_on_a_fixed_batch():
    torch.manual_seed(0)
    from inference.model import ShapesDetector

    model, config = ShapesDetector(ModelConfig(img_size=64)), ModelConfig(img_size=64)
    images, targets = make_batch(random.Random(0), 64, 4)
    assert images.shape == (4, 3, 64, 64)
    assert all(len(boxes) == len(labels) for boxes, labels in targets)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(15):
        loss = detection_loss(model(images), targets, config)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] * 0.7


def test_training_command_writes_loadable_weights(tmp_path, capsys):
    out = tmp_path / "w.pt"
    assert (
        train_main(["--steps", "2", "--batch-size", "2", "--threads", "1", "--out", str(out)]) == 0
    )
    provenance = torch.load(str(out), weights_only=True)["provenance"]
    assert (
        provenance["command"]
        == f"python -m inference.train --steps 2 --batch-size 2 --threads 1 --out {out}"
    )
    assert load_model(out).config.img_size == 128
    assert "step 2/2" in capsys.readouterr().out


def test_shipped_model_reaches_the_map_bar():
    score, per_class = evaluate(
        Detector(conf=0.001, bridge="native"), held_out_scenes(seed=1, count=60)
    )
    assert score >= 0.8 and all(ap >= 0.7 for ap in per_class)


def test_evaluate_command(capsys):
    assert evaluate_main(["--count", "8", "--seed", "3", "--min-map", "0.5"]) == 0
    assert evaluate_main(["--count", "4", "--seed", "3", "--min-map", "1.01"]) == 1
    assert "mAP@0.5" in capsys.readouterr().out
