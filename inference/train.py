"""Train the shapes detector from scratch on generated scenes (CPU, a few minutes).

python -m inference.train --seed 0 --steps 4000 --batch-size 32   # writes the shipped weights
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor

from .inputs import to_tensors
from .model import DEFAULT_WEIGHTS, ModelConfig, ShapesDetector, save_weights
from .shapes import render_scene
from .transform import Letterbox


def make_batch(rng: random.Random, size: int, count: int) -> tuple:
    """Images letterboxed to ``size`` (a third of them not square) and their targets."""
    letterbox = Letterbox(size)
    images, targets = [], []
    for _ in range(count):
        height = size if rng.random() < 0.67 else rng.randint(size * 5 // 8, size)
        width, height = (size, height) if rng.random() < 0.5 else (height, size)
        scene = render_scene(rng, width, height)
        batch, (placement,) = letterbox(to_tensors(scene.image, bridge="native"))
        images.append(batch[0])
        boxes = torch.tensor(scene.boxes) * placement.scale
        boxes += torch.tensor([placement.pad_x, placement.pad_y] * 2)
        targets.append((boxes, torch.tensor(scene.labels)))
    return torch.stack(images), targets


def detection_loss(raw: Tensor, targets: list, config: ModelConfig) -> Tensor:
    """Objectness BCE everywhere; offset, log-size and class losses at each object's cell."""
    n, _, rows, cols = raw.shape
    raw = raw.permute(0, 2, 3, 1)
    obj_target = torch.zeros(n, rows, cols)
    box_loss, cls_loss, positives = raw.new_zeros(()), raw.new_zeros(()), 0
    for i, (boxes, labels) in enumerate(targets):
        centre = (boxes[:, :2] + boxes[:, 2:]) / 2 / config.stride
        cells = centre.floor().long().clamp(0, cols - 1)
        size = (boxes[:, 2:] - boxes[:, :2]) / config.anchor
        pred = raw[i, cells[:, 1], cells[:, 0]]
        obj_target[i, cells[:, 1], cells[:, 0]] = 1.0
        box_loss = box_loss + F.binary_cross_entropy_with_logits(
            pred[:, 0:2], centre - cells, reduction="sum"
        )
        box_loss = box_loss + F.smooth_l1_loss(pred[:, 2:4], size.log(), reduction="sum")
        cls_loss = cls_loss + F.cross_entropy(pred[:, 5:], labels, reduction="sum")
        positives += len(labels)
    obj_loss = F.binary_cross_entropy_with_logits(raw[..., 4], obj_target, reduction="sum")
    return (5 * box_loss + cls_loss + obj_loss) / max(positives, 1)


def train(seed: int, steps: int, batch_size: int, lr: float, log_every: int = 100) -> tuple:
    torch.manual_seed(seed)
    rng = random.Random(seed)
    model = ShapesDetector()
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: 0.5 * (1 + math.cos(math.pi * step / steps))
    )
    model.train()
    start, loss = time.perf_counter(), torch.zeros(())
    for step in range(1, steps + 1):
        images, targets = make_batch(rng, model.config.img_size, batch_size)
        loss = detection_loss(model(images), targets, model.config)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        if log_every and (step % log_every == 0 or step == steps):
            print(
                f"step {step}/{steps} loss {loss.item():.4f} {time.perf_counter() - start:.0f}s",
                flush=True,
            )
    return model.eval(), float(loss.item())


def main(argv: list = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m inference.train", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument(
        "--threads", type=int, default=2, help="torch CPU threads (fixed for reproducibility)"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_WEIGHTS)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    model, loss = train(args.seed, args.steps, args.batch_size, args.lr)
    provenance = {
        "command": "python -m inference.train " + " ".join(sys.argv[1:] if argv is None else argv),
        "seed": args.seed, "steps": args.steps, "batch_size": args.batch_size, "lr": args.lr,
        "threads": args.threads, "torch": str(torch.__version__), "final_loss": round(loss, 4),
    }  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_weights(model, args.out, provenance)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
