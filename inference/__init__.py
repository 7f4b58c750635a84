"""A small real object detector (shapes) served the way production services serve models."""

from .detector import Detector
from .errors import (
    DeviceUnavailableError,
    InferenceError,
    InvalidInputError,
    ModelInferenceError,
    ModelLoadError,
)
from .results import Detections
from .service import InferenceService

__all__ = [
    "Detections",
    "Detector",
    "DeviceUnavailableError",
    "InferenceError",
    "InferenceService",
    "InvalidInputError",
    "ModelInferenceError",
    "ModelLoadError",
]
