"""The service facade: ``predict(image) -> list[dict]`` with typed errors."""

from __future__ import annotations

from .detector import Detector
from .errors import InferenceError, ModelInferenceError


class InferenceService:
    """Wraps a ``Detector``; any failure past input validation is a ``ModelInferenceError``.

    With the default ``bridge="numpy"`` results go through ``pandas().xyxy[i].to_dict("records")``
    exactly as the seed's service did; ``bridge="native"`` avoids the numpy bridge throughout.
    """

    def __init__(self, **options) -> None:
        self.detector = Detector(**options)

    @property
    def device(self):
        return self.detector.device

    def predict(self, image) -> list:
        """Detections of one image as records: xmin, ymin, xmax, ymax, confidence, class, name."""
        return self.predict_batch([image])[0]

    def predict_batch(self, images) -> list:
        try:
            results = self.detector(list(images))
            if self.detector.bridge == "native":
                return results.tolist()
            frames = results.pandas().xyxy
            return [frame.to_dict("records") for frame in frames]
        except InferenceError:
            raise
        except Exception as exc:
            raise ModelInferenceError(f"Inference failed: {exc}") from exc
