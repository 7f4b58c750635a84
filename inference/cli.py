"""``python -m inference IMAGE... [--json] [--device ...] [--conf ...]``"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .device import describe
from .errors import InvalidInputError, ModelInferenceError, ModelLoadError
from .inputs import BRIDGES
from .service import InferenceService

EXIT_INFERENCE, EXIT_INPUT, EXIT_LOAD = 1, 2, 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m inference", description="Detect shapes in images."
    )
    parser.add_argument("images", nargs="+", type=Path, help="image files")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument(
        "--device",
        default=None,
        help="auto, cpu, cuda or cuda:N (default: $INFERENCE_DEVICE or auto)",
    )
    parser.add_argument(
        "--require-gpu", action="store_true", default=None, help="fail unless a GPU is used"
    )
    parser.add_argument("--conf", type=float, default=0.25, help="confidence threshold")
    parser.add_argument("--iou", type=float, default=0.45, help="NMS IoU threshold")
    parser.add_argument("--bridge", choices=BRIDGES, default="numpy", help="host-to-torch path")
    parser.add_argument(
        "--weights", type=Path, default=None, help="weights file (default: shipped)"
    )
    return parser


def _format(record: dict) -> str:
    box = ", ".join(f"{record[k]:.1f}" for k in ("xmin", "ymin", "xmax", "ymax"))
    return f"  {record['name']:<9} {record['confidence']:.3f}  [{box}]"


def main(argv: list = None) -> int:
    args = _parser().parse_args(argv)
    if not 0 <= args.conf <= 1 or not 0 <= args.iou <= 1:
        print("error: --conf and --iou must lie in [0, 1]", file=sys.stderr)
        return EXIT_INPUT
    try:
        service = InferenceService(
            weights=args.weights, device=args.device, conf=args.conf, iou=args.iou,
            bridge=args.bridge, require_gpu=args.require_gpu,
        )  # fmt: skip
    except ModelLoadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_LOAD
    status, documents = 0, []
    for path in args.images:
        try:
            records = service.predict(path)
        except (InvalidInputError, ModelInferenceError) as exc:
            status = max(
                status, EXIT_INPUT if isinstance(exc, InvalidInputError) else EXIT_INFERENCE
            )
            documents.append({"image": str(path), "error": str(exc)})
            print(f"error: {path}: {exc}", file=sys.stderr)
            continue
        documents.append({"image": str(path), "detections": records})
        if not args.json:
            print(f"{path}: {len(records)} detection(s)")
            print("\n".join(_format(r) for r in records) or "  (none)")
    if args.json:
        print(json.dumps({"device": describe(service.device), "results": documents}, indent=2))
    return status
