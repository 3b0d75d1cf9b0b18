"""Conversion to and from the ``state_dict`` of ``torch.nn.Sequential(Linear, act, Linear, act, …)``.

numpy arrays in, numpy arrays out; torch is never imported here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..core.activations import get_activation
from ..core.losses import get_loss
from ..core.network import Engine
from ..core.validation import InputTypeError, ShapeError, ValidationError, describe
from .models import network_class

__all__ = ["from_torch_state_dict", "to_torch_state_dict"]


def to_torch_state_dict(net: Any) -> dict[str, np.ndarray]:
    """The ``state_dict`` of the equivalent ``torch.nn.Sequential(Linear, act, Linear, act, …)``.

    Linear modules sit at indices 0, 2, 4, …: keys ``"0.weight"`` (n_1, n_0), ``"0.bias"``
    (n_1,), ``"2.weight"`` (n_2, n_1), … as numpy copies in the network's dtype (``W[l]``
    already has PyTorch's (out_features, in_features) layout). Load it in torch with
    ``model.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})``.
    """
    if not isinstance(net, Engine):
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
    net = network_class()(sizes, activations, loss, dtype=dtype, init=None)
    for l in range(n_layers):
        net.weights[l][...] = arrays[f"{2 * l}.weight"]
        net.biases[l][:, 0] = arrays[f"{2 * l}.bias"]
    return net
