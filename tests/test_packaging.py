"""Packaging: every runtime import is a declared dependency, and the package installs and imports as a wheel."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "lecturekit"


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_top_levels() -> dict[str, str]:
    """Top-level names imported anywhere in ``lecturekit/`` (also inside functions) -> one file importing it."""
    found: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.partition(".")[0], str(path.relative_to(ROOT)))
    return found


def declared_distributions() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = list(project["dependencies"]) + list(
        project.get("optional-dependencies", {}).get("classroom", [])
    )
    return {_canonical(re.split(r"[<>=!~;\[ ]", spec, maxsplit=1)[0]) for spec in specs}


def test_every_runtime_import_is_declared():
    distributions = importlib.metadata.packages_distributions()
    declared = declared_distributions()
    missing = []
    for name, where in sorted(imported_top_levels().items()):
        if name == "lecturekit" or name in sys.stdlib_module_names:
            continue
        providers = {_canonical(d) for d in distributions.get(name, [])}
        if not providers & declared:
            missing.append(
                f"{name} (imported in {where}; provided by {sorted(providers) or 'nothing installed'})"
            )
    assert not missing, f"pyproject.toml does not declare: {missing}"


def test_every_declared_dependency_is_pinned_in_requirements():
    pinned = {
        _canonical(line.split("==")[0])
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if "==" in line and not line.lstrip().startswith("#")
    }
    assert declared_distributions() <= pinned, sorted(declared_distributions() - pinned)


@pytest.mark.timeout(600)
def test_wheel_installs_without_deps_and_every_module_imports(tmp_path):
    """``pip install --no-deps .`` into a fresh venv that sees the pinned requirements; import every module."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # The pinned requirements come from the environment running the tests (without this project on its path).
    outer = [p for p in sys.path if p.endswith("site-packages")]
    (Path(site) / "pinned_requirements.pth").write_text("\n".join(outer) + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            site,
            str(ROOT),
        ],
        check=True,
        cwd=tmp_path,
    )
    modules = sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for p in PACKAGE.rglob("*.py")
    )
    script = (
        "import importlib, sys\n"
        "import lecturekit\n"
        f"assert lecturekit.__file__.startswith({site!r}), lecturekit.__file__\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(len(sys.modules))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [str(python), "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
