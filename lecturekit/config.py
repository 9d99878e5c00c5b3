"""Run profiles: the one place that decides every size (epochs, nodes, walks) in the course.

The profile comes from the ``LECTUREKIT_PROFILE`` environment variable
(``quick`` | ``course`` | ``full``). When it is unset, ``CI`` being set means ``quick``;
otherwise the default is ``course``.

* ``quick``  -- CI: seconds per notebook, only checks that everything runs.
* ``course`` -- the default: minutes per notebook on a 2-core laptop, meaningful results.
* ``full``   -- paper-scale settings (hours; a GPU helps but is never required).

Every notebook's first code cell calls :func:`get_profile` and :func:`sizes` for its section.
Each section below is owned by one notebook; add a key to all three profiles at once.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

PROFILES: tuple[str, ...] = ("quick", "course", "full")
DEFAULT_PROFILE = "course"

# section -> profile -> sizes. Keep the three profiles' key sets identical (a test checks).
_SIZES: dict[str, dict[str, dict[str, Any]]] = {
    # notebooks/02_pinsage.ipynb (filled in by the PinSage work)
    "pinsage": {
        "quick": {
            "num_pins": 2000, "num_seeds": 1, "test_pairs": 300, "num_walks": 30, "walk_length": 2,
            "restart_prob": 0.5, "top_t": 10, "t_values": [5, 10], "hidden_dim": 32, "epochs": 2,
            "steps_per_epoch": 8, "batch_size": 64, "num_negatives": 64, "margin": 0.1, "lr": 3e-3,
            "num_workers": 0, "pixie_rounds": 2, "ml_epochs": 1, "ml_steps_per_epoch": 5,
            "bench_sizes": [2000],
        },
        "course": {
            "num_pins": 20000, "num_seeds": 3, "test_pairs": 1000, "num_walks": 100, "walk_length": 2,
            "restart_prob": 0.5, "top_t": 20, "t_values": [10, 20, 50], "hidden_dim": 64, "epochs": 10,
            "steps_per_epoch": 40, "batch_size": 128, "num_negatives": 128, "margin": 0.1, "lr": 3e-3,
            "num_workers": 1, "pixie_rounds": 4, "ml_epochs": 4, "ml_steps_per_epoch": 30,
            "bench_sizes": [10000, 100000],
        },
        "full": {
            "num_pins": 100000, "num_seeds": 5, "test_pairs": 5000, "num_walks": 200, "walk_length": 3,
            "restart_prob": 0.5, "top_t": 50, "t_values": [10, 20, 50], "hidden_dim": 128, "epochs": 10,
            "steps_per_epoch": 200, "batch_size": 512, "num_negatives": 500, "margin": 0.1, "lr": 1e-3,
            "num_workers": 1, "pixie_rounds": 8, "ml_epochs": 10, "ml_steps_per_epoch": 100,
            "bench_sizes": [10000, 100000, 1000000],
        },
    },
}


def get_profile(profile: str | None = None) -> str:
    """Return the active profile name.

    An explicit ``profile`` wins; then ``LECTUREKIT_PROFILE``; then ``quick`` if ``CI`` is set;
    then ``course``. Raises ``ValueError`` naming the source of an unknown value.
    """
    if profile is not None:
        source, value = "argument 'profile'", profile
    elif os.environ.get("LECTUREKIT_PROFILE"):
        source, value = "environment variable LECTUREKIT_PROFILE", os.environ["LECTUREKIT_PROFILE"]
    elif os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        return "quick"
    else:
        return DEFAULT_PROFILE
    value = value.strip().lower()
    if value not in PROFILES:
        raise ValueError(f"{source} is {value!r}; expected one of {', '.join(PROFILES)}")
    return value


def sections() -> list[str]:
    """Names of all size sections (one per notebook)."""
    return list(_SIZES)


def sizes(section: str, profile: str | None = None) -> Mapping[str, Any]:
    """Sizes of ``section`` (e.g. ``"pinsage"``) under the active profile, read-only.

    Used by every notebook's first code cell.
    """
    if section not in _SIZES:
        raise KeyError(f"unknown size section {section!r}; known: {', '.join(_SIZES)}")
    return MappingProxyType(dict(_SIZES[section][get_profile(profile)]))
