"""Seeds and named random streams: the floor every run draws its randomness from.

Each random choice of a run draws from its own named stream (``torch_stream(seed, "split")``,
``numpy_stream(seed, "walks")``), so adding a draw to one stage never shifts another stage's numbers;
:func:`seeded` pins the global generators that layer initialisation still uses and restores them after.
Imports nothing from the rest of the package.
"""

from __future__ import annotations

import contextlib
import hashlib
import random
from collections.abc import Iterator

import numpy as np
import torch


def derive_seed(seed: int, stream: str) -> int:
    """A 63-bit seed for the named random ``stream`` of run ``seed`` (independent across names)."""
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"argument 'seed' must be a non-negative int, got {seed!r}")
    digest = hashlib.sha256(f"{seed}/{stream}".encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


def torch_stream(seed: int, stream: str) -> torch.Generator:
    """A fresh ``torch.Generator`` for ``stream`` of run ``seed``."""
    return torch.Generator().manual_seed(derive_seed(seed, stream))


def numpy_stream(seed: int, stream: str) -> np.random.Generator:
    """A fresh ``numpy`` generator for ``stream`` of run ``seed``."""
    return np.random.default_rng(derive_seed(seed, stream))


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Seed Python, NumPy and torch's global generators for one run, and restore them afterwards.

    Code that still draws from the global generators (``torch.randn``, layer initialisation) then
    gives the same result whichever cells ran before, and leaves no trace for the cells after.
    """
    py_state, np_state = random.getstate(), np.random.get_state()
    with torch.random.fork_rng(devices=[]):
        random.seed(derive_seed(seed, "python"))
        np.random.seed(derive_seed(seed, "numpy") % 2**32)
        torch.manual_seed(derive_seed(seed, "torch"))
        try:
            yield
        finally:
            random.setstate(py_state)
            np.random.set_state(np_state)
