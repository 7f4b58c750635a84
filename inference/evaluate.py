"""mAP@0.5 of the detector on held-out generated scenes.

python -m inference.evaluate --seed 1 --count 500
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import torch

from .boxes import box_iou
from .detector import Detector
from .shapes import NAMES, render_scene


def average_precision(recalls: list, precisions: list) -> float:
    """Area under the precision envelope (all-point interpolation, as in VOC 2010+)."""
    recalls, precisions = [0.0, *recalls, 1.0], [1.0, *precisions, 0.0]
    for i in range(len(precisions) - 2, -1, -1):
        precisions[i] = max(precisions[i], precisions[i + 1])
    return sum((recalls[i + 1] - recalls[i]) * precisions[i + 1] for i in range(len(recalls) - 1))


def mean_average_precision(
    predictions: list, truths: list, num_classes: int, iou: float = 0.5
) -> tuple:
    """``predictions``: per image ``(n, 6)`` tensors; ``truths``: per image ``(boxes, labels)``.

    Returns ``(mAP, [AP per class])``; a class with no ground truth is left out of the mean.
    """
    per_class = []
    for cls in range(num_classes):
        scored, total = [], 0
        for pred, (gt_boxes, gt_labels) in zip(predictions, truths):
            gt = gt_boxes[gt_labels == cls]
            total += len(gt)
            pred = pred[pred[:, 5] == cls]
            pred = pred[pred[:, 4].argsort(descending=True)]
            matched = torch.zeros(len(gt), dtype=torch.bool)
            overlaps = box_iou(pred[:, :4], gt) if len(gt) else torch.zeros(len(pred), 0)
            for row, score in zip(overlaps, pred[:, 4].tolist()):
                candidates = (row >= iou) & ~matched
                hit = bool(candidates.any())
                if hit:
                    matched[int(torch.where(candidates, row, torch.tensor(-1.0)).argmax())] = True
                scored.append((score, hit))
        if total == 0:
            per_class.append(None)
            continue
        scored.sort(key=lambda item: -item[0])
        true_positives, recalls, precisions = 0, [], []
        for rank, (_, hit) in enumerate(scored, start=1):
            true_positives += hit
            recalls.append(true_positives / total)
            precisions.append(true_positives / rank)
        per_class.append(average_precision(recalls, precisions))
    present = [ap for ap in per_class if ap is not None]
    return (sum(present) / len(present) if present else 0.0), per_class


def held_out_scenes(seed: int, count: int) -> list:
    """Scenes of mixed sizes (96..400 px a side), so letterboxing is exercised too."""
    rng = random.Random(seed)
    return [render_scene(rng, rng.randint(96, 400), rng.randint(96, 400)) for _ in range(count)]


def evaluate(detector: Detector, scenes: list, batch_size: int = 32) -> tuple:
    predictions = []
    for start in range(0, len(scenes), batch_size):
        chunk = scenes[start : start + batch_size]
        predictions += [d.cpu() for d in detector([s.image for s in chunk]).xyxy]
    truths = [(torch.tensor(s.boxes).reshape(-1, 4), torch.tensor(s.labels)) for s in scenes]
    return mean_average_precision(predictions, truths, len(detector.names))


def main(argv: list = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m inference.evaluate", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--seed", type=int, default=1, help="scene seed (training used 0)")
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--weights", type=Path, default=None)
    parser.add_argument("--device", default=None)
    parser.add_argument("--min-map", type=float, default=None, help="exit 1 below this mAP")
    args = parser.parse_args(argv)
    detector = Detector(args.weights, args.device, conf=0.001, bridge="native")
    score, per_class = evaluate(detector, held_out_scenes(args.seed, args.count))
    for name, ap in zip(NAMES, per_class):
        print(f"AP@0.5 {name:<9} {'n/a' if ap is None else f'{ap:.4f}'}")
    print(f"mAP@0.5 {score:.4f} on {args.count} held-out scenes (seed {args.seed})")
    return 1 if args.min_map is not None and score < args.min_map else 0


if __name__ == "__main__":
    raise SystemExit(main())
