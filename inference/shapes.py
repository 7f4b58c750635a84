"""Synthetic shapes scenes: circles, squares and triangles on noisy backgrounds.

Pure Python and PIL, seeded by ``random.Random``, so a scene is the same on every
platform and never touches numpy (it must work where the numpy bridge is broken).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from PIL import Image, ImageDraw, ImageFilter

NAMES = ("circle", "square", "triangle")
MIN_FRACTION, MAX_FRACTION = 0.11, 0.38


@dataclass
class Scene:
    image: Image.Image
    boxes: list = field(default_factory=list)  # [(x1, y1, x2, y2), ...] in pixels
    labels: list = field(default_factory=list)  # class indices into NAMES


def _colour(rng: random.Random) -> tuple:
    return tuple(rng.randrange(256) for _ in range(3))


def _contrasting(rng: random.Random, background: tuple) -> tuple:
    while True:
        colour = _colour(rng)
        if sum(abs(a - b) for a, b in zip(colour, background)) > 180:
            return colour


def _background(rng: random.Random, width: int, height: int) -> tuple:
    base = _colour(rng)
    n = width * height
    noise = Image.frombytes("L", (width, height), rng.getrandbits(8 * n).to_bytes(n, "little"))
    noise = noise.filter(ImageFilter.GaussianBlur(0.8)).convert("RGB")
    image = Image.blend(Image.new("RGB", (width, height), base), noise, rng.uniform(0.15, 0.35))
    return image, base


def _overlaps(box: tuple, others: list, margin: float) -> bool:
    x1, y1, x2, y2 = box
    return any(
        x1 < b[2] + margin and b[0] < x2 + margin and y1 < b[3] + margin and b[1] < y2 + margin
        for b in others
    )


def _draw(draw: ImageDraw.ImageDraw, label: int, box: tuple, colour: tuple) -> None:
    x1, y1, x2, y2 = box
    if NAMES[label] == "circle":
        draw.ellipse(box, fill=colour)
    elif NAMES[label] == "square":
        draw.rectangle(box, fill=colour)
    else:
        draw.polygon([((x1 + x2) / 2, y1), (x2, y2), (x1, y2)], fill=colour)


def render_scene(
    rng: random.Random, width: int = 128, height: int = 128, max_objects: int = 4
) -> Scene:
    """One image with 1..max_objects non-overlapping shapes and their boxes."""
    image, base = _background(rng, width, height)
    draw = ImageDraw.Draw(image)
    scene = Scene(image)
    short = min(width, height)
    for _ in range(rng.randint(1, max_objects)):
        for _attempt in range(20):
            side = rng.uniform(MIN_FRACTION, MAX_FRACTION) * short
            x1, y1 = rng.uniform(0, width - side - 1), rng.uniform(0, height - side - 1)
            box = (x1, y1, x1 + side, y1 + side)
            if not _overlaps(box, scene.boxes, margin=0.04 * short):
                label = rng.randrange(len(NAMES))
                _draw(draw, label, box, _contrasting(rng, base))
                scene.boxes.append(box)
                scene.labels.append(label)
                break
    return scene


def make_scenes(count: int, seed: int, width: int = 128, height: int = 128) -> list:
    rng = random.Random(seed)
    return [render_scene(rng, width, height) for _ in range(count)]
