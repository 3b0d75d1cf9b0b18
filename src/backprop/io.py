"""Model files: one ``.npz`` archive holding the flat parameter vector and a JSON config.

A model file is a zip archive (what ``np.savez`` writes) with exactly these members:

- ``params.npy``: the flat vector ``[W[1] … W[L], b[1] … b[L]]`` (n_params,), float32 or float64;
- ``config.npy``: the UTF-8 bytes of a JSON object, stored as a uint8 array (n_bytes,);
- checkpoints only: ``state_0.npy``, ``state_1.npy``, …: the arrays of the training state
  (optimizer moments, …), each declared with its shape, dtype and SHA-256 in the config.

The config holds the format name and version, the architecture (``layer_sizes``,
``activations``, ``loss``, ``dtype``), ``n_params``, the SHA-256 of the params bytes, the
label mapping ``classes`` (the original labels, so predictions can be given back in
them), ``feature_names``, ``target_name`` and free-form ``metadata``.

Loading never unpickles anything and never trusts the file: zip member names and
declared sizes are checked with :mod:`zipfile` before any array is read (members must be
stored uncompressed and lie inside the file, so no read allocates more than the file's size), every ``.npy``
header is checked against the shape and dtype the config implies before numpy allocates
memory, every config field is validated, and the hashes must match. Any problem raises
:class:`ModelFileError` naming it. Saving is atomic: a crash or a full disk leaves the
previous file untouched.

Interoperability: :func:`to_torch_state_dict` and :func:`from_torch_state_dict` convert to
and from the ``state_dict`` of ``torch.nn.Sequential(Linear, act, Linear, act, …)``
(numpy arrays; torch is never imported here).
"""

from __future__ import annotations

import hashlib
import io as _io
import json
import math
import os
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Union

import numpy as np

from ._version import __version__
from .core.activations import ACTIVATIONS, get_activation
from .core.losses import LOSSES, get_loss
from .core.network import Network as _CoreNetwork
from .core.tasks import n_classes_of, task_of
from .core.validation import (
    BackpropError,
    InputTypeError,
    ShapeError,
    ValidationError,
    describe,
)
from .model import Network

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "ModelFileError",
    "ModelFile",
    "save",
    "atomic_write",
    "load",
    "read_model",
    "read_config",
    "save_checkpoint",
    "load_checkpoint",
    "to_torch_state_dict",
    "from_torch_state_dict",
]

PathLike = Union[str, os.PathLike]

#: The ``format`` field of every model file's config.
FORMAT = "backprop-model"
#: The version of the layout described in this module's docstring; bump on any change.
FORMAT_VERSION = 1

#: The largest JSON config accepted (bytes). Metadata and checkpoint history live there.
MAX_CONFIG_BYTES = 16 * 2**20
#: The largest ``.npy`` header accepted (numpy writes 128 bytes for our arrays).
MAX_NPY_HEADER = 4096
#: Checkpoint state arrays may hold at most this many elements per parameter, in total
#: (Adam keeps 2, L-BFGS a few dozen), plus :data:`STATE_SLACK` elements.
STATE_ELEMENTS_PER_PARAM = 128
STATE_SLACK = 65536
_MAX_LAYERS = 10_000
_MAX_PARAMS = 2**34

_CONFIG_MEMBER = "config.npy"
_PARAMS_MEMBER = "params.npy"
_DTYPES = {"float32": np.dtype("<f4"), "float64": np.dtype("<f8")}
_STATE_DTYPES = {
    np.dtype(t).newbyteorder("<").str
    for t in ("f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "?")
}
_MODEL_KEYS = {
    "format", "version", "kind", "library", "layer_sizes", "activations", "loss", "dtype",
    "n_params", "params_sha256", "classes", "feature_names", "target_name", "metadata",
}
_CHECKPOINT_KEYS = _MODEL_KEYS | {"state", "arrays"}
_ARRAY_REF = "__ndarray__"
#: What zipfile and numpy raise on damaged archives (a flipped byte can reach any of them).
_ARCHIVE_ERRORS = (
    zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, KeyError, IndexError,
    OverflowError, UnicodeDecodeError, struct.error, zlib.error, SyntaxError,
)


class ModelFileError(BackpropError, ValueError):
    """A model file is unreadable, corrupted, of another format version, or inconsistent."""


@dataclass
class ModelFile:
    """Everything a model file holds.

    ``net``: the network; ``classes``: the original labels (n_classes,) or None;
    ``feature_names``: list of n_inputs names or None; ``target_name``: str or None;
    ``metadata``: the free-form dict given to :func:`save`; ``config``: the validated JSON
    config; ``state``: the training state (checkpoints only, else None).
    """

    net: Any
    classes: np.ndarray | None = None
    feature_names: list[str] | None = None
    target_name: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    state: dict[str, Any] | None = None


# --------------------------------------------------------------------------- JSON helpers


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


def _check_metadata(metadata: Any) -> dict[str, Any]:
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise InputTypeError(f"metadata: expected a dict of JSON-able values, received {describe(metadata)}")
    try:
        return json.loads(json.dumps(dict(metadata), default=_json_default))
    except (TypeError, ValueError) as exc:
        raise InputTypeError(f"metadata: expected JSON-able values (str, numbers, lists, dicts), {exc}") from None


def _check_classes(classes: Any, name: str = "classes") -> list[Any] | None:
    """Original labels as a JSON list of one type (str, int or finite float), all distinct."""
    if classes is None:
        return None
    values = np.asarray(classes).tolist() if isinstance(classes, np.ndarray) else classes
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise InputTypeError(f"{name}: expected a list of labels, received {describe(classes)}")
    values = [v.item() if isinstance(v, np.generic) else v for v in values]
    if len(values) < 1:
        raise ValidationError(f"{name}: expected at least one label, received none")
    kinds = {("str" if isinstance(v, str) else "bool" if isinstance(v, bool) else "int" if isinstance(v, int)
              else "float" if isinstance(v, float) else type(v).__name__) for v in values}
    if len(kinds) != 1 or not kinds <= {"str", "int", "float"}:
        raise InputTypeError(f"{name}: expected labels all of one type (str, int or float), received types {sorted(kinds)}")
    if kinds == {"float"} and not all(math.isfinite(v) for v in values):
        raise ValidationError(f"{name}: expected finite labels, received {values}")
    if len(set(values)) != len(values):
        raise ValidationError(f"{name}: expected distinct labels, received {values}")
    return list(values)


def _check_feature_names(names: Any, n_in: int) -> list[str] | None:
    if names is None:
        return None
    if isinstance(names, np.ndarray):
        names = names.tolist()
    if isinstance(names, (str, bytes)) or not isinstance(names, Sequence) or not all(isinstance(n, str) for n in names):
        raise InputTypeError(f"feature_names: expected a list of strings, received {describe(names)}")
    if len(names) != n_in:
        raise ValidationError(f"feature_names: expected {n_in} names (one per input), received {len(names)}")
    return list(names)


def _check_classes_fit(classes: list[Any] | None, task: str, n_out: int, error: type = ValidationError) -> None:
    if classes is None:
        return
    if task == "regression":
        raise error(f"classes: a regression network ({n_out} outputs, no classes) cannot have labels, received {classes}")
    expected = n_classes_of(task, n_out)
    if len(classes) != expected:
        raise error(f"classes: expected {expected} labels for a {task} network with {n_out} outputs, received {len(classes)}")


def _sha256(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def _little_endian(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array)
    return array.astype(array.dtype.newbyteorder("<"), copy=False) if array.dtype.byteorder == ">" else array


# --------------------------------------------------------------------------- writing


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_directory(directory: str) -> None:
    """Make the rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: PathLike, write: Callable[[Any], None]) -> str:
    """Call ``write(file)`` on a temporary file beside ``path``, fsync it, then rename it over ``path``.

    On any failure the temporary file is removed and an existing ``path`` is left as it was.
    """
    if isinstance(path, (bool, int)) or not isinstance(path, (str, os.PathLike)):
        raise InputTypeError(f"path: expected a file path (str or os.PathLike), received {describe(path)}")
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"path: expected a file name, received the directory {path!r}")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"path: the directory {directory!r} does not exist, received {path!r}")
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        try:  # mkstemp makes the file private (0600); give it the usual permissions
            mode = os.stat(path).st_mode & 0o777 if os.path.exists(path) else 0o666 & ~_umask()
            os.chmod(tmp, mode)
        except OSError:
            pass
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_directory(directory)
    return path


def _write_archive(handle: Any, config: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Write the zip: config.npy (JSON as uint8), then each array as ``{name}.npy``."""
    text = json.dumps(config, default=_json_default, sort_keys=True).encode("utf-8")
    members = {"config": np.frombuffer(text, dtype=np.uint8), **arrays}
    with zipfile.ZipFile(handle, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in members.items():
            with archive.open(f"{name}.npy", mode="w", force_zip64=True) as member:
                np.lib.format.write_array(member, _little_endian(array), allow_pickle=False)


def _network_config(net: Any) -> dict[str, Any]:
    if not isinstance(net, _CoreNetwork):
        raise InputTypeError(f"net: expected a backprop.Network, received {describe(net)}")
    for a in net.activations:
        if ACTIVATIONS.get(a.name) is not a:
            raise ValidationError(
                f"net: activation {a.name!r} is not the registered one of that name (custom parameters "
                "are not stored in model files); register it with backprop.register_activation"
            )
    if LOSSES.get(net.loss.name) is not net.loss:
        raise ValidationError(f"net: loss {net.loss.name!r} has custom parameters, which model files do not store")
    if not np.isfinite(net.params).all():
        raise ValidationError("net: the parameters hold NaN or inf; refusing to save a diverged network")
    config = net.get_config()
    return {key: config[key] for key in ("layer_sizes", "activations", "loss", "dtype")}


def _model_config(
    net: Any, kind: str, metadata: Any, classes: Any, feature_names: Any, target_name: Any
) -> dict[str, Any]:
    arch = _network_config(net)
    if classes is None:
        classes = getattr(net, "classes_", None)
    if feature_names is None:
        feature_names = getattr(net, "feature_names_", None)
    if target_name is None:
        target_name = getattr(net, "target_name_", None)
    if metadata is None:
        metadata = getattr(net, "metadata_", None)
    classes = _check_classes(classes)
    _check_classes_fit(classes, net.task, net.layer_sizes[-1])
    if target_name is not None and not isinstance(target_name, str):
        raise InputTypeError(f"target_name: expected a string, received {describe(target_name)}")
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "kind": kind,
        "library": f"backprop {__version__}",
        **arch,
        "n_params": int(net.n_params),
        "params_sha256": _sha256(_little_endian(net.params)),
        "classes": classes,
        "feature_names": _check_feature_names(feature_names, net.layer_sizes[0]),
        "target_name": target_name,
        "metadata": _check_metadata(metadata),
    }


def save(
    net: Any,
    path: PathLike,
    *,
    metadata: Mapping[str, Any] | None = None,
    classes: Any = None,
    feature_names: Sequence[str] | None = None,
    target_name: str | None = None,
) -> str:
    """Save ``net`` to ``path`` (written exactly there; no extension is added), atomically.

    ``classes``: the original labels, shape (n_classes,) (2 for one sigmoid output, n_L for
    softmax), so predictions can be mapped back; ``feature_names``: n_0 strings;
    ``metadata``: a JSON-able dict (training options, history, …). Each defaults to the
    network's ``classes_``, ``feature_names_``, ``target_name_`` or ``metadata_`` attribute
    when it has one. Returns the path. A failure (disk full, crash) leaves an existing file
    at ``path`` intact.
    """
    config = _model_config(net, "model", metadata, classes, feature_names, target_name)
    params = _little_endian(net.params)
    return atomic_write(path, lambda handle: _write_archive(handle, config, {"params": params}))


# --------------------------------------------------------------------------- reading


def _fail(path: str, message: str) -> ModelFileError:
    return ModelFileError(f"{path}: {message}")


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


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _validate_config(config: dict[str, Any], path: str) -> dict[str, Any]:
    """Check every field; returns the config with ``layer_sizes`` etc. as validated values."""

    def bad(field_name: str, expected: str) -> ModelFileError:
        return _fail(path, f"config field {field_name!r}: expected {expected}, received {describe(config.get(field_name))}")

    if config.get("format") != FORMAT:
        raise _fail(path, f"not a backprop model file: config field 'format' is {describe(config.get('format'))}, expected {FORMAT!r}")
    version = config.get("version")
    if not _is_int(version):
        raise bad("version", "an integer")
    if version != FORMAT_VERSION:
        newer = " (written by a newer backprop: upgrade to read it)" if version > FORMAT_VERSION else ""
        raise _fail(path, f"format version {version} is not supported; this backprop reads version {FORMAT_VERSION}{newer}")
    kind = config.get("kind")
    if kind not in ("model", "checkpoint"):
        raise bad("kind", "'model' or 'checkpoint'")
    allowed = _MODEL_KEYS if kind == "model" else _CHECKPOINT_KEYS
    missing = sorted(allowed - set(config))
    unknown = sorted(set(config) - allowed)
    if missing:
        raise _fail(path, f"config: missing fields {missing}")
    if unknown:
        raise _fail(path, f"config: unexpected fields {unknown}")
    if not isinstance(config["library"], str):
        raise bad("library", "a string")

    sizes = config["layer_sizes"]
    if (not isinstance(sizes, list) or not 2 <= len(sizes) <= _MAX_LAYERS
            or not all(_is_int(n) and 1 <= n <= 2**31 for n in sizes)):
        raise bad("layer_sizes", "a list of 2 or more positive integers")
    L = len(sizes) - 1
    activations = config["activations"]
    if not isinstance(activations, list) or len(activations) != L or not all(isinstance(a, str) for a in activations):
        raise bad("activations", f"a list of {L} activation names")
    for a in activations:
        if a not in ACTIVATIONS:
            raise _fail(path, f"config field 'activations': unknown activation {a!r}; known: {sorted(ACTIVATIONS)}")
    if not isinstance(config["loss"], str) or config["loss"] not in LOSSES:
        raise _fail(path, f"config field 'loss': expected one of {sorted(LOSSES)}, received {describe(config['loss'])}")
    if not isinstance(config["dtype"], str) or config["dtype"] not in _DTYPES:
        raise bad("dtype", "'float32' or 'float64'")
    n_params = sum(sizes[l] * sizes[l - 1] + sizes[l] for l in range(1, L + 1))
    if n_params > _MAX_PARAMS:
        raise _fail(path, f"config field 'layer_sizes': {sizes} implies {n_params} parameters, more than {_MAX_PARAMS}")
    if config["n_params"] != n_params or not _is_int(config["n_params"]):
        raise _fail(path, f"config field 'n_params': expected {n_params} (implied by layer_sizes {sizes}), received {describe(config['n_params'])}")
    digest = config["params_sha256"]
    if not isinstance(digest, str) or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise bad("params_sha256", "64 lowercase hexadecimal digits")
    try:
        classes = _check_classes(config["classes"])
        _check_classes_fit(classes, task_of(config["loss"], sizes[-1]), sizes[-1], ModelFileError)
        _check_feature_names(config["feature_names"], sizes[0])
    except BackpropError as exc:  # ValidationError, InputTypeError, ModelFileError
        raise _fail(path, f"config: {exc}") from None
    if config["target_name"] is not None and not isinstance(config["target_name"], str):
        raise bad("target_name", "a string or null")
    if not isinstance(config["metadata"], dict):
        raise bad("metadata", "a JSON object")
    return config


def _expected_arrays(config: dict[str, Any], path: str) -> dict[str, tuple[tuple[int, ...], np.dtype, str]]:
    """name -> (shape, dtype, sha256) for every array member the config implies."""
    arrays = {"params": ((config["n_params"],), _DTYPES[config["dtype"]], config["params_sha256"])}
    if config["kind"] != "checkpoint":
        return arrays
    declared = config["arrays"]
    if not isinstance(declared, dict):
        raise _fail(path, f"config field 'arrays': expected a JSON object, received {describe(declared)}")
    budget = STATE_ELEMENTS_PER_PARAM * config["n_params"] + STATE_SLACK
    total = 0
    if set(declared) != {f"state_{i}" for i in range(len(declared))}:
        raise _fail(path, f"config field 'arrays': expected names state_0 … state_{len(declared) - 1}, received {sorted(declared)}")
    for name, spec in declared.items():
        where = f"config field 'arrays' entry {name!r}"
        if not isinstance(spec, dict) or set(spec) != {"shape", "dtype", "sha256"}:
            raise _fail(path, f"{where}: expected an object with 'shape', 'dtype' and 'sha256'")
        shape, dtype, digest = spec["shape"], spec["dtype"], spec["sha256"]
        if not isinstance(shape, list) or len(shape) > 8 or not all(_is_int(n) and n >= 0 for n in shape):
            raise _fail(path, f"{where}: expected a shape of at most 8 non-negative integers, received {describe(shape)}")
        if not isinstance(dtype, str) or dtype not in _STATE_DTYPES:
            raise _fail(path, f"{where}: expected a numeric dtype, received {describe(dtype)}")
        if not isinstance(digest, str) or len(digest) != 64:
            raise _fail(path, f"{where}: expected a SHA-256 hex digest")
        total += math.prod(shape)
        if total > budget:
            raise _fail(path, f"config field 'arrays': the state arrays declare more than {budget} elements "
                              f"({STATE_ELEMENTS_PER_PARAM} per parameter), refusing to allocate them")
        arrays[name] = (tuple(shape), np.dtype(dtype), digest)
    return arrays


def _read_archive(path: PathLike) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Validate and read a model file: (config, arrays by name). Raises ModelFileError."""
    if isinstance(path, (bool, int)) or not isinstance(path, (str, os.PathLike)):
        raise InputTypeError(f"path: expected a file path (str or os.PathLike), received {describe(path)}")
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"path: no such model file: {path!r}")
    if os.path.isdir(path):
        raise IsADirectoryError(f"path: expected a model file, received the directory {path!r}")
    with open(path, "rb") as handle:
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
            config = _validate_config(_read_config(archive, infos, path), path)
            expected = _expected_arrays(config, path)
            wanted = {_CONFIG_MEMBER} | {f"{name}.npy" for name in expected}
            unexpected = sorted(set(infos) - wanted)
            if unexpected:
                raise _fail(path, f"unexpected members {unexpected} (a model file holds only {sorted(wanted)})")
            missing = sorted(wanted - set(infos))
            if missing:
                raise _fail(path, f"missing members {missing}")
            for name, (shape, dtype, _) in expected.items():
                _check_member(archive, infos[f"{name}.npy"], path, shape, dtype)
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


def _build_network(config: dict[str, Any], params: np.ndarray) -> Any:
    net = Network(config["layer_sizes"], config["activations"], config["loss"], dtype=config["dtype"], init=None)
    net.params = params
    return net


def read_config(path: PathLike) -> dict[str, Any]:
    """The validated JSON config of a model or checkpoint file (the arrays are checked too)."""
    config, _ = _read_archive(path)
    return config


def read_model(path: PathLike) -> ModelFile:
    """Everything in a model (or checkpoint) file, validated: see :class:`ModelFile`."""
    config, arrays = _read_archive(path)
    net = _build_network(config, arrays["params"])
    classes = None if config["classes"] is None else np.array(config["classes"])
    state = None
    if config["kind"] == "checkpoint":
        state = _decode_state(config["state"], arrays, os.fspath(path))
    model = ModelFile(net, classes, config["feature_names"], config["target_name"], config["metadata"], config, state)
    net.classes_ = classes
    net.feature_names_ = config["feature_names"]
    net.target_name_ = config["target_name"]
    net.metadata_ = config["metadata"]
    return model


def load(path: PathLike) -> Any:
    """Load the network saved at ``path`` by :func:`save` (or :func:`save_checkpoint`).

    Returns a ``backprop.Network`` of the saved dtype with the saved parameters, bit for
    bit. The label mapping and the other fields are attached as ``net.classes_`` (array
    of the original labels, or None), ``net.feature_names_``, ``net.target_name_`` and
    ``net.metadata_``. Raises :class:`ModelFileError` for any problem with the file and
    ``FileNotFoundError`` when there is none.
    """
    return read_model(path).net


# --------------------------------------------------------------------------- checkpoints


def _encode_state(value: Any, arrays: dict[str, np.ndarray], where: str) -> Any:
    """JSON-able copy of ``value`` with every ndarray moved into ``arrays`` (state_0, …)."""
    if isinstance(value, np.ndarray):
        if value.dtype.newbyteorder("<").str not in _STATE_DTYPES:
            raise InputTypeError(f"trainer state {where}: expected a numeric array, received {describe(value)}")
        name = f"state_{len(arrays)}"
        arrays[name] = _little_endian(value)
        return {_ARRAY_REF: name}
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise InputTypeError(f"trainer state {where}: expected string keys, received {describe(key)}")
            if key == _ARRAY_REF:
                raise ValidationError(f"trainer state {where}: the key {_ARRAY_REF!r} is reserved")
            out[key] = _encode_state(item, arrays, f"{where}.{key}")
        return out
    if isinstance(value, (list, tuple)):
        return [_encode_state(item, arrays, f"{where}[{i}]") for i, item in enumerate(value)]
    if hasattr(value, "to_dict"):
        return _encode_state(value.to_dict(), arrays, where)
    raise InputTypeError(f"trainer state {where}: expected JSON-able values or numpy arrays, received {describe(value)}")


def _decode_state(value: Any, arrays: dict[str, np.ndarray], path: str) -> Any:
    if isinstance(value, dict):
        if set(value) == {_ARRAY_REF}:
            name = value[_ARRAY_REF]
            if name not in arrays or name == "params":
                raise _fail(path, f"config field 'state': refers to an unknown array {describe(name)}")
            return arrays[name].copy()
        return {key: _decode_state(item, arrays, path) for key, item in value.items()}
    if isinstance(value, list):
        return [_decode_state(item, arrays, path) for item in value]
    return value


def _trainer_state(trainer: Any, history: Any) -> dict[str, Any]:
    if not hasattr(trainer, "state_dict") or not hasattr(trainer, "net"):
        raise InputTypeError(f"trainer: expected a backprop Trainer (with .net and .state_dict()), received {describe(trainer)}")
    state = dict(trainer.state_dict())
    if history is None:
        history = getattr(trainer, "history", None)
    if history is not None:
        state["history"] = history.to_dict() if hasattr(history, "to_dict") else history
    return state


def save_checkpoint(
    path: PathLike,
    trainer: Any,
    *,
    history: Any = None,
    metadata: Mapping[str, Any] | None = None,
    classes: Any = None,
    feature_names: Sequence[str] | None = None,
    target_name: str | None = None,
) -> str:
    """Save a training run in progress: the network plus ``trainer.state_dict()``, atomically.

    The state (epoch, step, optimizer state arrays, the RNG's ``bit_generator.state``,
    the schedule's state) is stored as JSON with its arrays as separate, hashed members,
    with the history so far (``history``, a :class:`~backprop.train.History` or dict; by
    default ``trainer.history`` when the trainer has one) under ``"history"``.
    :func:`load_checkpoint` gives it back.
    """
    state = _trainer_state(trainer, history)
    config = _model_config(trainer.net, "checkpoint", metadata, classes, feature_names, target_name)
    arrays: dict[str, np.ndarray] = {}
    config["state"] = _encode_state(state, arrays, "state")
    config["arrays"] = {
        name: {"shape": list(a.shape), "dtype": a.dtype.str, "sha256": _sha256(a)} for name, a in arrays.items()
    }
    params = _little_endian(trainer.net.params)
    return atomic_write(path, lambda handle: _write_archive(handle, config, {"params": params, **arrays}))


def load_checkpoint(path: PathLike) -> tuple[Any, dict[str, Any]]:
    """``(net, trainer_state)`` from a file written by :func:`save_checkpoint`.

    ``trainer_state`` is the dict ``trainer.state_dict()`` returned (arrays as numpy arrays),
    plus ``"history"`` when the trainer had one; pass it to ``trainer.load_state_dict``.
    """
    model = read_model(path)
    if model.state is None:
        raise ModelFileError(f"{os.fspath(path)}: a model file, not a checkpoint (it holds no training state)")
    return model.net, model.state


# --------------------------------------------------------------------------- torch interop


def to_torch_state_dict(net: Any) -> dict[str, np.ndarray]:
    """The ``state_dict`` of the equivalent ``torch.nn.Sequential(Linear, act, Linear, act, …)``.

    Linear modules sit at indices 0, 2, 4, …: keys ``"0.weight"`` (n_1, n_0), ``"0.bias"``
    (n_1,), ``"2.weight"`` (n_2, n_1), … as numpy copies in the network's dtype (``W[l]``
    already has PyTorch's (out_features, in_features) layout). Load it in torch with
    ``model.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})``.
    """
    if not isinstance(net, _CoreNetwork):
        raise InputTypeError(f"net: expected a backprop.Network, received {describe(net)}")
    out: dict[str, np.ndarray] = {}
    for l, (W, b) in enumerate(zip(net.weights, net.biases)):
        out[f"{2 * l}.weight"] = W.copy()
        out[f"{2 * l}.bias"] = b[:, 0].copy()
    return out


def _as_numpy(value: Any, key: str) -> np.ndarray:
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor, without importing torch
        value = value.detach().cpu().numpy()
    array = np.asarray(value)
    if array.dtype.kind not in "fiu":
        raise InputTypeError(f"state_dict[{key!r}]: expected numbers, received {describe(array)}")
    if not np.isfinite(array).all():
        raise ValidationError(f"state_dict[{key!r}]: expected finite values, received NaN or inf")
    return array


def from_torch_state_dict(
    state_dict: Mapping[str, Any],
    activations: str | Sequence[str],
    loss: str,
    dtype: Any = None,
) -> Any:
    """A ``backprop.Network`` from the ``state_dict`` of ``Sequential(Linear, act, Linear, act, …)``.

    ``state_dict`` maps ``"0.weight"`` (n_1, n_0), ``"0.bias"`` (n_1,), ``"2.weight"``, …
    to numpy arrays or torch tensors; the layer sizes are read from the weights' shapes.
    ``activations``: one name per Linear layer (or one for all), as torch's modules do not
    appear in a state_dict. ``dtype``: float32 or float64; by default float32 when every
    weight is float32, else float64.
    """
    if not isinstance(state_dict, Mapping):
        raise InputTypeError(f"state_dict: expected a mapping of names to arrays, received {describe(state_dict)}")
    arrays = {key: _as_numpy(value, key) for key, value in state_dict.items()}
    n_layers = len(arrays) // 2
    expected = {f"{2 * l}.{part}" for l in range(n_layers) for part in ("weight", "bias")}
    if n_layers == 0 or set(arrays) != expected:
        raise ValidationError(
            "state_dict: expected keys '0.weight', '0.bias', '2.weight', '2.bias', … of "
            f"Sequential(Linear, act, Linear, …), received {sorted(arrays)}"
        )
    sizes = [arrays["0.weight"].shape[1] if arrays["0.weight"].ndim == 2 else -1]
    for l in range(n_layers):
        W, b = arrays[f"{2 * l}.weight"], arrays[f"{2 * l}.bias"]
        if W.ndim != 2 or W.shape[1] != sizes[-1]:
            raise ShapeError(f"state_dict['{2 * l}.weight']: expected shape (n_out, {sizes[-1]}), received {W.shape}")
        if b.shape != (W.shape[0],):
            raise ShapeError(f"state_dict['{2 * l}.bias']: expected shape ({W.shape[0]},), received {b.shape}")
        sizes.append(W.shape[0])
    if dtype is None:
        dtype = np.float32 if all(a.dtype == np.float32 for a in arrays.values()) else np.float64
    if isinstance(activations, str):
        activations = [activations] * n_layers
    activations = [get_activation(a).name for a in activations]
    get_loss(loss)
    net = Network(sizes, activations, loss, dtype=dtype, init=None)
    for l in range(n_layers):
        net.weights[l][...] = arrays[f"{2 * l}.weight"]
        net.biases[l][:, 0] = arrays[f"{2 * l}.bias"]
    return net
