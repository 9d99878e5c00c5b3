"""Atomic file writes: a reader sees the old file or the new one, never half of one.

Every file the course writes for a later reader -- executed notebooks, their HTML, results and
``timings.json``, ``SUMMARY.md``, checkpoints, study and benchmark outputs -- goes through here:

* :func:`atomic_write_text` / :func:`atomic_write_bytes` write the whole content at once;
* :func:`atomic_open` yields a binary handle for writers that stream (``torch.save``).

Each writes a temporary file in the target's folder (``.<name>.<random>.tmp``), flushes and
``fsync``s it, gives it the mode a plainly created file would get, and renames it over the target
(``os.replace``, atomic on one file system). When anything fails on the way -- a full disk, a file
size limit, an exception in the writer, Ctrl-C -- the temporary file is removed, the error is
raised, and the previous file (if any) is left exactly as it was.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


def umask_mode() -> int:
    """The mode a plainly created file gets (``mkstemp`` alone would leave 0600, unreadable to others)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def atomic_open(path: str | Path) -> Iterator[BinaryIO]:
    """A binary handle whose content replaces ``path`` only when the ``with`` block ends without error."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, umask_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Replace ``path`` by ``data`` atomically (see the module docstring); returns the path."""
    with atomic_open(path) as handle:
        handle.write(data)
    return Path(path)


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Replace ``path`` by ``text`` atomically, encoded as ``encoding`` with ``\\n`` line ends kept."""
    return atomic_write_bytes(path, text.encode(encoding))
