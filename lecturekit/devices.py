"""The ``device`` argument of every training and inference entry point: ``"cpu"``, ``"cuda"`` or ``"auto"``.

The course and CI run on CPU (the default everywhere). ``"auto"`` picks CUDA when this PyTorch build
sees a GPU and the CPU otherwise, so the same notebook runs unchanged on a laptop and on a GPU box;
``"cuda"`` (or ``"cuda:N"``) asked for on a machine without one is refused up front with the reason,
instead of failing deep inside the first matrix product.
"""

from __future__ import annotations

import copy

import torch

DEVICES = ("cpu", "cuda", "cuda:N", "auto")


def resolve_device(device: str | torch.device = "cpu") -> torch.device:
    """The ``torch.device`` that ``device`` names (``"auto"``: CUDA when available, else CPU).

    Raises ``ValueError`` naming the argument for an unknown name, or for CUDA when this machine or
    this PyTorch build has none (or fewer GPUs than the index asks for).
    """
    if isinstance(device, torch.device):
        name = str(device)
    elif isinstance(device, str):
        name = device.strip().lower()
    else:
        raise ValueError(f"argument 'device' must be one of {DEVICES} or a torch.device, got {device!r}")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(name)
    except RuntimeError:
        raise ValueError(
            f"argument 'device' must be one of {DEVICES} or a torch.device, got {device!r}"
        ) from None
    if resolved.type == "cpu":
        return torch.device("cpu")
    if resolved.type != "cuda":
        raise ValueError(f"argument 'device' must be one of {DEVICES} or a torch.device, got {device!r}")
    if not torch.cuda.is_available():
        build = "a CPU-only build" if torch.version.cuda is None else f"built for CUDA {torch.version.cuda}"
        raise ValueError(
            f"argument 'device' is {device!r} but CUDA is not available here (torch {torch.__version__}, {build}, "
            "no usable GPU); pass device='cpu', or device='auto' to use a GPU only where there is one"
        )
    if resolved.index is not None and resolved.index >= torch.cuda.device_count():
        raise ValueError(
            f"argument 'device' is {device!r} but this machine has {torch.cuda.device_count()} CUDA device(s)"
        )
    return resolved


def module_device(module: torch.nn.Module) -> torch.device:
    """Where ``module``'s parameters live (the device its forward pass runs on)."""
    return next(module.parameters()).device


def on_device(module: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """``module`` itself when its parameters live on ``device``, else a copy moved there (``module`` stays put):
    for sampling and inference entry points that must not move the caller's model. ``"cuda"`` means the current
    CUDA device, so it is compared as such (a model on ``cuda:0`` is not copied)."""
    target = torch.empty(0, device=device).device  # "cuda" -> "cuda:<current>"
    return module if module_device(module) == target else copy.deepcopy(module).to(target)


def check_cpu_generator(generator: torch.Generator | None) -> None:
    """Random draws stay on the CPU (so a GPU run draws what a CPU run draws): refuse a generator of another device."""
    if generator is not None and generator.device.type != "cpu":
        raise ValueError(
            f"argument 'generator' must be a CPU torch.Generator (draws stay on the CPU), got one on "
            f"{generator.device}"
        )


def cpu_bernoulli(probs: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """``Bernoulli(probs)`` drawn on the CPU (the same random words on any device), returned on ``probs``' device."""
    return torch.bernoulli(probs.cpu(), generator=generator).to(probs.device)
