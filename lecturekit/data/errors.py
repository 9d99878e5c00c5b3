"""Shared reading and checking of delimited data files: every bad input is an error naming the file,
and the 1-based file line (counting the header) where a row is at fault.

The loaders of every dataset build on three pieces:

* :func:`read_table` reads a delimited text file -- plain or gzip (``.gz``) -- strictly: the
  bytes must decode in the stated encoding (a bad byte is reported with its line), every row must
  have exactly as many fields as the header (ragged rows are reported with their line), and a
  file named ``.gz`` must be intact gzip data. It returns a :class:`Table`: the cells as strings
  plus the file line of each row.
* :func:`integer_column` / :func:`float_column` parse one column strictly from its text. Ids are
  decimal integers inside int64 (``7.0``, ``1e3``, `` 12`` and a 25-digit id are refused, never
  rounded, wrapped to negative numbers or merged with another id); numbers must be finite
  (``nan``, ``inf`` and empty cells are refused).
* :func:`require_rows` / :func:`require_nonempty` turn "nothing left" into an error saying what
  was read or filtered.

Example::

    table = read_table(path, sep="\\t", names=("user_id", "item_id", "rating", "timestamp"))
    users = integer_column(table, "user_id")      # pandas int64 Series, index = table rows
    table.at_row(5)                                 # "u.data, line 6"

Used by the MovieLens and interaction-CSV loaders (notebooks 01-03) and meant for every other loader.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

_INTEGER = re.compile(r"-?[0-9]+")
# A finite decimal number as written in data files: 4, -3.5, .5, 2e-3 (no spaces, nan or inf).
_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


_SEPARATORS = {"\t": "tab", ",": "comma", ";": "semicolon", " ": "space"}


class DataFormatError(ValueError):
    """A data file exists but its content is not what the loader expects (the message names the file)."""


def require_file(path: str | Path, what: str) -> Path:
    """Return ``path`` as a ``Path`` or raise ``FileNotFoundError`` saying which file is missing."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"{what}: file not found: {path}")
    return path


def read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when its name ends in ``.gz``.

    A ``.gz`` file that is not gzip data, or whose gzip stream is corrupt or cut short, is a
    :class:`DataFormatError` naming it (never read as if it were plain text).
    """
    raw = path.read_bytes()
    if path.suffix.lower() != ".gz":
        return raw
    if raw[:2] != b"\x1f\x8b":
        raise DataFormatError(
            f"{path}: the file is named .gz but is not gzip data (it starts with {raw[:8]!r})"
        )
    try:
        return gzip.decompress(raw)
    except (gzip.BadGzipFile, EOFError, zlib.error) as err:
        raise DataFormatError(f"{path}: corrupt gzip data ({err})") from None


_LINE_BREAK = re.compile(rb"\r\n|\r|\n")


def line_of(data: bytes, offset: int) -> int:
    """The 1-based line of byte ``offset`` in ``data``, counting LF, CRLF and lone CR line ends alike."""
    return len(_LINE_BREAK.findall(data, 0, offset)) + 1


def normalize_newlines(text: str) -> str:
    """``text`` with CRLF and lone CR line ends turned into LF: every convention then parses identically."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def decode_text(data: bytes, path: Path, encoding: str = "utf-8") -> str:
    """``data`` decoded strictly; a byte that is not valid ``encoding`` is reported with its line."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        raise DataFormatError(
            f"{path}, line {line_of(data, err.start)}: byte {data[err.start : err.start + 1]!r} is not valid "
            f"{encoding} (byte offset {err.start}); re-save the file as {encoding}"
        ) from None


def read_text(path: Path, encoding: str = "utf-8") -> str:
    """The whole file as text (gunzipped when named ``.gz``), strictly: see :func:`read_bytes` and
    :func:`decode_text`. Line ends are LF whatever the file used (LF, CRLF or CR alone), so lines
    split and are numbered the same way for every convention; a UTF-8 byte-order mark is dropped (it
    is not part of the first line). Used by every loader here and the SMILES loaders of notebook 06."""
    text = normalize_newlines(decode_text(read_bytes(path), path, encoding))
    return text.removeprefix("\ufeff") if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else text


@dataclass(frozen=True)
class Table:
    """A delimited file read as strings.

    Attributes:
        path: the file read (named in every error).
        frame: one ``str`` column per field, one row per data row (blank lines are skipped).
        lines: ``[len(frame)]`` 1-based file line of each row, counting the header line.
    """

    path: Path
    frame: pd.DataFrame
    lines: np.ndarray

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.frame.columns]

    def at_row(self, row: int) -> str:
        """``"<path>, line <n>"`` for 0-based data ``row`` (the prefix of a row's error message)."""
        return f"{self.path}, line {int(self.lines[row])}"

    def require_columns(self, columns: Iterable[str]) -> None:
        """Raise ``DataFormatError`` naming the file and every missing column."""
        missing = [c for c in columns if c not in self.frame.columns]
        if missing:
            raise DataFormatError(
                f"{self.path}: missing column(s) {', '.join(map(repr, missing))}; "
                f"found {', '.join(map(repr, self.columns))}"
            )

    def rename(self, mapping: dict[str, str] | None = None, **kwargs) -> Table:
        """A copy with columns renamed (``pandas.DataFrame.rename``), same lines."""
        return Table(self.path, self.frame.rename(columns=mapping, **kwargs), self.lines)


def read_table(
    path: Path,
    *,
    sep: str = ",",
    names: Sequence[str] | None = None,
    encoding: str = "utf-8",
    quoting: int = csv.QUOTE_MINIMAL,
) -> Table:
    """Read a delimited text file strictly (see the module docstring).

    Args:
        path: the file; a name ending in ``.gz`` is gunzipped.
        sep: the one-character field separator.
        names: the column names of a file without a header row; ``None`` reads them from the first line.
        encoding: the text encoding (``utf-8``; GroupLens' ``u.item`` is ``latin-1``).
        quoting: a :mod:`csv` quoting constant; ``csv.QUOTE_NONE`` for formats whose fields may
            hold a bare ``"`` (RecBole, GroupLens).

    Raises ``DataFormatError`` naming the file for an empty file (or one holding only a byte-order
    mark or blank lines), a repeated header name, and -- with the line -- a row with too many or too
    few fields, a quoted field never closed (a truncated file) or a byte invalid in ``encoding``.
    LF, CRLF and lone CR line ends parse identically; lines are the file's own, blank ones counted.
    """
    text = read_text(path, encoding)  # LF line ends and no byte-order mark, whatever the file had
    if not text.strip():
        raise DataFormatError(f"{path}: the file is empty (no header, no rows)")
    reader = csv.reader(io.StringIO(text, newline="\n"), delimiter=sep, quoting=quoting, strict=True)
    records: list[list[str]] = []
    lines: list[int] = []
    header: list[str] | None = None if names is None else list(names)
    next_line = 1
    try:
        for fields in reader:
            line, next_line = next_line, reader.line_num + 1
            if not fields or fields == [""]:
                continue  # blank line
            if header is None:
                header = fields
                repeated = sorted({h for h in header if header.count(h) > 1})
                if repeated:
                    raise DataFormatError(f"{path}, line {line}: header repeats column(s) {repeated}")
                continue
            if len(fields) != len(header):
                raise DataFormatError(
                    f"{path}, line {line}: expected {len(header)} {_SEPARATORS.get(sep, repr(sep))}-separated fields "
                    f"({', '.join(header)}), found {len(fields)}"
                )
            records.append(fields)
            lines.append(line)
    except csv.Error as err:
        cut = (
            " (a quoted field opened there is never closed: a truncated file?)"
            if "end of data" in str(err)
            else ""
        )
        raise DataFormatError(f"{path}, line {next_line}: {err}{cut}") from None
    if header is None:  # only blank lines
        raise DataFormatError(f"{path}: the file is empty (no header, no rows)")
    frame = (
        pd.DataFrame(records, columns=header, dtype=object)
        if records
        else pd.DataFrame(columns=header, dtype=object)
    )
    return Table(path, frame, np.asarray(lines, dtype=np.int64))


def require_rows(table: Table) -> None:
    """Raise ``DataFormatError`` when ``table`` holds no data rows (e.g. a header-only file)."""
    if len(table) == 0:
        raise DataFormatError(f"{table.path}: no data rows")


def require_nonempty(count: int, source: str | Path, what: str) -> None:
    """Raise ``DataFormatError`` when ``count`` is 0, saying what left nothing (``what``).

    Example: ``require_nonempty(len(users), path, "no user has at least min_interactions=5 interactions")``.
    """
    if count == 0:
        raise DataFormatError(f"{source}: nothing left to use: {what}")


def _first_bad(table: Table, column: str, bad: np.ndarray, expected: str) -> DataFormatError:
    row = int(np.flatnonzero(bad)[0])
    value = table.frame[column].iloc[row]
    return DataFormatError(
        f"{table.at_row(row)}: column {column!r} must hold {expected}; found {value!r}"
        + (f" ({int(bad.sum())} bad rows in all)" if int(bad.sum()) > 1 else "")
    )


def integer_column(table: Table, column: str) -> pd.Series:
    """The column as int64, parsed from its text.

    Each cell must be a decimal integer (``-?[0-9]+``: no sign '+', spaces, decimal point or
    exponent) inside int64. Anything else -- ``7.0``, ``1e3``, `` 12``, an empty cell, a 25-digit
    id -- is a ``DataFormatError`` naming file, column and the line, so distinct ids are never
    rounded, wrapped or merged. Leading zeros are allowed (``007`` is 7).
    """
    table.require_columns([column])
    texts = table.frame[column].to_numpy(dtype=object)
    well_formed = np.fromiter((_INTEGER.fullmatch(t) is not None for t in texts), bool, len(texts))
    if not well_formed.all():
        raise _first_bad(table, column, ~well_formed, "decimal integers (no '.', exponent or spaces)")
    # Python ints are exact at any size: check the int64 range before numpy could wrap a value.
    values = [int(t) for t in texts]
    in_range = np.fromiter((INT64_MIN <= v <= INT64_MAX for v in values), bool, len(values))
    if not in_range.all():
        raise _first_bad(table, column, ~in_range, f"integers in the int64 range [{INT64_MIN}, {INT64_MAX}]")
    return pd.Series(np.array(values, dtype=np.int64), index=table.frame.index, name=column)


def float_column(table: Table, column: str) -> pd.Series:
    """The column as float64: each cell a finite decimal number (``4``, ``-3.5``, ``2e-3``).

    Empty cells, ``nan``, ``inf``, spaces and words are a ``DataFormatError`` naming file, column
    and the line (a NaN rating would otherwise flow silently into every mean).
    """
    table.require_columns([column])
    texts = table.frame[column].to_numpy(dtype=object)
    well_formed = np.fromiter((_FLOAT.fullmatch(t) is not None for t in texts), bool, len(texts))
    if not well_formed.all():
        raise _first_bad(table, column, ~well_formed, "finite numbers")
    values = np.array([float(t) for t in texts], dtype=np.float64)
    finite = np.isfinite(values)  # 1e999 matches the pattern but overflows to inf
    if not finite.all():
        raise _first_bad(table, column, ~finite, "finite numbers")
    return pd.Series(values, index=table.frame.index, name=column)


def require_unique_pairs(table: Table, first: pd.Series, second: pd.Series, what: str) -> None:
    """Raise ``DataFormatError`` naming both lines when a (first, second) pair occurs twice in ``table``.

    ``what`` names the pair, e.g. ``"(user_id, item_id)"``.
    """
    pairs = pd.DataFrame({"a": first.to_numpy(), "b": second.to_numpy()})
    repeated = pairs.duplicated(keep="first").to_numpy()
    if repeated.any():
        row = int(np.flatnonzero(repeated)[0])
        key = pairs.iloc[row]
        earlier = int(np.flatnonzero(((pairs["a"] == key["a"]) & (pairs["b"] == key["b"])).to_numpy())[0])
        raise DataFormatError(
            f"{table.at_row(row)}: {what} = ({key['a']}, {key['b']}) repeats line {int(table.lines[earlier])} "
            f"({int(repeated.sum())} repeated pairs in all)"
        )
