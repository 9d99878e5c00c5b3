"""Integer ids taken from callers: refused, never truncated, when they are not integers.

``torch.as_tensor(x, dtype=torch.long)`` turns ``2.7`` into ``2`` and ``True`` into ``1`` without a
word, so a float id column (a pandas merge that introduced NaN, a division) would silently name
other items. :func:`as_ids` is the one conversion the public functions that take ids use.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor


def as_ids(value: Any, name: str) -> Tensor:
    """``value`` (tensor, array or nested list of integers) as a long tensor.

    A floating, complex or boolean dtype is a ``TypeError`` naming the argument (an empty input
    is accepted whatever its dtype: ``[]`` becomes an empty long tensor).
    """
    try:
        tensor = torch.as_tensor(value)
    except (TypeError, ValueError, RuntimeError) as err:
        raise TypeError(
            f"argument {name!r} must hold integer ids, got {type(value).__name__} ({err})"
        ) from None
    if tensor.numel() and (tensor.dtype == torch.bool or tensor.is_floating_point() or tensor.is_complex()):
        raise TypeError(
            f"argument {name!r} must hold integer ids, got dtype {tensor.dtype} (ids are never rounded or truncated)"
        )
    return tensor.long()
