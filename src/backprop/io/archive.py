"""The hardened reading (and the writing) of a model file's zip archive of ``.npy`` members.

Zip member names and declared sizes are checked with :mod:`zipfile` before any array is read
(members must be stored uncompressed and lie inside the file, so no read allocates more than
the file's size), every ``.npy`` header is checked against the shape and dtype the config
implies before numpy allocates memory, and the hashes must match. Any problem raises
:class:`ModelFileError` naming it. What the config must hold is :mod:`.schema`'s business.
"""

from __future__ import annotations

import hashlib
import io as _io
import json
import math
import os
import struct
import zipfile
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np

from ..core.validation import BackpropError, InputTypeError, describe
from .atomic import PathLike
from .paths import open_input

__all__ = ["MAX_CONFIG_BYTES", "MAX_NPY_HEADER", "ModelFileError", "read_archive"]

#: The largest JSON config accepted (bytes). Metadata and checkpoint history live there.
MAX_CONFIG_BYTES = 16 * 2**20

#: The largest ``.npy`` header accepted (numpy writes 128 bytes for our arrays).
MAX_NPY_HEADER = 4096

_CONFIG_MEMBER = "config.npy"

#: What zipfile and numpy raise on damaged archives (a flipped byte can reach any of them).
_ARCHIVE_ERRORS = (
    zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, KeyError, IndexError,
    OverflowError, UnicodeDecodeError, struct.error, zlib.error, SyntaxError,
)


class ModelFileError(BackpropError, ValueError):
    """A model file is unreadable, corrupted, of another format version, or inconsistent."""


def _fail(path: str, message: str) -> ModelFileError:
    return ModelFileError(f"{path}: {message}")


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"{type(obj).__name__} is not JSON-serialisable")


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _sha256(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def _little_endian(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array)
    return array.astype(array.dtype.newbyteorder("<"), copy=False) if array.dtype.byteorder == ">" else array


def _write_archive(handle: Any, config: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Write the zip: config.npy (JSON as uint8), then each array as ``{name}.npy``."""
    text = json.dumps(config, default=_json_default, sort_keys=True).encode("utf-8")
    members = {"config": np.frombuffer(text, dtype=np.uint8), **arrays}
    with zipfile.ZipFile(handle, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in members.items():
            with archive.open(f"{name}.npy", mode="w", force_zip64=True) as member:
                np.lib.format.write_array(member, _little_endian(array), allow_pickle=False)


def _npy_header(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: str) -> tuple[tuple[int, ...], np.dtype, int]:
    """Parse a member's .npy header without reading its data: (shape, dtype, header length)."""
    name = info.filename
    try:
        with archive.open(info) as member:
            prefix = member.read(min(info.file_size, MAX_NPY_HEADER))
        stream = _io.BytesIO(prefix)
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    except _ARCHIVE_ERRORS as exc:
        raise _fail(path, f"member {name!r} is not a valid .npy array ({exc})") from None
    if fortran:
        raise _fail(path, f"member {name!r}: expected a C-ordered array, received Fortran order")
    return tuple(shape), dtype, stream.tell()


def _check_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: str, shape: tuple[int, ...], dtype: np.dtype
) -> None:
    """The member's declared size and .npy header must match ``shape`` and ``dtype`` exactly."""
    name = info.filename
    got_shape, got_dtype, header = _npy_header(archive, info, path)  # reads at most MAX_NPY_HEADER bytes
    if got_dtype.hasobject or got_dtype.kind in "OV":
        raise _fail(path, f"member {name!r}: holds Python objects (dtype {got_dtype}), which are refused (no pickle)")
    if got_dtype != dtype:
        raise _fail(path, f"member {name!r}: expected dtype {dtype}, received {got_dtype}")
    if got_shape != shape:
        raise _fail(path, f"member {name!r}: expected shape {shape}, received {got_shape}")
    nbytes = math.prod(shape) * dtype.itemsize
    if not nbytes <= info.file_size <= nbytes + MAX_NPY_HEADER:
        raise _fail(
            path,
            f"member {name!r}: expected about {nbytes} bytes for shape {shape} and dtype {dtype}, "
            f"the archive declares {info.file_size}",
        )
    if header + nbytes != info.file_size:
        raise _fail(path, f"member {name!r}: its size ({info.file_size} bytes) does not match its header and shape")


def _check_stored(info: zipfile.ZipInfo, path: str, on_disk: int) -> None:
    """A member must be stored uncompressed and lie inside the file, so no read can allocate more than its size.

    numpy allocates a member's whole array from its header before reading the data; without
    this check a 9 KB file declaring gigabytes (or a compressed zip bomb) would be allocated.
    """
    if info.compress_type != zipfile.ZIP_STORED:
        raise _fail(path, f"member {info.filename!r} is compressed (zip method {info.compress_type}); model files "
                          "store their members uncompressed, as backprop.save and np.savez write them")
    if info.file_size != info.compress_size or info.header_offset + info.compress_size > on_disk:
        raise _fail(path, f"member {info.filename!r} declares {info.file_size} bytes at offset {info.header_offset}, "
                          f"beyond the end of the {on_disk}-byte file (truncated or forged)")


def _read_config(archive: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo], path: str) -> dict[str, Any]:
    info = infos.get(_CONFIG_MEMBER)
    if info is None:
        raise _fail(path, f"not a backprop model file: no {_CONFIG_MEMBER!r} member (members: {sorted(infos)})")
    if info.file_size > MAX_CONFIG_BYTES + MAX_NPY_HEADER:
        raise _fail(path, f"member {_CONFIG_MEMBER!r} declares {info.file_size} bytes, more than the {MAX_CONFIG_BYTES} allowed")
    shape, dtype, header = _npy_header(archive, info, path)
    if dtype != np.dtype(np.uint8) or len(shape) != 1:
        raise _fail(path, f"member {_CONFIG_MEMBER!r}: expected a 1-D uint8 array of JSON bytes, received shape {shape} dtype {dtype}")
    if shape[0] > MAX_CONFIG_BYTES:
        raise _fail(path, f"member {_CONFIG_MEMBER!r} holds {shape[0]} bytes, more than the {MAX_CONFIG_BYTES} allowed")
    _check_member(archive, info, path, shape, dtype)
    try:
        with archive.open(info) as member:
            raw = member.read(info.file_size)  # zipfile checks the CRC on the way
        text = raw[header:].decode("utf-8")
        config = json.loads(text, object_pairs_hook=_reject_duplicates)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(path, f"member {_CONFIG_MEMBER!r} is not valid JSON ({exc})") from None
    except RecursionError:
        raise _fail(path, f"member {_CONFIG_MEMBER!r} nests JSON arrays or objects too deeply") from None
    except ValueError as exc:  # duplicate keys
        raise _fail(path, f"member {_CONFIG_MEMBER!r} is not valid JSON ({exc})") from None
    except _ARCHIVE_ERRORS as exc:
        raise _fail(path, f"member {_CONFIG_MEMBER!r} is corrupted ({exc})") from None
    if not isinstance(config, dict):
        raise _fail(path, f"config: expected a JSON object, received {type(config).__name__}")
    return config


def _check_members(archive: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo],
                   expected: dict[str, tuple[tuple[int, ...], np.dtype, str]], path: str) -> None:
    """Exactly the members the config implies, each with the declared shape and dtype."""
    wanted = {_CONFIG_MEMBER} | {f"{name}.npy" for name in expected}
    unexpected = sorted(set(infos) - wanted)
    if unexpected:
        raise _fail(path, f"unexpected members {unexpected} (a model file holds only {sorted(wanted)})")
    missing = sorted(wanted - set(infos))
    if missing:
        raise _fail(path, f"missing members {missing}")
    for name, (shape, dtype, _) in expected.items():
        _check_member(archive, infos[f"{name}.npy"], path, shape, dtype)


def read_archive(
    path: PathLike, validate: Callable[[dict[str, Any], str], dict[str, tuple[tuple[int, ...], np.dtype, str]]]
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read a model file's archive, checking it before any array is read: (config, arrays by name).

    ``validate(config, path)`` checks the JSON config and returns the array members it implies
    (name -> (shape, dtype, sha256)); every member must then be exactly one of those. Raises
    :class:`ModelFileError` for any problem.
    """
    if isinstance(path, (bool, int)) or not isinstance(path, (str, os.PathLike)):
        raise InputTypeError(f"path: expected a file path (str or os.PathLike), received {describe(path)}")
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"path: no such model file: {path!r}")
    with open_input(path, "path", "a model file") as handle:  # a FIFO or /dev/zero is refused, never read
        try:
            archive = zipfile.ZipFile(handle)
        except _ARCHIVE_ERRORS as exc:
            raise _fail(path, f"not a backprop model file: not a readable .npz (zip) archive, perhaps truncated ({exc})") from None
        with archive:
            infos_list = archive.infolist()
            names = [info.filename for info in infos_list]
            if len(set(names)) != len(names):
                raise _fail(path, "the archive holds duplicate member names")
            infos = {info.filename: info for info in infos_list}
            on_disk = os.fstat(handle.fileno()).st_size
            for info in infos_list:
                _check_stored(info, path, on_disk)
            config = _read_config(archive, infos, path)
            expected = validate(config, path)
            _check_members(archive, infos, expected, path)
        handle.seek(0)
        arrays: dict[str, np.ndarray] = {}
        try:
            with np.load(handle, allow_pickle=False) as npz:
                for name in expected:
                    arrays[name] = npz[name]
        except _ARCHIVE_ERRORS as exc:
            raise _fail(path, f"an array could not be read, the file is corrupted ({exc})") from None
    for name, (shape, dtype, digest) in expected.items():
        array = arrays[name]
        if array.shape != shape or array.dtype != dtype:
            raise _fail(path, f"member '{name}.npy': expected shape {shape} dtype {dtype}, received {array.shape} {array.dtype}")
        if array.dtype.kind == "f" and not np.isfinite(array).all() and name == "params":
            raise _fail(path, "params: expected finite values, the file holds NaN or inf")
        if _sha256(array) != digest:
            raise _fail(path, f"member '{name}.npy': SHA-256 mismatch, the file is corrupted")
    return config, arrays


# --------------------------------------------------------------------------- data archives (np.savez)


def _sniff(handle: Any) -> str:
    """What a file that is not a zip archive looks like, from its first bytes."""
    handle.seek(0)
    head = handle.read(512)
    if not head:
        return "the file is empty"
    if head.startswith(b"\x93NUMPY"):
        return "it is a single .npy array (np.save), not an .npz archive (np.savez)"
    if head.startswith(b"PK"):
        return "it starts like a zip archive but is truncated or damaged"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return "it is neither a zip archive nor text"
    first = text.splitlines()[0][:60] if text.strip() else ""
    return f"it is text (starting {first!r}): a CSV renamed .npz? Name it .csv"


def read_npz(path: PathLike, keys: dict[str, Any], name: str = "path") -> dict[str, np.ndarray]:
    """The arrays ``keys`` names (argument name -> array name) of a data ``.npz`` (np.savez or
    np.savez_compressed), read with the model loader's checks.

    The file must be a regular file (never a FIFO or a device), a zip archive whose members
    are ``.npy`` arrays; each wanted array's header is read first (at most
    :data:`MAX_NPY_HEADER` bytes) and must declare a numeric or string dtype (never Python
    objects: no pickle), a size its member actually holds (a truncated or forged array is
    refused before numpy allocates it) and one this machine's memory can hold. Every problem
    raises ValidationError naming the file and what is wrong with it (InputTypeError for an
    array of Python objects or a key that is not a string).
    """
    from ..core.validation import ValidationError, check_memory

    for argument, key in keys.items():
        if not isinstance(key, str):
            raise InputTypeError(f"{argument}: expected the name of an array (str), received {describe(key)}")
    with open_input(path, name, "an .npz file") as handle:
        path = os.fspath(path)
        on_disk = os.fstat(handle.fileno()).st_size
        try:
            archive = zipfile.ZipFile(handle)
        except _ARCHIVE_ERRORS:
            raise ValidationError(f"{name}: {path!r} is not a readable .npz archive: {_sniff(handle)}") from None
        with archive:
            infos = archive.infolist()
            names = [info.filename for info in infos]
            if len(set(names)) != len(names):
                raise ValidationError(f"{name}: {path!r} holds duplicate member names (a damaged or forged archive)")
            available = sorted(n[:-4] for n in names if n.endswith(".npy"))
            by_name = {info.filename: info for info in infos}
            out: dict[str, np.ndarray] = {}
            for argument, key in keys.items():
                info = by_name.get(f"{key}.npy")
                if info is None:
                    raise ValidationError(f"{argument}: expected one of the arrays {available} in {path!r}, received {key!r}")
                where = f"{argument}: the array {key!r} in {name} {path!r}"
                if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    raise ValidationError(f"{where} is compressed with zip method {info.compress_type}; "
                                          "np.savez and np.savez_compressed write methods 0 and 8")
                if info.header_offset + info.compress_size > on_disk or (
                        info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size):
                    raise ValidationError(f"{where} declares {info.compress_size} bytes at offset {info.header_offset}, "
                                          f"beyond the end of the {on_disk}-byte file (truncated)")
                try:
                    shape, dtype, header = _npy_header(archive, info, path)
                except ModelFileError:
                    raise ValidationError(f"{where} is not a valid .npy array (truncated or damaged)") from None
                if dtype.hasobject or dtype.kind in "OV":
                    raise InputTypeError(f"{where} holds Python objects (dtype {dtype}), which could only be read with "
                                         "pickle and are refused for safety; save numeric or string arrays instead")
                nbytes = math.prod(shape) * dtype.itemsize
                check_memory(nbytes, name, f"the array {key!r} in {path!r} (shape {shape}, dtype {dtype})")
                if header + nbytes != info.file_size:
                    raise ValidationError(f"{where}: its header declares shape {shape} and dtype {dtype} ({nbytes} bytes), "
                                          f"the archive holds {info.file_size - header} bytes of data (truncated or damaged)")
                try:
                    with archive.open(info) as member:
                        array = np.lib.format.read_array(member, allow_pickle=False)
                except _ARCHIVE_ERRORS as exc:
                    raise ValidationError(f"{where} could not be read, the file is damaged ({exc})") from None
                if array.shape != shape or array.dtype != dtype:
                    raise ValidationError(f"{where} is damaged: read shape {array.shape} dtype {array.dtype}, "
                                          f"its header declares {shape} {dtype}")
                out[argument] = array
    return out
