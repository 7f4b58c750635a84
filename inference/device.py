"""Pick the device: CUDA when present, else CPU; overridable by argument or environment."""

from __future__ import annotations

import os

import torch

from .errors import DeviceUnavailableError

DEVICE_ENV = "INFERENCE_DEVICE"
REQUIRE_GPU_ENV = "INFERENCE_REQUIRE_GPU"


def _truthy(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def select_device(requested: str = None, require_gpu: bool = None) -> torch.device:
    """``requested``: auto, cpu, cuda or cuda:N; defaults to $INFERENCE_DEVICE, then auto."""
    requested = (requested or os.environ.get(DEVICE_ENV) or "auto").strip().lower()
    if require_gpu is None:
        require_gpu = _truthy(os.environ.get(REQUIRE_GPU_ENV, ""))
    if requested == "auto":
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        try:
            device = torch.device(requested)
        except RuntimeError as exc:
            raise DeviceUnavailableError(f"unknown device {requested!r}") from exc
        if device.type not in ("cpu", "cuda"):
            raise DeviceUnavailableError(
                f"unsupported device type {device.type!r}; use cpu or cuda"
            )
        if device.type == "cuda" and not torch.cuda.is_available():
            raise DeviceUnavailableError(
                f"device {requested!r} requested but CUDA is not available"
            )
        if device.type == "cuda" and (device.index or 0) >= torch.cuda.device_count():
            raise DeviceUnavailableError(
                f"device {requested!r} requested but only "
                f"{torch.cuda.device_count()} GPU(s) present"
            )
    if require_gpu and device.type != "cuda":
        reason = "CUDA is not available" if not torch.cuda.is_available() else f"device is {device}"
        raise DeviceUnavailableError(f"a GPU is required but {reason}")
    return device


def describe(device: torch.device) -> str:
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return str(device)
