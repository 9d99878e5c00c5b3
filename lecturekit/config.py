"""Run profiles: which of each application's three configs (quick, course, full) is active.

The profile comes from the ``LECTUREKIT_PROFILE`` environment variable
(``quick`` | ``course`` | ``full``). When it is unset, ``CI`` being set means ``quick``;
otherwise the default is ``course``.

* ``quick``  -- CI: seconds per notebook, only checks that everything runs.
* ``course`` -- the default: minutes per notebook on a 2-core laptop, meaningful results.
* ``full``   -- paper-scale settings (hours; a GPU helps but is never required).

The sizes themselves live in each application's frozen config (``PROFILES`` in its
``experiment`` module, see :mod:`lecturekit.studies.contract`); ``PROFILES.get()`` calls
:func:`get_profile`. Used by every notebook.
"""

from __future__ import annotations

import os

PROFILES: tuple[str, ...] = ("quick", "course", "full")
DEFAULT_PROFILE = "course"


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
