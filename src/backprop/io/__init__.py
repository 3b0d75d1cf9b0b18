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

The package, by concept: :mod:`.atomic` (atomic file writing), :mod:`.archive` (the hardened
zip/.npy reader and writer), :mod:`.schema` (what the JSON config must hold), :mod:`.models`
(save, read and load models), :mod:`.checkpoints` (training runs in progress) and
:mod:`.torch_interop`.
"""

import os  # noqa: F401  (tests patch backprop.io.os to simulate failing disks)

from .archive import MAX_CONFIG_BYTES, MAX_NPY_HEADER, ModelFileError
from .atomic import PathLike, atomic_write
from .checkpoints import SaveCheckpoints, load_checkpoint, save_checkpoint
from .models import ModelFile, load, read_config, read_model, save, use_network_class
from .schema import FORMAT, FORMAT_VERSION, STATE_ELEMENTS_PER_PARAM, STATE_SLACK
from .torch_interop import from_torch_state_dict, to_torch_state_dict

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MAX_CONFIG_BYTES",
    "MAX_NPY_HEADER",
    "STATE_ELEMENTS_PER_PARAM",
    "STATE_SLACK",
    "ModelFileError",
    "ModelFile",
    "PathLike",
    "SaveCheckpoints",
    "save",
    "atomic_write",
    "load",
    "read_model",
    "read_config",
    "save_checkpoint",
    "load_checkpoint",
    "to_torch_state_dict",
    "from_torch_state_dict",
    "use_network_class",
]
