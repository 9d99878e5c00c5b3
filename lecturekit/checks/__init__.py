"""Exercise checks for the course notebooks: ``lecturekit.checks.<name>(student_function)``.

Each notebook's checks live in ``lecturekit/checks/nbNN.py`` and are listed in that module's
``__all__``; this package re-exports all of them, so a check cell never needs to know which module
holds its check. ``lecturekit.checks.base`` holds the shared machinery (:class:`CheckFailed`,
:func:`run_check`, :class:`Case`, and ``harden``: the stand-ins for the package's version of a step
and the hidden random cases that make every check need the student's own work). Two notebooks
exporting the same name is a mistake and fails at import, naming both modules.
"""

from __future__ import annotations

from importlib import import_module

from lecturekit.checks.base import (
    ANY,
    Case,
    CheckFailed,
    call_student,
    describe,
    differences,
    passed,
    require,
    run_check,
)

NOTEBOOK_MODULES = ("nb01", "nb02", "nb03", "nb04", "nb05", "nb06")

__all__ = [
    "ANY",
    "Case",
    "CheckFailed",
    "call_student",
    "describe",
    "differences",
    "passed",
    "require",
    "run_check",
]
_owner: dict[str, str] = dict.fromkeys(__all__, "base")


def _export(module_name: str) -> None:
    module = import_module(f"{__name__}.{module_name}")
    for name in getattr(module, "__all__", ()):
        if name in _owner:
            raise ImportError(
                f"lecturekit.checks: {name!r} is exported by both {_owner[name]} and {module_name}"
            )
        _owner[name] = module_name
        globals()[name] = getattr(module, name)
        __all__.append(name)


for _module_name in NOTEBOOK_MODULES:
    _export(_module_name)
del _module_name
