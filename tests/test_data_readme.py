"""data/README.md documents every file the course reads from an installed wheel, with its SHA-256."""

from __future__ import annotations

import hashlib
import importlib.metadata
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "data" / "README.md"
ROW = re.compile(r"^\| `([A-Za-z0-9_.\-]+)==([^`]+)` \| `([^`]+)` \| (\d+) \| `([0-9a-f]{64})` \|$", re.M)


def _table() -> dict[str, tuple[str, str, int, str]]:
    """``{file in the package: (distribution, version, bytes, sha256)}`` from the checksum table."""
    rows = {
        path: (dist, version, int(size), digest)
        for dist, version, path, size, digest in ROW.findall(README.read_text())
    }
    assert rows, f"no checksum rows found in {README}"
    return rows


def _files_the_course_reads() -> dict[str, Path]:
    """Each wheel file, located by the same lecturekit function the notebooks use."""
    from lecturekit.data.movielens import recbole_folder
    from lecturekit.generation.gcpn.data import moses_path, nci_path

    found = {}
    try:
        movielens = recbole_folder()
    except Exception:  # noqa: BLE001 - recbole missing: its rows are checked by the pin test only
        movielens = None
    if movielens is not None:
        for name in ("ml-100k.inter", "ml-100k.item"):
            found[f"recbole/dataset_example/ml-100k/{name}"] = movielens / name
    for split in ("train", "test", "test_scaffolds"):
        try:
            found[f"moses/dataset/data/{split}.csv.gz"] = moses_path(split)
        except FileNotFoundError:
            pass
    found["rdkit/Data/NCI/first_5K.smi"] = nci_path()
    return found


def test_every_file_read_from_a_wheel_is_in_the_table_with_its_checksum():
    table = _table()
    files = _files_the_course_reads()
    if len(files) < len(table):
        pytest.skip(
            "recbole or molsets is not installed (make setup installs them); their rows are not checked"
        )
    assert set(files) == set(table), "data/README.md's checksum table and the files the course reads differ"
    for relative, path in files.items():
        dist, version, size, digest = table[relative]
        installed = importlib.metadata.version(dist)
        assert installed == version, f"{dist} {installed} is installed but data/README.md documents {version}"
        data = path.read_bytes()
        assert len(data) == size, f"{path}: {len(data)} bytes, data/README.md says {size}"
        assert hashlib.sha256(data).hexdigest() == digest, f"{path}: SHA-256 differs from data/README.md"


def test_the_table_pins_match_the_requirements():
    pins = {}
    for name in ("requirements.txt", "requirements-data.txt"):
        for line in (ROOT / name).read_text().split():
            package, _, version = line.partition("==")
            pins[package.lower()] = version
    for dist, version, _, _ in _table().values():
        assert pins.get(dist.lower()) == version, (
            f"data/README.md documents {dist}=={version}; the pin says {pins.get(dist.lower())}"
        )


def test_no_dataset_file_is_committed_under_data():
    tracked = [
        p
        for p in (ROOT / "data").rglob("*")
        if p.is_file() and "local" not in p.relative_to(ROOT / "data").parts
    ]
    assert [p.name for p in tracked] == ["README.md"], tracked
    assert "/data/local/" in (ROOT / ".gitignore").read_text()
