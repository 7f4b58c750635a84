"""Typed errors raised by the inference service."""

from __future__ import annotations


class InferenceError(Exception):
    """Base class of every error the service raises on purpose."""


class ModelLoadError(InferenceError):
    """The weights file is missing, unreadable or does not fit the model."""


class DeviceUnavailableError(ModelLoadError):
    """The requested device (or a required GPU) is not present."""


class InvalidInputError(InferenceError, ValueError):
    """The caller's image cannot be used: corrupt, empty, too large, wrong shape or type."""


class ModelInferenceError(InferenceError, RuntimeError):
    """The model failed while processing a valid input; chained to the original exception."""
