"""The contract behind every exercise check: call the student's function on small hand cases and say,
in plain words, what is wrong.

A notebook's check cell is one line, ``lecturekit.checks.item_cosine(item_cosine)``. The check (in
``lecturekit/checks/nbNN.py``) builds a few :class:`Case` objects whose expected values were worked
out by hand (or by the package's implementation) and hands them to :func:`run_check`, which

- calls the function on a fresh copy of each case's inputs, so a student function that edits its
  arguments in place cannot spoil the next case (and is told that it did),
- turns ``NotImplementedError`` into "``item_cosine`` is not written yet ...",
- turns any other exception raised by student code into one sentence naming the case, the
  exception and the student's own line that raised it,
- compares the result with tolerance: wrong type, wrong shape, NaN, "hand case 3 differs at
  [1, 2]: expected 0.5, got 0.25", and
- prints one success line when every case passes.

Failures raise :class:`CheckFailed`, an ``AssertionError`` whose message is the whole story. In
IPython it renders as that message alone (``_render_traceback_``), not a wall of traceback, so a
student sees "CheckFailed: ..." under the cell; pytest and nbgrader still see an ``AssertionError``.
A check never prints the solution: only the hand case's inputs, its expected output and what the
student's function returned.
"""

from __future__ import annotations

import copy
import math
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ANY", "Case", "CheckFailed", "call_student", "differences", "describe", "passed", "require", "run_check"]


class CheckFailed(AssertionError):
    """A check's verdict on a student's function: the message says what is wrong, in plain words."""

    def _render_traceback_(self) -> list[str]:
        # IPython calls this instead of formatting the traceback: the student sees only the message
        # (the frames would all be inside lecturekit.checks and say nothing about their code).
        return [f"CheckFailed: {line}" if i == 0 else f"    {line}" for i, line in enumerate(str(self).splitlines())]


class _Any:
    """Sentinel for a case whose result is judged only by its ``check`` function."""

    def __repr__(self) -> str:
        return "ANY"


ANY: Any = _Any()


@dataclass(frozen=True)
class Case:
    """One hand case: the arguments, the expected result and, optionally, a property to test.

    ``label`` is a few words shown in messages ("two users who rated the same film").
    ``check(got)`` returns ``None`` when the result is fine or a sentence saying what is wrong
    ("the weights do not sum to one"); it runs after the type/shape comparison with ``expected``
    (use ``expected=ANY`` to judge by ``check`` alone).
    """

    args: tuple = ()
    expected: Any = ANY
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""
    check: Callable[[Any], str | None] | None = None


def require(condition: bool, message: str) -> None:
    """Raise :class:`CheckFailed` with ``message`` unless ``condition`` holds (for custom checks)."""
    if not condition:
        raise CheckFailed(message)


def passed(name: str, detail: str) -> None:
    """The success line every check prints: ``item_cosine: all 4 hand cases pass.``"""
    print(f"\N{CHECK MARK} {name}: {detail}")


# ----------------------------------------------------------------------------------------------
# Describing values briefly (messages must stay readable for a 1000-entry tensor)


def _is_tensor(value: Any) -> bool:
    return type(value).__module__.startswith("torch") and hasattr(value, "detach")


def _is_array(value: Any) -> bool:
    return type(value).__module__ == "numpy" and hasattr(value, "shape") and hasattr(value, "dtype")


def _as_numpy(value: Any):
    import numpy as np

    if _is_tensor(value):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def describe(value: Any, limit: int = 8) -> str:
    """A short, readable rendering of a value: small arrays in full, large ones by shape and a head."""
    import numpy as np

    if _is_tensor(value) or _is_array(value):
        array = _as_numpy(value)
        kind = "tensor" if _is_tensor(value) else "array"
        with np.printoptions(precision=4, suppress=True, threshold=limit, edgeitems=3, linewidth=100):
            text = np.array2string(array, separator=", ")
        return f"{kind} of shape {tuple(array.shape)}: {text}" if array.size > 1 else f"{kind} {text}"
    if isinstance(value, float):
        return f"{value:.4g}"
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _expected_got(expected: Any, got: Any) -> str:
    """``"expected 0.25, got 0.3333"``: floats with the fewest digits (at least 4) that tell them apart."""
    if isinstance(expected, float) or isinstance(got, float):
        for digits in range(4, 17):
            want, have = f"{float(expected):.{digits}g}", f"{float(got):.{digits}g}"
            if want != have:
                break
        return f"expected {want}, got {have}"
    return f"expected {describe(expected)}, got {describe(got)}"


def _type_name(value: Any) -> str:
    if _is_tensor(value):
        return "a torch tensor"
    if _is_array(value):
        return "a numpy array"
    if value is None:
        return "None"
    return f"a {type(value).__name__}"


# ----------------------------------------------------------------------------------------------
# Comparing a result with the expected one


def _differences(expected: Any, got: Any, where: str, rtol: float, atol: float) -> str | None:
    import numpy as np

    at = f" at {where}" if where else ""
    if expected is ANY:
        return None
    if got is None and expected is not None:
        return f"returned None{at}: did the function forget its `return`?"
    if _is_tensor(expected) or _is_array(expected):
        if not (_is_tensor(got) or _is_array(got)):
            return f"wrong type{at}: expected {_type_name(expected)}, got {_type_name(got)}"
        want, have = _as_numpy(expected), _as_numpy(got)
        if want.shape != have.shape:
            return f"wrong shape{at}: expected {tuple(want.shape)}, got {tuple(have.shape)}"
        if want.dtype.kind == "b" or have.dtype.kind == "b" or (want.dtype.kind in "iu" and have.dtype.kind in "iu"):
            bad = want != have
        else:
            if have.dtype.kind not in "fciub":
                return f"wrong element type{at}: expected numbers, got {have.dtype}"
            have_f, want_f = have.astype(float), want.astype(float)
            strange = ~np.isfinite(have_f) & np.isfinite(want_f)
            if strange.any():
                first = tuple(int(i) for i in np.argwhere(strange)[0])
                kind = "NaN" if np.isnan(have_f[first]) else "inf"
                return f"the result contains {kind}{at} (first at index {list(first)}): a division by zero?"
            bad = ~np.isclose(have_f, want_f, rtol=rtol, atol=atol, equal_nan=True)
        if bad.any():
            if want.ndim == 0:
                return f"differs{at}: {_expected_got(want.item(), have.item())}"
            first = tuple(int(i) for i in np.argwhere(bad)[0])
            many = f" ({int(bad.sum())} of {bad.size} entries differ)" if bad.sum() > 1 else ""
            index = f"{where}[{', '.join(map(str, first))}]"
            return f"differs at {index}: {_expected_got(want[first].item(), have[first].item())}{many}"
        return None
    if isinstance(expected, bool):
        if not isinstance(got, bool | np.bool_) and not (_is_tensor(got) or _is_array(got)):
            return f"wrong type{at}: expected True or False, got {_type_name(got)}"
        return None if bool(got) == expected else f"differs{at}: expected {expected}, got {bool(got)}"
    if isinstance(expected, int | float) and not isinstance(expected, bool):
        if _is_tensor(got) or _is_array(got):
            array = _as_numpy(got)
            if array.size != 1:
                return f"wrong shape{at}: expected a single number, got shape {tuple(array.shape)}"
            got = array.item()
        if not isinstance(got, int | float | np.number):
            return f"wrong type{at}: expected a number, got {_type_name(got)}"
        if isinstance(expected, int) and isinstance(got, int | np.integer):
            return None if int(got) == expected else f"differs{at}: expected {expected}, got {int(got)}"
        if not math.isfinite(float(got)) and math.isfinite(float(expected)):
            return f"the result is {float(got)}{at}: a division by zero?"
        if math.isclose(float(got), float(expected), rel_tol=rtol, abs_tol=atol):
            return None
        return f"differs{at}: {_expected_got(float(expected), float(got))}"
    if isinstance(expected, Mapping):
        if not isinstance(got, Mapping):
            return f"wrong type{at}: expected a dict, got {_type_name(got)}"
        missing = [k for k in expected if k not in got]
        extra = [k for k in got if k not in expected]
        if missing:
            return f"missing key{'s' if len(missing) > 1 else ''}{at}: {', '.join(map(repr, missing))}"
        if extra:
            return f"unexpected key{'s' if len(extra) > 1 else ''}{at}: {', '.join(map(repr, extra))}"
        for key in expected:
            problem = _differences(expected[key], got[key], f"{where}[{key!r}]", rtol, atol)
            if problem:
                return problem
        return None
    if isinstance(expected, set | frozenset):
        if not isinstance(got, set | frozenset | list | tuple):
            return f"wrong type{at}: expected a set, got {_type_name(got)}"
        got_set = set(got)
        if got_set == expected:
            return None
        missing, extra = sorted(expected - got_set, key=repr), sorted(got_set - expected, key=repr)
        parts = ([f"missing {describe(missing)}"] if missing else []) + ([f"unexpected {describe(extra)}"] if extra else [])
        return f"differs{at}: {'; '.join(parts)}"
    if isinstance(expected, list | tuple):
        if not isinstance(got, list | tuple):
            return f"wrong type{at}: expected a {type(expected).__name__}, got {_type_name(got)}"
        if len(got) != len(expected):
            return f"wrong length{at}: expected {len(expected)} items, got {len(got)}"
        for index, (want, have) in enumerate(zip(expected, got, strict=True)):
            problem = _differences(want, have, f"{where}[{index}]", rtol, atol)
            if problem:
                return problem
        return None
    if got != expected:
        return f"differs{at}: expected {describe(expected)}, got {describe(got)}"
    return None


def differences(expected: Any, got: Any, rtol: float = 1e-5, atol: float = 1e-6) -> str | None:
    """``None`` when ``got`` matches ``expected`` (numbers within tolerance), else what differs, in words.

    Understands numbers, bools, torch tensors, numpy arrays, and lists/tuples/dicts/sets of them.
    """
    return _differences(expected, got, "", rtol, atol)


def _comparable(value: Any) -> bool:
    """Whether :func:`differences` compares ``value`` by content (other objects only by identity)."""
    if value is None or isinstance(value, bool | int | float | str) or _is_tensor(value) or _is_array(value):
        return True
    if isinstance(value, Mapping):
        return all(_comparable(v) for v in value.values())
    if isinstance(value, list | tuple | set | frozenset):
        return all(_comparable(v) for v in value)
    return False


def _changed(before: Any, after: Any) -> bool:
    """Whether the call edited an input in place (exactly; inputs we cannot compare count as unchanged)."""
    if not _comparable(before):
        return False
    return (after is not None) if before is None else _differences(before, after, "", 0.0, 0.0) is not None


# ----------------------------------------------------------------------------------------------
# Calling student code


def _student_line(error: BaseException, function: Callable) -> str:
    """`` (your line 7: `x = a / b`)`` for the deepest frame in the student's code, else ``""``."""
    code = getattr(function, "__code__", None)
    if code is None:
        return ""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == code.co_filename]
    if not frames:
        return ""
    frame = frames[-1]
    source = f": `{frame.line.strip()}`" if frame.line else ""
    relative = frame.lineno - code.co_firstlineno + 1 if frame.lineno else None
    where = f"line {relative} of the function" if relative and relative > 0 else f"line {frame.lineno}"
    return f" ({where}{source})"


def call_student(name: str, function: Callable, args: tuple = (), kwargs: Mapping[str, Any] | None = None,
                 case: str = "") -> Any:  # fmt: skip
    """Call ``function(*args, **kwargs)``; any exception becomes a :class:`CheckFailed` in plain words.

    ``case`` names what was being tried ("hand case 2 (two users)") for the message.
    """
    if not callable(function):
        raise CheckFailed(f"{name}: expected your function, got {_type_name(function)}; pass the function itself, "
                          f"e.g. `{name}` without parentheses")  # fmt: skip
    on = f" on {case}" if case else ""
    try:
        return function(*args, **dict(kwargs or {}))
    except CheckFailed:
        raise
    except NotImplementedError:
        raise CheckFailed(
            f"`{name}` is not written yet: replace `raise NotImplementedError` with your code, "
            "run that cell, then run this check again."
        ) from None
    except Exception as error:  # noqa: BLE001 - student code may raise anything; we translate it
        message = str(error).strip().splitlines()[0] if str(error).strip() else ""
        detail = f": {message}" if message else ""
        raise CheckFailed(
            f"`{name}` raised {type(error).__name__}{on}{detail}{_student_line(error, function)}"
        ) from None


def _case_name(number: int, case: Case) -> str:
    return f"hand case {number}" + (f" ({case.label})" if case.label else "")


def run_check(name: str, function: Callable, cases: Sequence[Case], *, rtol: float = 1e-5, atol: float = 1e-6,
              success: str | None = None) -> None:  # fmt: skip
    """Run ``function`` on each hand case; raise :class:`CheckFailed` at the first problem, else print a line.

    Inputs are deep-copied per case; a function that changes an input in place fails with that
    message. ``success`` replaces the default success line's detail ("all 4 hand cases pass").
    """
    if not cases:
        raise ValueError(f"run_check({name!r}): no cases given")
    for number, case in enumerate(cases, start=1):
        label = _case_name(number, case)
        args, kwargs = copy.deepcopy(tuple(case.args)), copy.deepcopy(dict(case.kwargs))
        got = call_student(name, function, args, kwargs, case=label)
        for index, (before, after) in enumerate(zip(case.args, args, strict=True), start=1):
            if _changed(before, after):
                raise CheckFailed(f"`{name}` changed its argument {index} in place on {label}; "
                                  "work on a copy (e.g. `x.clone()` or `x.copy()`) instead")  # fmt: skip
        problem = _differences(case.expected, got, "", rtol, atol)
        if problem is None and case.check is not None:
            problem = case.check(got)
        if problem:
            # "hand case 3 differs at [1]: ..." reads as a sentence; "wrong shape: ..." needs a colon.
            joiner = " " if problem.startswith(("differs", "returned", "the result")) else ": "
            raise CheckFailed(f"`{name}`: {label}{joiner}{problem}")
    passed(name, success or (f"all {len(cases)} hand cases pass." if len(cases) > 1 else "the hand case passes."))
