"""The encoder backends: which one "auto" picks on a device, int8 quantisation, and bf16/fp16 autocast."""

from pipeline.errors import ConfigError


def resolve_backend(backend: str, device: str) -> str:
    """The backend "auto" stands for on `device`; any other is checked to run there."""
    import torch

    on_gpu = device.startswith("cuda")
    if backend == "auto":
        return "fp16" if on_gpu else "bf16" if torch.ops.mkldnn._is_mkldnn_bf16_supported() else "fp32"
    if (backend == "fp16" and not on_gpu) or (backend == "int8" and on_gpu):
        raise ConfigError(f"encoder backend {backend!r} (--backend, [encoder] backend) runs on "
                          f"{'a GPU' if backend == 'fp16' else 'the CPU'} only, and the device is {device}")
    return backend


def quantize(model: object) -> object:
    """Dynamic int8 quantisation of every Linear layer, per output channel (per-tensor loses too much on MiniLM).

    ST's own ONNX/OpenVINO backends need optimum, whose releases pin transformers below the 5.x this project
    uses; torch's dynamic quantisation needs nothing more. benchmarks/mine_vs_st.py measures what it changes.
    """
    import warnings

    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch announces the move of this API to torchao
        return quantize_dynamic(model, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8)


def autocast(backend: str, device_type: str):
    """The autocast context the backend runs the model under: bf16 or fp16, else a disabled one (fp32, int8)."""
    import torch

    half = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(backend)
    return torch.autocast(device_type, dtype=half or torch.float32, enabled=half is not None)
