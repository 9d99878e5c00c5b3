"""Shared checks that turn bad input files into clear errors naming the file and column."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd


class DataFormatError(ValueError):
    """A data file exists but its content is not what the loader expects."""


def require_file(path: str | Path, what: str) -> Path:
    """Return ``path`` as a ``Path`` or raise ``FileNotFoundError`` saying which file is missing."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"{what}: file not found: {path}")
    return path


def require_columns(frame: pd.DataFrame, columns: Iterable[str], path: str | Path) -> None:
    """Raise ``DataFormatError`` naming the file and every missing column."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataFormatError(
            f"{path}: missing column(s) {', '.join(map(repr, missing))}; found {', '.join(map(repr, frame.columns))}"
        )


def read_table(path: Path, **kwargs) -> pd.DataFrame:
    """``pandas.read_csv`` as strings, with an empty file reported as a ``DataFormatError`` naming it."""
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, **kwargs)
    except pd.errors.EmptyDataError:
        raise DataFormatError(f"{path}: the file is empty") from None


def require_rows(frame: pd.DataFrame, path: str | Path) -> None:
    if len(frame) == 0:
        raise DataFormatError(f"{path}: no data rows")


def integer_column(frame: pd.DataFrame, column: str, path: str | Path) -> pd.Series:
    """The column as int64, or ``DataFormatError`` naming file, column and the first bad value."""
    series = frame[column]
    numeric = pd.to_numeric(series, errors="coerce")
    bad = numeric.isna() | (numeric != numeric.round())
    if bool(bad.any()):
        first = int(bad.to_numpy().argmax())
        raise DataFormatError(
            f"{path}: column {column!r} must hold integer ids; row {first + 1} has {series.iloc[first]!r}"
        )
    return numeric.astype("int64")


def float_column(frame: pd.DataFrame, column: str, path: str | Path) -> pd.Series:
    """The column as float64, or ``DataFormatError`` naming file, column and the first bad value."""
    series = frame[column]
    numeric = pd.to_numeric(series, errors="coerce")
    if bool(numeric.isna().any()):
        first = int(numeric.isna().to_numpy().argmax())
        raise DataFormatError(f"{path}: column {column!r} must be numeric; row {first + 1} has {series.iloc[first]!r}")
    return numeric.astype("float64")
