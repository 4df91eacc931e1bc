"""Checkpoints: written with ``torch.save``, read without running anything they contain.

A checkpoint is a pickle, and ``torch.load`` in torch 1.13 unpickles without restriction: a
``model.pt`` replaced in the user-data folder could run any code as the user. Its
``weights_only=True`` loader cannot read our checkpoints at all (it lacks the float opcode, and
every checkpoint carries metrics), and its ``pickle_module`` argument is ignored unless
``weights_only`` is set. So this module reads the archive itself: a zip with stored
(uncompressed) members, one ``data.pkl`` and its ``data/<n>`` storages, no TorchScript, at most
``MAX_CHECKPOINT_BYTES``; ``data.pkl`` is unpickled by an unpickler that resolves only the globals
a state dict needs (``collections.OrderedDict``, torch's tensor rebuild function, the storage
types) and refuses every other one. A pickle can only call what it can name, so nothing else
runs. Storages are built from the archive's bytes, never from a path.

The format stays torch.save's, so the shipped checkpoint and every version already in users'
folders keep loading, and torch's own tools still read them. (A code-free format such as
safetensors is not in Debian's torch 1.13, and a home-made one would still need this loader for
the checkpoints that exist.)

Before loading, the bytes are hashed and compared with the hash the card beside the checkpoint
records for it (``files``), and the bytes that were hashed are the bytes that are loaded.
"""

from __future__ import annotations

import collections
import hashlib
import io
import json
import os
import pickle
import stat
import sys
import zipfile
from pathlib import Path
from typing import Dict, Optional, Tuple

import torch

CHECKPOINT_FORMAT = "scsonet-checkpoint/1"
MAX_CHECKPOINT_BYTES = 1 << 30  # the shipped checkpoint is 0.7 MB; a network 1000x larger still fits
MAX_CARD_BYTES = 16 << 20  # as the app's store (main/services/storeFiles.ts)

# The only globals a checkpoint may name, and the storage types its tensors may have.
_ALLOWED_GLOBALS = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): torch._utils._rebuild_tensor_v2,
}
_STORAGE_DTYPES = {
    "FloatStorage": torch.float32, "DoubleStorage": torch.float64, "HalfStorage": torch.float16,
    "BFloat16Storage": torch.bfloat16, "LongStorage": torch.int64, "IntStorage": torch.int32,
    "ShortStorage": torch.int16, "CharStorage": torch.int8, "ByteStorage": torch.uint8, "BoolStorage": torch.bool,
}


class CheckpointError(ValueError):
    """A checkpoint that is refused: unreadable, not ours, changed since its card, or unsafe."""


class _StorageType:
    """What a pickled storage class resolves to: only its dtype is used."""

    def __init__(self, dtype: torch.dtype) -> None:
        self.dtype = dtype


class _RestrictedUnpickler(pickle.Unpickler):
    """Resolves only the allowed globals (GLOBAL, STACK_GLOBAL, INST, OBJ and EXT* all come here)
    and builds storages from the archive (the persistent ids torch.save writes)."""

    def __init__(self, file, archive: zipfile.ZipFile, prefix: str) -> None:
        super().__init__(file, encoding="utf-8")
        self._archive = archive
        self._prefix = prefix
        self._storages: Dict[str, object] = {}

    def find_class(self, module: str, name: str):  # noqa: D102 - pickle's hook
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(_STORAGE_DTYPES[name])
        found = _ALLOWED_GLOBALS.get((module, name))
        if found is None:
            raise pickle.UnpicklingError(f"it names {module}.{name}, which a checkpoint never contains")
        return found

    def persistent_load(self, saved_id):  # noqa: D102 - pickle's hook
        if not (isinstance(saved_id, tuple) and len(saved_id) == 5 and saved_id[0] == "storage"
                and isinstance(saved_id[1], _StorageType) and isinstance(saved_id[2], str) and saved_id[2].isdigit()
                and isinstance(saved_id[4], int) and saved_id[4] >= 0):
            raise pickle.UnpicklingError("it holds a reference that is not a tensor storage")
        _, storage_type, key, _location, numel = saved_id
        if key not in self._storages:
            try:
                raw = self._archive.read(f"{self._prefix}data/{key}")
            except KeyError:
                raise pickle.UnpicklingError(f"storage {key} is missing") from None
            dtype = storage_type.dtype
            if len(raw) != numel * torch.empty((), dtype=dtype).element_size():
                raise pickle.UnpicklingError(f"storage {key} has {len(raw)} bytes, not {numel} values")
            values = torch.frombuffer(bytearray(raw), dtype=dtype) if raw else torch.empty(0, dtype=dtype)
            self._storages[key] = values.storage()
        return self._storages[key]


def _read_regular(path: Path, limit: int, what: str) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; never follows a link, never waits on a pipe."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        before = os.lstat(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"{what} {path} does not exist") from None
    if stat.S_ISLNK(before.st_mode):
        raise CheckpointError(f"{what} {path} is a link; only a regular file is read")
    if not stat.S_ISREG(before.st_mode):
        raise CheckpointError(f"{what} {path} is not a regular file")
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or (info.st_dev, info.st_ino) != (before.st_dev, before.st_ino):
            raise CheckpointError(f"{what} {path} changed while it was opened")
        if info.st_size > limit:
            raise CheckpointError(f"{what} {path} is {info.st_size} bytes; at most {limit} are read")
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise CheckpointError(f"{what} {path} grew past {limit} bytes while it was read")
    return data


def card_beside(path: Path) -> Optional[Path]:
    """The model card that describes a checkpoint: ``model.json`` beside ``model.pt``, else ``<stem>.json``."""
    path = Path(path)
    candidates = [path.with_name("model.json")] if path.name == "model.pt" else []
    candidates.append(path.with_suffix(".json"))
    for card in candidates:
        if card.exists() or card.is_symlink():
            return card
    return None


def recorded_sha256(path: Path) -> Optional[str]:
    """The hash the card beside a checkpoint records for it, or None when there is no card beside it.

    A card without a hash for the checkpoint (cards written before checkpoints were hashed) makes
    the checkpoint untrusted: CheckpointError, with what to do instead.
    """
    path = Path(path)
    card_path = card_beside(path)
    if card_path is None:
        return None
    try:
        card = json.loads(_read_regular(card_path, MAX_CARD_BYTES, "model card").decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"the model card {card_path} beside {path.name} could not be read ({exc})") from exc
    files = card.get("files") if isinstance(card, dict) else None
    sha = files.get(path.name) if isinstance(files, dict) else None
    if not isinstance(sha, str):
        raise CheckpointError(
            f"the model card {card_path.name} records no hash for {path.name} (it was written before LesionDesk "
            f"hashed checkpoints), so the checkpoint is not trusted; fine-tune from a version whose card lists it")
    return sha


def _open_archive(data: bytes, path: Path) -> Tuple[zipfile.ZipFile, str]:
    """One torch.save zip: stored members, one data.pkl with its storages, no TorchScript code or constants."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise CheckpointError(f"{path} is not a PyTorch checkpoint archive ({exc})") from exc
    pickles = [m for m in members if m.filename.endswith("/data.pkl") and m.filename.count("/") == 1]
    if len(pickles) != 1:
        raise CheckpointError(f"{path} is not a PyTorch checkpoint archive (no single data.pkl)")
    prefix = pickles[0].filename[: -len("data.pkl")]
    total = 0
    for m in members:
        rest = m.filename[len(prefix):] if m.filename.startswith(prefix) else None
        allowed = rest is not None and (rest in ("data.pkl", "version", "byteorder", ".data/version")
                                        or (rest.startswith("data/") and rest[5:].isdigit()))
        if not allowed:
            raise CheckpointError(f"{path} holds {m.filename!r}, which a weights checkpoint never contains")
        if m.compress_type != zipfile.ZIP_STORED:
            raise CheckpointError(f"{path} has a compressed member {m.filename!r}; torch.save never compresses")
        total += m.file_size
    if total > len(data):
        raise CheckpointError(f"{path} claims more content than it holds")
    if f"{prefix}byteorder" in archive.namelist() and archive.read(f"{prefix}byteorder") != sys.byteorder.encode():
        raise CheckpointError(f"{path} was written on a machine with another byte order")
    return archive, prefix


def read_checkpoint(path: Path, expected_sha256: Optional[str] = None) -> Tuple[Dict, str]:
    """Loads a checkpoint safely; returns it and the sha256 of the bytes loaded.

    ``expected_sha256`` defaults to the hash the card beside the checkpoint records (none when
    there is no card, e.g. ``last.pt`` of a training run). A mismatch is refused before anything
    is unpickled; so is any archive or pickle that is not plain weights and metadata.
    """
    path = Path(path)
    if expected_sha256 is None:
        expected_sha256 = recorded_sha256(path)
    data = _read_regular(path, MAX_CHECKPOINT_BYTES, "checkpoint")
    sha = hashlib.sha256(data).hexdigest()
    if expected_sha256 is not None and sha != expected_sha256:
        raise CheckpointError(
            f"checkpoint {path} does not match its card (sha256 {sha[:12]}..., the card says {expected_sha256[:12]}...): "
            "it was changed or damaged, and is not loaded")
    archive, prefix = _open_archive(data, path)
    try:
        ckpt = _RestrictedUnpickler(io.BytesIO(archive.read(f"{prefix}data.pkl")), archive, prefix).load()
    except Exception as exc:
        raise CheckpointError(f"{path} is not a readable SCSONet checkpoint ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})") from exc
    if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path} is not an SCSONet checkpoint written by LesionDesk")
    return ckpt, sha


def load_checkpoint(path: Path, expected_sha256: Optional[str] = None) -> Dict:
    """Loads a checkpoint written by this package (see read_checkpoint), with a clear error otherwise."""
    return read_checkpoint(path, expected_sha256)[0]


def save_checkpoint(path: Path, **payload) -> None:
    """Atomic save: a crash mid-write never leaves a broken checkpoint behind."""
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save({"format": CHECKPOINT_FORMAT, **payload}, tmp)
    os.replace(tmp, path)

