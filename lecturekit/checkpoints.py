"""Checkpoints and caches that are safe to load and resume only the identical run.

Every resumable training run and every on-disk cache of the course goes through this module:

* **Safe to load.** Files are read with ``torch.load(weights_only=True)`` only, so a crafted file
  cannot run code; the saved state must therefore be plain data (tensors, numbers, strings,
  ``None``, lists, tuples and dicts) -- :func:`save` refuses anything else *before* writing.
* **Atomic.** :func:`save` writes a temporary file in the same folder and renames it over the
  target (:mod:`lecturekit.atomic`), so an interrupted save never leaves a half-written checkpoint.
* **Bounded and well-formed.** :func:`load` refuses, before unpickling anything, a file larger than
  ``max_bytes`` (default :data:`MAX_BYTES`) and a zip archive whose records would expand past
  ``max_bytes`` or past :data:`MAX_EXPANSION` times the file's size (``torch.save`` stores its
  records uncompressed, so only a crafted file expands: a decompression bomb). After reading, a bad
  signature, a missing state, or -- when the caller passes ``expect`` -- a missing key or a tensor
  of another shape or dtype is a ``ValueError`` naming the file and the key.
* **Only the identical run resumes.** Each file carries a :func:`signature`: the full
  configuration, the data's identity (name, size, seed or a content hash) and a hash of the
  source files of the model and training code. :func:`load` compares it with the caller's and
  refuses a mismatch with :class:`CheckpointMismatch`, naming each differing field; a caller
  that wants to start afresh instead passes ``overwrite=True``.

Used by PinSage training (notebooks 02-03) and GCPN pretraining and fine-tuning (notebook 06).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import torch

from lecturekit.atomic import atomic_open, umask_mode  # noqa: F401 - umask_mode: callers and tests check file modes

FORMAT = 1  # bump when the file layout below changes
# The course's largest checkpoint (PinSage, full profile: weights + Adam moments) is tens of MB; a
# GiB leaves room for bigger models while keeping a hostile file from taking a laptop's memory.
MAX_BYTES = 1 << 30
# torch.save stores each record uncompressed: a real file's payload is its size plus headers. A
# zip whose records expand more than this is crafted (a 255 kB file once expanded to 314 MB).
MAX_EXPANSION = 4


class CheckpointMismatch(ValueError):
    """A checkpoint was written by a different run (configuration, data or code)."""

    def __init__(self, path: Path, differences: Mapping[str, tuple[Any, Any]]) -> None:
        self.path, self.differences = path, dict(differences)
        shown = [f"{k}: saved {a!r}, now {b!r}" for k, (a, b) in sorted(self.differences.items())]
        more = "" if len(shown) <= 12 else f"\n  ... and {len(shown) - 12} more"
        super().__init__(
            f"checkpoint {path} was written by a different run; differing fields:\n  "
            + "\n  ".join(shown[:12])
            + more
            + "\nPass overwrite=True to train afresh and replace it, or delete the file."
        )


def plain_data(value: Any, where: str) -> Any:
    """``value`` as JSON-comparable plain data (dataclasses to dicts, tuples to lists, paths to str)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): plain_data(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_data(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, torch.Tensor):
        return tensor_hash(value)
    if hasattr(value, "item") and getattr(value, "shape", None) == ():  # numpy scalar
        return plain_data(value.item(), where)
    raise TypeError(f"signature field {where!r} is a {type(value).__name__}; use plain values")


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> dict[str, Any]:
    if isinstance(value, dict) and value:
        for k, v in value.items():
            _flatten(v, f"{prefix}.{k}" if prefix else k, out)
    else:
        out[prefix] = value
    return out


def tensor_hash(tensor: torch.Tensor) -> str:
    """A short content hash of a tensor (dtype, shape and bytes)."""
    t = tensor.detach().cpu().contiguous()
    digest = hashlib.sha256(f"{t.dtype}{tuple(t.shape)}".encode())
    digest.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return digest.hexdigest()[:16]


def content_hash(*parts: Any) -> str:
    """A short hash of tensors, state dicts, strings or plain data (e.g. a molecule list)."""
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, torch.Tensor):
            digest.update(tensor_hash(part).encode())
        elif isinstance(part, Mapping) and all(isinstance(v, torch.Tensor) for v in part.values()):
            for k, v in part.items():
                digest.update(f"{k}:{tensor_hash(v)};".encode())
        else:
            digest.update(json.dumps(plain_data(part, "content"), sort_keys=True).encode())
    return digest.hexdigest()[:16]


def source_hash(*modules: ModuleType | str | Path) -> str:
    """A short hash of the source files of ``modules`` (module objects or file paths)."""
    digest = hashlib.sha256()
    for module in modules:
        path = Path(module.__file__) if isinstance(module, ModuleType) else Path(module)  # type: ignore[arg-type]
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def signature(
    config: Any, data: Mapping[str, Any], sources: Iterable[ModuleType | str | Path]
) -> dict[str, Any]:
    """What must match for a checkpoint to resume: ``{"config", "data", "source"}`` as plain data.

    Args:
        config: the run's full configuration (a dataclass or a mapping; nested ones are walked).
        data: the data's identity, e.g. ``{"name": "pinboard", "num_items": 20000, "seed": 0}``
            or ``{"name": "moses", "hash": content_hash(smiles)}``.
        sources: the modules (or files) of the model and training code; their bytes are hashed.
    """
    return {
        "config": plain_data(config, "config"),
        "data": plain_data(dict(data), "data"),
        "source": source_hash(*sources),
    }


def _check_state(value: Any, where: str) -> None:
    """Refuse what ``torch.load(weights_only=True)`` could not read back."""
    if isinstance(value, torch.Tensor | bool | int | float | str | bytes) or value is None:
        return
    if isinstance(value, torch.Size):
        return
    if isinstance(value, Mapping):
        for k, v in value.items():
            if not isinstance(k, str | int):
                raise TypeError(f"checkpoint state key {where}[{k!r}] must be a str or int")
            _check_state(v, f"{where}[{k!r}]")
        return
    if isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _check_state(v, f"{where}[{i}]")
        return
    raise TypeError(
        f"checkpoint state {where} is a {type(value).__name__}; store plain tensors, numbers, strings, "
        "lists and dicts (e.g. dataclasses.asdict, or .tolist() for arrays)"
    )


def save(path: str | Path, state: Mapping[str, Any], sig: Mapping[str, Any]) -> Path:
    """Atomically write ``state`` with its run signature ``sig`` to ``path``; returns the path."""
    path = Path(path)
    _check_state(dict(state), "state")
    payload = {"format": FORMAT, "signature": json.dumps(sig, sort_keys=True), "state": dict(state)}
    with atomic_open(path) as handle:
        torch.save(payload, handle)
    return path


def differences(saved: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """``{field: (saved, current)}`` for every flattened field that differs."""
    a, b = _flatten(dict(saved), "", {}), _flatten(dict(current), "", {})
    missing = object()
    out = {}
    for key in sorted(set(a) | set(b)):
        x, y = a.get(key, missing), b.get(key, missing)
        if x != y:
            out[key] = ("<absent>" if x is missing else x, "<absent>" if y is missing else y)
    return out


def check_size(path: Path, max_bytes: int = MAX_BYTES) -> None:
    """Refuse ``path`` (``ValueError`` naming it) when it, or the records it would expand to, exceed the bounds.

    The bounds: the file at most ``max_bytes``; for a zip archive (``torch.save``'s format), the
    records' uncompressed sizes together at most ``max_bytes`` and at most :data:`MAX_EXPANSION`
    times the file's size plus 1 MiB of headers. Nothing is unpickled or decompressed here.
    """
    size = path.stat().st_size
    if size > max_bytes:
        raise ValueError(
            f"{path} is {size:,} bytes, more than the {max_bytes:,} a checkpoint may have (max_bytes)"
        )
    if not zipfile.is_zipfile(path):
        return  # not torch's zip format: torch.load(weights_only=True) refuses or reads it within its size
    try:
        with zipfile.ZipFile(path) as archive:
            payload = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        raise ValueError(f"{path} is not a readable lecturekit checkpoint (corrupt zip: {err})") from None
    limit = min(max_bytes, MAX_EXPANSION * size + (1 << 20))
    if payload > limit:
        raise ValueError(
            f"{path} would expand to {payload:,} bytes from {size:,} on disk, more than the {limit:,} allowed "
            "(torch.save stores records uncompressed: a file that expands is crafted); delete it"
        )


def check_form(path: Path, state: Any, expect: Any, where: str = "state") -> None:
    """Refuse a loaded ``state`` that does not have the form of ``expect`` (``ValueError`` naming file and key).

    ``expect`` is a template: a mapping requires every one of its keys (extra keys are allowed);
    a tensor requires a tensor of the same shape and dtype (a ``state_dict()`` serves as the
    template of a model's weights, a fresh run's whole state as the template of its checkpoint); a
    type (``int``, ``list``, ``dict``...) or a plain value of that type requires an instance of it
    (lists are not walked); ``None`` accepts anything.
    """
    if expect is None:
        return
    if isinstance(expect, torch.Tensor):
        if not isinstance(state, torch.Tensor):
            raise ValueError(f"{path}: {where} must be a tensor, found a {type(state).__name__}")
        if state.shape != expect.shape or state.dtype != expect.dtype:
            raise ValueError(
                f"{path}: {where} is a {tuple(state.shape)} {state.dtype} tensor, expected "
                f"{tuple(expect.shape)} {expect.dtype} (a checkpoint of another model?)"
            )
        return
    if isinstance(expect, Mapping):
        if not isinstance(state, Mapping):
            raise ValueError(f"{path}: {where} must be a mapping, found a {type(state).__name__}")
        for key, sub in expect.items():
            if key not in state:
                raise ValueError(f"{path}: {where} has no key {key!r}")
            check_form(path, state[key], sub, f"{where}[{key!r}]")
        return
    kind = expect if isinstance(expect, type) else type(expect)  # a plain value stands for its type
    ok = isinstance(state, kind) and not (kind is int and isinstance(state, bool))
    if kind is float:
        ok = isinstance(state, int | float) and not isinstance(state, bool)
    if not ok:
        raise ValueError(f"{path}: {where} must be a {kind.__name__}, found a {type(state).__name__}")


def load(
    path: str | Path,
    sig: Mapping[str, Any],
    *,
    overwrite: bool = False,
    expect: Mapping[str, Any] | None = None,
    max_bytes: int = MAX_BYTES,
) -> dict[str, Any] | None:
    """The state saved at ``path`` for the run ``sig``, or ``None`` when there is nothing to resume.

    Returns ``None`` when the file does not exist, or when it belongs to another run and
    ``overwrite`` is true (the caller then trains afresh and its next :func:`save` replaces it).
    Raises :class:`CheckpointMismatch` naming the differing fields when ``overwrite`` is false,
    and ``ValueError`` naming the file when it is not a readable checkpoint of this module
    (including files that would need unsafe unpickling), exceeds the size bounds
    (:func:`check_size`), carries a malformed signature or no state, or -- with ``expect``, a
    template of the state (:func:`check_form`) -- lacks a key or holds a tensor of another shape
    or dtype. Read with ``torch.load(weights_only=True)`` only.
    """
    path = Path(path)
    if not path.is_file():
        return None
    check_size(path, max_bytes)
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - any failure means "not a safe checkpoint"
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ValueError(f"{path} is not a readable lecturekit checkpoint ({reason})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT or "signature" not in payload:
        raise ValueError(
            f"{path} is not a lecturekit checkpoint (format {FORMAT}); delete it or pass another path"
        )
    try:
        saved = json.loads(payload["signature"])
    except (TypeError, ValueError, RecursionError):
        raise ValueError(
            f"{path}: its signature is not the JSON text lecturekit writes; delete the file"
        ) from None
    if not isinstance(saved, dict):
        raise ValueError(
            f"{path}: its signature must be a JSON object, found {type(saved).__name__}; delete the file"
        )
    if not isinstance(payload.get("state"), dict):
        raise ValueError(f"{path}: no saved state (key 'state' missing or not a dict); delete the file")
    current = json.loads(json.dumps(sig, sort_keys=True))
    diff = differences(saved, current)
    if diff:
        if overwrite:
            return None
        raise CheckpointMismatch(path, diff)
    check_form(path, payload["state"], expect)
    return payload["state"]
