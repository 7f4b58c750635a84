"""Inference latency and throughput of the shipped detector, per device and bridge.

    python benchmarks/inference_latency.py [--repeats 20]

Prints a Markdown table: model load time, median latency at batch 1 and 16 on 320x320
images, and throughput, on CPU and (when present) CUDA, for both host-to-torch bridges.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import torch

from inference import InferenceService
from inference.evaluate import held_out_scenes


def median_ms(call, repeats: int) -> float:
    call()  # warm-up
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    images = [s.image for s in held_out_scenes(seed=21, count=16)]
    images = [image.resize((320, 320)) for image in images]
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    cpu = platform.processor() or platform.machine()
    threads, python = torch.get_num_threads(), platform.python_version()
    print(f"torch {torch.__version__}, {threads} threads, {cpu}, python {python}")
    if torch.cuda.is_available():
        print(f"GPU: {torch.cuda.get_device_name(0)}")
    print("| device | bridge | load ms | batch 1 ms | batch 16 ms | images/s (batch 16) |")
    print("|---|---|---|---|---|---|")
    for device in devices:
        for bridge in ("numpy", "native"):
            loads = []
            for _ in range(5):
                service = InferenceService(device=device, bridge=bridge)
                loads.append(service.detector.load_ms)
            one = median_ms(lambda s=service: s.predict(images[0]), args.repeats)
            sixteen = median_ms(lambda s=service: s.predict_batch(images), args.repeats)
            print(
                f"| {device} | {bridge} | {statistics.median(loads):.1f} | {one:.2f} | "
                f"{sixteen:.1f} | {16000 / sixteen:.0f} |"
            )


if __name__ == "__main__":
    main()
