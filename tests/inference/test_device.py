import pytest
import torch

from inference.device import DEVICE_ENV, REQUIRE_GPU_ENV, describe, select_device
from inference.errors import DeviceUnavailableError

HAS_CUDA = torch.cuda.is_available()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    monkeypatch.delenv(DEVICE_ENV, raising=False)
    monkeypatch.delenv(REQUIRE_GPU_ENV, raising=False)


def test_auto_prefers_cuda_when_present():
    assert select_device().type == ("cuda" if HAS_CUDA else "cpu")
    assert select_device("auto") == select_device(None)


def test_explicit_cpu_and_environment_override(monkeypatch):
    assert select_device("cpu") == torch.device("cpu")
    monkeypatch.setenv(DEVICE_ENV, "cpu")
    assert select_device() == torch.device("cpu")
    assert describe(torch.device("cpu")) == "cpu"


def test_unknown_and_unsupported_devices():
    with pytest.raises(DeviceUnavailableError, match="unknown device"):
        select_device("gpu-please")
    with pytest.raises(DeviceUnavailableError, match="unsupported device type"):
        select_device("meta")


@pytest.mark.skipif(HAS_CUDA, reason="checks the no-GPU errors")
def test_cuda_requested_without_gpu(monkeypatch):
    with pytest.raises(DeviceUnavailableError, match="CUDA is not available"):
        select_device("cuda")
    with pytest.raises(DeviceUnavailableError, match="a GPU is required"):
        select_device(require_gpu=True)
    monkeypatch.setenv(REQUIRE_GPU_ENV, "yes")
    with pytest.raises(DeviceUnavailableError, match="a GPU is required"):
        select_device("auto")


@pytest.mark.skipif(not HAS_CUDA, reason="needs a GPU")
def test_gpu_selected_and_required():
    assert select_device("cuda:0", require_gpu=True).type == "cuda"
    assert torch.cuda.get_device_name(0) in describe(torch.device("cuda:0"))
    with pytest.raises(DeviceUnavailableError, match="a GPU is required but device is cpu"):
        select_device("cpu", require_gpu=True)


def test_gpu_index_out_of_range(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(DeviceUnavailableError, match="only 1 GPU"):
        select_device("cuda:3")
