"""Every config field is varied by a profile, a notebook, a test, a benchmark or an ablation (issue #22).

A field nothing varies is a named module-level constant with its reason instead. What counts as a config
dataclass and as a variation is defined in :mod:`config_fields` (``tests/config_fields.py``): profiles are
compared as objects; calls (constructors and ``dataclasses.replace``) are read with ``ast`` and attributed to
a class through imports and simple type inference. **A ``replace`` call the checker cannot attribute counts
for every config class that has a field of that keyword's name**, so the check errs towards "varied".
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from config_fields import ROOT, audit, call_variations, key, profile_variations

from lecturekit.studies.contract import Profiles


def source_of(cls: type) -> str:
    return Path(sys.modules[cls.__module__].__file__).resolve().relative_to(ROOT).as_posix()


@pytest.fixture(scope="module")
def package_audit():
    return audit()


def test_every_config_field_is_varied_or_a_named_constant(package_audit):
    unvaried = [
        f"{source_of(package_audit.classes[k])}: {k.rpartition('.')[2]}.{name}"
        for k, name in package_audit.unvaried()
    ]
    assert not unvaried, (
        "nothing varies these config fields (no profile, notebook, test, benchmark or ablation sets them): "
        "vary them where a profile or ablation needs it, or make each a module-level constant with its reason:\n  "
        + "\n  ".join(unvaried)
    )


def test_the_audit_sees_the_course_configs(package_audit):
    """The check is not vacuous: it finds the notebooks' configs and the methods' configs."""
    names = {k.rpartition(".")[2] for k in package_audit.classes}
    assert {
        "RecsysExperiment",
        "BPRConfig",
        "DecagonExperiment",
        "PlantedWorld",
        "GraphRNNExperiment",
    } <= names
    assert {"GCPNExperiment", "PinSageExperiment", "PinSageConfig", "EnvConfig"} <= names
    assert len(package_audit.fields()) > 100
    assert not any(k.rpartition(".")[2].endswith("Result") for k in package_audit.classes)


@dataclass(frozen=True)
class _InnerConfig:
    width: int = 4
    depth: int = 2


@dataclass(frozen=True)
class _FakeConfig:
    used: int = 1
    unused: int = 2
    same_as_default: int = 3
    by_replace: int = 4
    inner: _InnerConfig = _InnerConfig()


def test_an_unvaried_fake_field_is_reported():
    fake, inner = key(_FakeConfig), key(_InnerConfig)
    classes = {fake: _FakeConfig, inner: _InnerConfig}
    code = (
        f"from {_FakeConfig.__module__} import _FakeConfig\n"
        "from dataclasses import replace\n"
        "base = _FakeConfig(used=5, same_as_default=3)\n"
        "other = replace(base, by_replace=7)\n"
        "deeper = replace(base.inner, width=8)\n"
        "unknown = replace(something_else(), depth=9)\n"  # unattributable: counts for every class with `depth`
        "with pytest.raises(ValueError):\n"
        "    _FakeConfig(unused=-1)\n"  # a refusal test varies nothing
    )
    varied = call_variations(classes, {}, [("fake.py", code, None)])
    assert (fake, "used") in varied and (fake, "by_replace") in varied and (inner, "width") in varied
    assert varied[(inner, "depth")] == {"fake.py (by field name)"}
    assert (fake, "unused") not in varied
    assert (fake, "same_as_default") not in varied  # a literal equal to the default varies nothing


def test_profiles_are_compared_through_nested_configs():
    course = _FakeConfig()
    profiles = Profiles(quick=replace(course, inner=_InnerConfig(width=1)), course=course, full=course)
    module = type(sys)("lecturekit.studies._fake")
    module.PROFILES = profiles
    varied = profile_variations([module])
    assert varied == {(key(_InnerConfig), "width")}
