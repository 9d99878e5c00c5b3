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
  [1, 2]: your value 0.25", and
- prints one success line when every case passes.

Checks that need the work:

- while a check runs, the package's own version of the step (and library calls that do the whole step)
  are replaced by stand-ins (:func:`stand_ins`, the check's ``forbid`` list): an answer that delegates
  to them fails with "call your own code";
- a failure never shows the expected value of a case (only the student's own value and, where a known
  mistake is recognised, its name), so a lookup table cannot be filled from the messages;
- besides the hand cases, each check runs hidden seeded random cases (:func:`hidden_cases`: shapes and
  parameters varied) against the package's implementation, computed before the stand-ins go in.

A new check adopts all three with one :func:`harden` call beside it (its ``run_check`` call is unchanged).

Failures raise :class:`CheckFailed`, an ``AssertionError`` whose message is the whole story. In
IPython it renders as that message alone (``_render_traceback_``), not a wall of traceback, so a
student sees "CheckFailed: ..." under the cell; pytest and nbgrader still see an ``AssertionError``.
A check never prints the solution or the expected output: only what the student's function returned.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import math
import sys
import textwrap
import traceback
import types
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ANY",
    "HARDENING",
    "Case",
    "CheckFailed",
    "OwnCodeRequired",
    "call_student",
    "describe",
    "differences",
    "harden",
    "hidden_cases",
    "passed",
    "require",
    "run_check",
    "stand_ins",
]

WRAP = 96  # characters per line of a failure as rendered under a cell (nbgrader's feedback page too)


class CheckFailed(AssertionError):
    """A check's verdict on a student's function: the message says what is wrong, in plain words."""

    def _render_traceback_(self) -> list[str]:
        # IPython calls this instead of formatting the traceback: the student sees only the message
        # (the frames would all be inside lecturekit.checks and say nothing about their code).
        # Lines are wrapped: a one-line message of 300 characters would run off the page in Lab's
        # output area and in nbgrader's feedback HTML (a <pre> block that never wraps).
        lines = []
        for i, line in enumerate(str(self).splitlines()):
            first = "CheckFailed: " if i == 0 else "    "
            lines += textwrap.wrap(line, WRAP, initial_indent=first, subsequent_indent="    ") or [first]
        return lines


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
    hidden: bool = False  # a seeded random case: its message names neither inputs nor expected value


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
    """``"your value 0.3333"``: the student's value only (never the expected one, which would let a
    lookup table be filled from the messages), with the fewest digits (at least 4) that tell it from
    the expected value."""
    if isinstance(expected, float) or isinstance(got, float):
        for digits in range(4, 17):
            want, have = f"{float(expected):.{digits}g}", f"{float(got):.{digits}g}"
            if want != have:
                break
        return f"your value {have}"
    return f"your value {describe(got)}"


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
        if (
            want.dtype.kind == "b"
            or have.dtype.kind == "b"
            or (want.dtype.kind in "iu" and have.dtype.kind in "iu")
        ):
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
        return None if bool(got) == expected else f"differs{at}: your value {bool(got)}"
    if isinstance(expected, int | float) and not isinstance(expected, bool):
        if _is_tensor(got) or _is_array(got):
            array = _as_numpy(got)
            if array.size != 1:
                return f"wrong shape{at}: expected a single number, got shape {tuple(array.shape)}"
            got = array.item()
        if not isinstance(got, int | float | np.number):
            return f"wrong type{at}: expected a number, got {_type_name(got)}"
        if isinstance(expected, int) and isinstance(got, int | np.integer):
            return None if int(got) == expected else f"differs{at}: your value {int(got)}"
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
        missing, extra = len(expected - got_set), len(got_set - expected)
        parts = ([f"{missing} item{'s' if missing > 1 else ''} missing"] if missing else []) + (
            [f"{extra} item{'s' if extra > 1 else ''} that should not be there"] if extra else []
        )
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
        return f"differs{at}: {_expected_got(expected, got)}"
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
# Stand-ins: while a check runs, the package's version of the step cannot be called


class OwnCodeRequired(BaseException):
    """Raised by a stand-in; a ``BaseException`` so that ``except Exception`` in an answer cannot hide it."""

    def __init__(self, target: str) -> None:
        super().__init__(target)
        self.target = target


_STAND_IN = """def {name}(*args, **kwargs):
    raise __import__("lecturekit.checks.base", fromlist=["OwnCodeRequired"]).OwnCodeRequired({target!r})
"""
_depth = 0  # stand_ins() nests (run_check -> call_student): only the outermost one patches


def _stand_in(target: str, name: str) -> types.FunctionType:
    """A function that raises :class:`OwnCodeRequired` naming ``target``; it reaches the exception class
    through ``__import__`` so that its code also works when grafted into another module's function."""
    namespace: dict[str, Any] = {}
    exec(compile(_STAND_IN.format(name=name, target=target), f"<stand-in for {target}>", "exec"), namespace)  # noqa: S102
    return namespace[name]


def _resolve(target: str) -> Any:
    """The object a dotted name like ``lecturekit.recsys.metrics.hit_rate`` or ``torch.nn.functional.relu`` names."""
    parts = target.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            found: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for part in parts[cut:]:
            found = getattr(found, part)
        return found
    raise ImportError(f"stand_ins: cannot import {target!r}")


def _swappable(function: Any) -> bool:
    """A plain Python function whose code can be replaced in place (no closure cells to match)."""
    return isinstance(function, types.FunctionType) and not function.__code__.co_freevars


@contextlib.contextmanager
def stand_ins(targets: Sequence[str], function: Callable | None = None) -> Iterator[None]:
    """Replace each dotted ``target`` by a stand-in that raises :class:`OwnCodeRequired` while inside.

    A plain Python function gets the stand-in's code (``__code__``), so every name bound to it fails,
    however it was imported; a class gets stand-ins for its own methods (construction and ``forward``
    of an existing instance fail alike); anything else (a compiled or C function, a decorated one) is
    replaced wherever it is bound: its module, every ``lecturekit`` module, the student function's
    globals and closure. Everything is restored on exit, also after an error.
    """
    global _depth
    if _depth or not targets:
        yield
        return
    undo: list[Callable[[], None]] = []
    by_reference: dict[int, Callable] = {}
    try:
        for target in targets:
            found = _resolve(target)
            name = target.rsplit(".", 1)[-1]
            if _swappable(found):
                original = found.__code__
                found.__code__ = _stand_in(target, name).__code__
                undo.append(lambda f=found, c=original: setattr(f, "__code__", c))
            elif isinstance(found, type):
                for attr, value in list(vars(found).items()):
                    if isinstance(value, types.FunctionType):
                        setattr(found, attr, _stand_in(f"{target}.{attr}", attr))
                        undo.append(lambda cls=found, a=attr, v=value: setattr(cls, a, v))
            else:
                by_reference[id(found)] = _stand_in(target, name)
                wrapped = getattr(found, "__wrapped__", None)
                if _swappable(wrapped):
                    original = wrapped.__code__
                    wrapped.__code__ = _stand_in(target, name).__code__
                    undo.append(lambda f=wrapped, c=original: setattr(f, "__code__", c))
        if by_reference:
            prefixes = tuple({t.split(".")[0] for t in targets} | {"lecturekit"})
            spaces = [
                vars(m) for n, m in list(sys.modules.items()) if n.split(".")[0] in prefixes and m is not None
            ]
            if function is not None and isinstance(getattr(function, "__globals__", None), dict):
                spaces.append(function.__globals__)
            for space in spaces:
                for key, value in list(space.items()):
                    if id(value) in by_reference:
                        space[key] = by_reference[id(value)]
                        undo.append(lambda s=space, k=key, v=value: s.__setitem__(k, v))
            for cell in getattr(function, "__closure__", None) or ():
                try:
                    value = cell.cell_contents
                except ValueError:  # an empty cell
                    continue
                if id(value) in by_reference:
                    cell.cell_contents = by_reference[id(value)]
                    undo.append(lambda c=cell, v=value: setattr(c, "cell_contents", v))
        _depth += 1
        try:
            yield
        finally:
            _depth -= 1
    finally:
        for action in reversed(undo):
            action()


@dataclass(frozen=True)
class Hardening:
    """What makes one check need the work: the stand-ins and the hidden random cases (see :func:`harden`)."""

    forbid: tuple[str, ...]
    reference: Callable | None = None
    draw: Callable[[Any], tuple] | None = None
    count: int = 24  # enough random draws to cover each varied parameter's cases (ties, epsilon, valences)
    transform: Callable[[Any], Any] | None = None
    rtol: float = 1e-5
    atol: float = 1e-6


HARDENING: dict[str, Hardening] = {}


def harden(
    name: str,
    forbid: Sequence[str],
    reference: Callable | None = None,
    draw: Callable[[Any], tuple] | None = None,
    **options: Any,
) -> None:
    """Register check ``name``'s stand-ins and hidden cases; :func:`run_check` and :func:`call_student`
    use them for every call under that name. ``forbid``: dotted names of the package's (and libraries')
    versions of the step; ``reference``/``draw``/``options``: see :func:`hidden_cases`. A check module
    calls it once per check at import::

        harden("hit_at_k", forbid=("lecturekit.recsys.metrics.rank_of_targets", ...),
               reference=_reference_hit_at_k, draw=_draw_hit_at_k)
    """
    if not forbid:
        raise ValueError(f"harden({name!r}): name the package's version of the step in 'forbid'")
    HARDENING[name] = Hardening(tuple(forbid), reference, draw, **options)


def hidden_cases(
    name: str,
    reference: Callable,
    draw: Callable[[Any], tuple],
    count: int = 24,
    transform: Callable[[Any], Any] | None = None,
    rtol: float = 1e-5,
    atol: float = 1e-6,
) -> list[Case]:
    """``count`` seeded random cases whose expected values come from ``reference`` (the package's version).

    ``draw(rng)`` returns ``(args, kwargs, about)``: the inputs, drawn from the numpy generator ``rng``
    (the check's own named stream, so the cases are the same on every run and machine), and a few
    words saying what the case varies ("ties among the scores") -- never its values. ``transform``
    (e.g. ``torch.exp`` for log-probabilities) is applied to both results before a value comparison.
    Call it *before* the stand-ins go in (i.e. outside :func:`run_check`), as the check modules do.
    """
    from lecturekit.seed import numpy_stream

    rng = numpy_stream(0, f"lecturekit.checks/{name}")
    cases = []
    for _ in range(count):
        args, kwargs, about = draw(rng)
        expected = reference(*copy.deepcopy(tuple(args)), **copy.deepcopy(dict(kwargs)))

        def check(got: Any, expected: Any = expected) -> str | None:
            problem = differences(expected, got, rtol=rtol, atol=atol)
            if problem is None or transform is None:
                return problem
            try:
                mine = transform(got)
            except Exception:  # noqa: BLE001 - a result the transform cannot read: the plain verdict stands
                return problem
            return differences(transform(expected), mine, rtol=rtol, atol=atol)

        cases.append(Case(args=tuple(args), kwargs=dict(kwargs), label=about, check=check, hidden=True))
    return cases


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


def call_student(
    name: str,
    function: Callable,
    args: tuple = (),
    kwargs: Mapping[str, Any] | None = None,
    case: str = "",
    forbid: Sequence[str] | None = None,
) -> Any:
    """Call ``function(*args, **kwargs)``; any exception becomes a :class:`CheckFailed` in plain words.

    ``case`` names what was being tried ("hand case 2 (two users)") for the message; ``forbid`` lists
    the dotted names replaced by stand-ins during the call (see :func:`stand_ins`; default: those
    :func:`harden` registered for ``name``).
    """
    if forbid is None:
        forbid = HARDENING[name].forbid if name in HARDENING else ()
    if not callable(function):
        raise CheckFailed(
            f"{name}: expected your function, got {_type_name(function)}; pass the function itself, "
            f"e.g. `{name}` without parentheses"
        )
    on = f" on {case}" if case else ""
    try:
        with stand_ins(forbid, function):
            return function(*args, **dict(kwargs or {}))
    except CheckFailed:
        raise
    except OwnCodeRequired as called:
        raise CheckFailed(
            f"`{name}` calls `{called.target}`, which does this exercise's step for you: call your own code "
            "(write the step yourself; the package's version is there for the cells after the exercise)."
        ) from None
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


def _case_name(number: int, case: Case, hidden_number: int, hidden_total: int) -> str:
    if case.hidden:
        return f"hidden random case {hidden_number} of {hidden_total}" + (
            f" ({case.label})" if case.label else ""
        )
    return f"hand case {number}" + (f" ({case.label})" if case.label else "")


def run_check(
    name: str,
    function: Callable,
    cases: Sequence[Case],
    *,
    rtol: float = 1e-5,
    atol: float = 1e-6,
    success: str | None = None,
    forbid: Sequence[str] | None = None,
) -> None:
    """Run ``function`` on each case; raise :class:`CheckFailed` at the first problem, else print a line.

    Inputs are deep-copied per case; a function that changes an input in place fails with that
    message. ``forbid``: the dotted names of the package's (and libraries') versions of the step,
    replaced by stand-ins while the student's function runs (default: those :func:`harden` registered
    for ``name``, whose hidden random cases are then added too). Hidden cases run after the hand
    cases. ``success`` replaces the default success line's detail.
    """
    if not cases:
        raise ValueError(f"run_check({name!r}): no cases given")
    hand = [c for c in cases if not c.hidden]
    hidden = [c for c in cases if c.hidden]
    hardening = HARDENING.get(name)
    if forbid is None:
        forbid = hardening.forbid if hardening else ()
        if hardening and hardening.reference is not None and hardening.draw is not None and not hidden:
            hidden = hidden_cases(
                name,
                hardening.reference,
                hardening.draw,
                hardening.count,
                hardening.transform,
                hardening.rtol,
                hardening.atol,
            )
    with stand_ins(forbid, function):
        for number, case in enumerate(hand + hidden, start=1):
            label = _case_name(number, case, number - len(hand), len(hidden))
            args, kwargs = copy.deepcopy(tuple(case.args)), copy.deepcopy(dict(case.kwargs))
            got = call_student(name, function, args, kwargs, case=label, forbid=forbid)
            for index, (before, after) in enumerate(zip(case.args, args, strict=True), start=1):
                if _changed(before, after):
                    raise CheckFailed(
                        f"`{name}` changed its argument {index} in place on {label}; "
                        "work on a copy (e.g. `x.clone()` or `x.copy()`) instead"
                    )
            problem = _differences(case.expected, got, "", rtol, atol)
            if problem is None and case.check is not None:
                problem = case.check(got)
            if problem:
                # "hand case 3 differs at [1]: ..." reads as a sentence; "wrong shape: ..." needs a colon.
                joiner = " " if problem.startswith(("differs", "returned", "the result")) else ": "
                raise CheckFailed(f"`{name}`: {label}{joiner}{problem}")
    if success is None:
        counted = f"{len(hand)} hand case{'s' if len(hand) != 1 else ''}"
        success = f"all {counted} pass" + (f", and {len(hidden)} hidden random cases." if hidden else ".")
    passed(name, success)
