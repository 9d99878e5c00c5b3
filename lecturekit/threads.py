"""Torch intra-op threads, set for the duration of a block."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


@contextmanager
def torch_threads(num_threads: int | None) -> Iterator[None]:
    """Temporarily ``torch.set_num_threads(num_threads)``; restored afterwards. ``None`` changes nothing.

    The course's models are small and latency-bound: on a shared 2-core laptop one thread is several
    times faster than two (measured ~10x under load), so training loops of notebooks 03 and 05 use one.
    """
    previous = torch.get_num_threads()
    if num_threads is not None:
        torch.set_num_threads(max(1, num_threads))
    try:
        yield
    finally:
        torch.set_num_threads(previous)
