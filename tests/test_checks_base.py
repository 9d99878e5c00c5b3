"""The exercise-check contract (lecturekit.checks.base): plain-words failures, never the solution."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import lecturekit.checks as checks
from lecturekit.checks.base import ANY, Case, CheckFailed, call_student, differences, run_check


def _message(function, cases, **kwargs) -> str:
    with pytest.raises(CheckFailed) as caught:
        run_check("normalise", function, cases, **kwargs)
    return str(caught.value)


CASES = [
    Case(args=(torch.tensor([1.0, 3.0]),), expected=torch.tensor([0.25, 0.75]), label="two entries"),
    Case(args=(torch.tensor([2.0, 2.0, 4.0]),), expected=torch.tensor([0.25, 0.25, 0.5])),
]


def test_a_correct_function_passes_with_one_success_line(capsys):
    run_check("normalise", lambda x: x / x.sum(), CASES)
    out = capsys.readouterr().out.strip()
    assert out.splitlines() == ["\N{CHECK MARK} normalise: all 2 hand cases pass."]


def test_check_failed_is_an_assertion_error_and_renders_as_its_message_alone():
    error = CheckFailed("hand case 1 differs\nsecond line")
    assert isinstance(error, AssertionError)
    assert error._render_traceback_() == ["CheckFailed: hand case 1 differs", "    second line"]


def test_not_implemented_says_not_written_yet():
    def normalise(x):
        raise NotImplementedError

    message = _message(normalise, CASES)
    assert message.startswith("`normalise` is not written yet")
    assert "raise NotImplementedError" in message


def test_an_exception_in_student_code_names_the_case_the_error_and_the_line():
    def normalise(x):
        total = x.sum()
        return x / total.reshape(5)

    message = _message(normalise, CASES)
    assert message.startswith("`normalise` raised RuntimeError on hand case 1 (two entries)")
    assert "line 3 of the function: `return x / total.reshape(5)`" in message
    assert "Traceback" not in message


def test_wrong_values_report_the_case_index_and_got_never_the_expected_value():
    message = _message(lambda x: x / x.max(), CASES)
    assert (
        message
        == "`normalise`: hand case 1 (two entries) differs at [0]: your value 0.3333 (2 of 2 entries differ)"
    )


def test_the_second_case_is_named_when_only_it_fails():
    def normalise(x):
        return x / x.sum() if len(x) == 2 else x / 10

    assert "hand case 2 differs at [0]: your value 0.2" in _message(normalise, CASES)


def test_wrong_shape_type_none_and_nan_are_said_plainly():
    assert "hand case 1 (two entries): wrong shape: expected (2,), got (1, 2)" in _message(
        lambda x: (x / x.sum()).unsqueeze(0), CASES
    )
    assert "wrong type: expected a torch tensor, got a list" in _message(
        lambda x: (x / x.sum()).tolist(), CASES
    )
    assert "returned None: did the function forget its `return`?" in _message(lambda x: None, CASES)
    assert "contains inf (first at index [0]): a division by zero?" in _message(
        lambda x: x / torch.zeros(()), CASES
    )
    assert "contains NaN" in _message(lambda x: x * torch.tensor(float("nan")), CASES)


def test_tolerance_accepts_float_noise_but_not_real_differences():
    run_check("normalise", lambda x: x / x.sum() + 1e-8, CASES)
    assert "differs" in _message(lambda x: x / x.sum() + 1e-3, CASES)
    assert "differs" not in str(differences(0.5, 0.5005, rtol=1e-2))


def test_editing_an_input_in_place_is_reported():
    def normalise(x):
        x /= x.sum()
        return x

    assert "changed its argument 1 in place on hand case 1" in _message(normalise, CASES)


def test_property_check_runs_after_the_comparison():
    cases = [
        Case(args=(3,), expected=ANY, check=lambda got: None if got > 0 else "the score must be positive")
    ]
    run_check("score", lambda n: n, cases)
    with pytest.raises(CheckFailed, match="hand case 1: the score must be positive"):
        run_check("score", lambda n: -n, cases)


def test_differences_understands_containers_numbers_and_arrays():
    assert differences({"a": [1, 2.0]}, {"a": [1, 2.0000001]}) is None
    assert differences({"a": [1, 2]}, {"a": [1, 3]}) == "differs at ['a'][1]: your value 3"
    assert differences({"a": 1}, {"b": 1}) == "missing key: 'a'"
    assert differences((1, 2), (1, 2, 3)) == "wrong length: expected 2 items, got 3"
    assert differences({1, 2}, [2, 1]) is None
    assert differences({1, 2}, {1, 3}) == "differs: 1 item missing; 1 item that should not be there"
    assert differences(np.array([[1, 2], [3, 4]]), torch.tensor([[1, 2], [3, 5]])) == (
        "differs at [1, 1]: your value 5"
    )
    assert differences(True, False) == "differs: your value False"
    assert differences(0.5, torch.tensor(0.5)) is None
    assert (
        differences(0.5, torch.tensor([0.5, 0.5])) == "wrong shape: expected a single number, got shape (2,)"
    )
    assert differences(2, "2") == "wrong type: expected a number, got a str"


def test_large_tensors_are_summarised_not_dumped():
    message = _message(
        lambda x: torch.zeros(1000), [Case(args=(torch.ones(1000),), expected=torch.ones(1000))]
    )
    assert len(message) < 300
    assert "1000 of 1000 entries differ" in message


def test_passing_a_call_result_instead_of_the_function_is_explained():
    with pytest.raises(CheckFailed, match="pass the function itself"):
        call_student("normalise", 0.5)


def test_no_cases_is_a_mistake_in_the_check():
    with pytest.raises(ValueError, match="no cases"):
        run_check("normalise", lambda x: x, [])


def test_every_notebook_module_exists_and_names_are_re_exported_once():
    assert checks.NOTEBOOK_MODULES == ("nb01", "nb02", "nb03", "nb04", "nb05", "nb06")
    assert len(checks.__all__) == len(set(checks.__all__))
    for name in checks.__all__:
        assert callable(getattr(checks, name)) or name == "ANY"


def test_a_name_exported_by_two_notebooks_fails_at_import(monkeypatch):
    import lecturekit.checks.nb01 as nb01
    import lecturekit.checks.nb02 as nb02

    monkeypatch.setattr(nb01, "__all__", ["same_name"], raising=False)
    monkeypatch.setattr(nb01, "same_name", lambda f: None, raising=False)
    monkeypatch.setattr(nb02, "__all__", ["same_name"], raising=False)
    monkeypatch.setattr(nb02, "same_name", lambda f: None, raising=False)
    monkeypatch.setattr(checks, "_owner", dict.fromkeys(["run_check"], "base"))
    monkeypatch.setattr(checks, "__all__", list(checks.__all__))
    checks._export("nb01")
    with pytest.raises(ImportError, match="'same_name' is exported by both nb01 and nb02"):
        checks._export("nb02")
    monkeypatch.delattr(checks, "same_name")


def test_ipython_shows_only_the_message(tmp_path):
    """Under IPython, a failing check prints 'CheckFailed: ...' and no traceback frames."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    shell = InteractiveShell.instance()
    with capture_output() as captured:
        shell.run_cell(
            "from lecturekit.checks import run_check, Case\n"
            "run_check('f', lambda x: x + 1, [Case(args=(1,), expected=1)])"
        )
    text = captured.stdout + captured.stderr
    assert "CheckFailed: `f`: hand case 1 differs: your value 2" in text
    assert "Traceback" not in text and "run_check(" not in text.split("CheckFailed")[1]
