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
    # notebooks/01_recsys_basics.ipynb
    "recsys_basics": {
        "quick": {"bpr_epochs": 3, "bpr_dim": 32, "bpr_batch_size": 4096, "num_seeds": 1},
        "course": {"bpr_epochs": 30, "bpr_dim": 64, "bpr_batch_size": 2048, "num_seeds": 3},
        "full": {"bpr_epochs": 200, "bpr_dim": 64, "bpr_batch_size": 2048, "num_seeds": 5},
    },
    # notebooks/02_pinsage.ipynb (filled in by the PinSage work)
    "pinsage": {
        "quick": {},
        "course": {},
        "full": {},
    },
    # notebooks/03_hard_negatives.ipynb
    "hard_negatives": {
        "quick": {},
        "course": {},
        "full": {},
    },
    # notebooks/04_decagon.ipynb
    "decagon": {
        "quick": {},
        "course": {},
        "full": {},
    },
    # notebooks/05_graphrnn.ipynb
    "graphrnn": {
        "quick": {},
        "course": {},
        "full": {},
    },
    # notebooks/06_gcpn.ipynb
    "gcpn": {
        "quick": {},
        "course": {},
        "full": {},
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
