"""Model files: round trips bit for bit, hostile and damaged files, atomic saves, checkpoints, torch interop."""

import io
import json
import os
import struct
import zipfile

import numpy as np
import pytest

import backprop as bp
from backprop import io as bio
from backprop.io import ModelFileError


def _net(dtype=np.float64, sizes=(3, 5, 4, 2), acts=("relu", "tanh", "softmax"), loss="cce", seed=0):
    net = bp.Network(list(sizes), list(acts), loss, dtype=dtype, seed=seed)
    net.params += np.random.default_rng(seed).normal(scale=0.1, size=net.n_params).astype(dtype)  # non-zero biases
    return net


def _npy(array, allow_pickle=False):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def _members(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _write_zip(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _config(path):
    data = _members(path)["config.npy"]
    return json.loads(np.load(io.BytesIO(data)).tobytes())


def _with_config(path, out, **changes):
    """Rewrite ``path`` into ``out`` with config fields changed (and nothing else)."""
    members = _members(path)
    config = _config(path)
    config.update(changes)
    members["config.npy"] = _npy(np.frombuffer(json.dumps(config).encode(), dtype=np.uint8))
    _write_zip(out, members)
    return out


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_save_load_gives_identical_predictions_bit_for_bit(tmp_path, dtype, rng):
    net = _net(dtype)
    path = tmp_path / "model.npz"
    returned = bio.save(net, path, metadata={"epochs": 3, "loss": np.float64(0.25)}, classes=["a", "b"] * 0 + ["ant", "bee"],
                        feature_names=["x0", "x1", "x2"], target_name="insect")
    assert returned == str(path)
    loaded = bio.load(path)
    assert isinstance(loaded, bp.Network) and loaded.dtype == np.dtype(dtype)
    assert loaded.get_config() == net.get_config()
    assert loaded.params.tobytes() == net.params.tobytes()
    X = rng.normal(size=(50, 3))
    assert loaded.predict_proba(X).tobytes() == net.predict_proba(X).tobytes()
    np.testing.assert_array_equal(loaded.predict(X), np.array(["ant", "bee"])[net.predict(X)])  # labels (issue 16)
    assert loaded.classes_.tolist() == ["ant", "bee"]
    assert loaded.feature_names_ == ["x0", "x1", "x2"] and loaded.target_name_ == "insect"
    assert loaded.metadata_ == {"epochs": 3, "loss": 0.25}


@pytest.mark.parametrize(
    "sizes, acts, loss, classes",
    [
        ((2, 3, 1), ("tanh", "sigmoid"), "bce", [0, 1]),
        ((4, 6, 3), ("gelu", "softmax"), "cce", [10, 20, 30]),
        ((3, 4, 2), ("elu", "sigmoid"), "bce", ["left", "right"]),  # multilabel: one name per output
        ((5, 8, 8, 1), ("leaky_relu", "silu", "identity"), "mse", None),
        ((2, 1), ("identity",), "huber", None),
    ],
)
def test_round_trip_of_every_task(tmp_path, sizes, acts, loss, classes, rng):
    net = _net(np.float64, sizes, acts, loss)
    bio.save(net, tmp_path / "m.npz", classes=classes)
    model = bio.read_model(tmp_path / "m.npz")
    assert model.net.get_config() == net.get_config()
    assert model.net.params.tobytes() == net.params.tobytes()
    assert (model.classes is None) == (classes is None)
    if classes is not None:
        assert model.classes.tolist() == classes
    X = rng.normal(size=(7, sizes[0]))
    assert model.net.predict_proba(X).tobytes() == net.predict_proba(X).tobytes()


def test_saved_archive_has_exactly_the_documented_layout(tmp_path):
    net = _net()
    bio.save(net, tmp_path / "m.npz")
    members = _members(tmp_path / "m.npz")
    assert sorted(members) == ["config.npy", "params.npy"]
    config = _config(tmp_path / "m.npz")
    assert config["format"] == "backprop-model" and config["version"] == bio.FORMAT_VERSION
    assert config["layer_sizes"] == [3, 5, 4, 2] and config["activations"] == ["relu", "tanh", "softmax"]
    assert config["loss"] == "categorical_crossentropy" and config["dtype"] == "float64"
    import hashlib

    params = np.load(io.BytesIO(members["params.npy"]), allow_pickle=False)
    assert config["params_sha256"] == hashlib.sha256(params.tobytes()).hexdigest()
    np.testing.assert_array_equal(params, net.params)


def test_attributes_of_the_network_are_saved_by_default(tmp_path):
    net = _net(np.float64, (2, 3, 1), ("tanh", "sigmoid"), "bce")
    net.classes_ = np.array(["no", "yes"])
    net.feature_names_ = ["a", "b"]
    bio.save(net, tmp_path / "m.npz")
    loaded = bio.load(tmp_path / "m.npz")
    assert loaded.classes_.tolist() == ["no", "yes"] and loaded.feature_names_ == ["a", "b"]


# --------------------------------------------------------------------------- what save refuses


def test_save_refuses_bad_inputs(tmp_path):
    net = _net(np.float64, (2, 3, 1), ("tanh", "sigmoid"), "bce")
    with pytest.raises(bp.ValidationError, match="classes: expected 2 labels"):
        bio.save(net, tmp_path / "m.npz", classes=["a", "b", "c"])
    with pytest.raises(bp.ValidationError, match="distinct"):
        bio.save(net, tmp_path / "m.npz", classes=["a", "a"])
    with pytest.raises(bp.InputTypeError, match="one type"):
        bio.save(net, tmp_path / "m.npz", classes=["a", 1])
    with pytest.raises(bp.ValidationError, match="feature_names: expected 2 names"):
        bio.save(net, tmp_path / "m.npz", feature_names=["a"])
    with pytest.raises(bp.InputTypeError, match="metadata"):
        bio.save(net, tmp_path / "m.npz", metadata={"f": object()})
    with pytest.raises(bp.InputTypeError, match="net: expected a backprop.Network"):
        bio.save("not a net", tmp_path / "m.npz")
    net.params[0] = np.nan
    with pytest.raises(bp.ValidationError, match="NaN"):
        bio.save(net, tmp_path / "m.npz")
    regression = _net(np.float64, (2, 3, 1), ("tanh", "identity"), "mse")
    with pytest.raises(bp.ValidationError, match="regression"):
        bio.save(regression, tmp_path / "m.npz", classes=[0, 1])
    assert not os.listdir(tmp_path)  # nothing was written, not even a temporary file


def test_save_refuses_an_activation_with_custom_parameters(tmp_path):
    from backprop.core.activations import LeakyReLU

    net = bp.Network([2, 3, 1], [LeakyReLU(alpha=0.3), "sigmoid"], "bce", seed=0)
    with pytest.raises(bp.ValidationError, match="leaky_relu"):
        bio.save(net, tmp_path / "m.npz")


# --------------------------------------------------------------------------- damaged and hostile files


@pytest.fixture
def saved(tmp_path):
    net = _net()
    path = tmp_path / "good.npz"
    bio.save(net, path, classes=["a", "b"], metadata={"note": "ok"})
    return net, path


def test_truncated_files_are_refused_clearly(saved, tmp_path):
    net, path = saved
    data = path.read_bytes()
    for cut in sorted({0, 1, 10, 100, len(data) // 3, len(data) // 2, len(data) - 30, len(data) - 1}):
        bad = tmp_path / f"cut{cut}.npz"
        bad.write_bytes(data[:cut])
        with pytest.raises(ModelFileError, match=str(bad).replace("\\", "\\\\")):
            bio.load(bad)


def test_every_flipped_byte_is_caught_or_harmless(saved, tmp_path):
    """No single flipped byte may yield a different network or an unexpected exception."""
    net, path = saved
    data = bytearray(path.read_bytes())
    params_at = data.find(net.params.tobytes())
    assert params_at > 0
    bad = tmp_path / "flipped.npz"
    caught = 0
    for i in range(len(data)):
        flipped = bytearray(data)
        flipped[i] ^= 0xFF
        bad.write_bytes(bytes(flipped))
        try:
            loaded = bio.load(bad)
        except ModelFileError:
            caught += 1
            continue
        assert params_at + net.params.nbytes <= i or i < params_at, f"flip at {i} in the params went unnoticed"
        assert loaded.params.tobytes() == net.params.tobytes() and loaded.get_config() == net.get_config()
    assert caught > len(data) // 2


def test_a_flipped_params_byte_with_a_recomputed_crc_is_caught_by_the_sha256(saved, tmp_path):
    net, path = saved
    members = _members(path)
    raw = bytearray(members["params.npy"])
    raw[-3] ^= 0x01
    members["params.npy"] = bytes(raw)
    _write_zip(tmp_path / "bad.npz", members)  # zipfile writes a fresh, valid CRC
    with pytest.raises(ModelFileError, match="SHA-256 mismatch"):
        bio.load(tmp_path / "bad.npz")


def test_wrong_format_version_and_format_name(saved, tmp_path):
    _, path = saved
    with pytest.raises(ModelFileError, match="format version 2 is not supported.*newer"):
        bio.load(_with_config(path, tmp_path / "v2.npz", version=2))
    with pytest.raises(ModelFileError, match="format version 0 is not supported"):
        bio.load(_with_config(path, tmp_path / "v0.npz", version=0))
    with pytest.raises(ModelFileError, match="not a backprop model file"):
        bio.load(_with_config(path, tmp_path / "other.npz", format="keras"))


@pytest.mark.parametrize(
    "change, message",
    [
        ({"layer_sizes": [3, 5, 4, 3]}, "n_params"),
        ({"layer_sizes": [3, 0, 4, 2]}, "layer_sizes"),
        ({"layer_sizes": [3, True, 4, 2]}, "layer_sizes"),
        ({"activations": ["relu", "tanh"]}, "activations"),
        ({"activations": ["relu", "tanh", "evil"]}, "unknown activation 'evil'"),
        ({"loss": "rm -rf"}, "loss"),
        ({"dtype": "float16"}, "dtype"),
        ({"dtype": "object"}, "dtype"),
        ({"n_params": 1}, "n_params"),
        ({"classes": ["a", "b", "c"]}, "classes: expected 2 labels"),
        ({"classes": ["a", 1]}, "one type"),
        ({"feature_names": ["x"]}, "feature_names"),
        ({"metadata": [1, 2]}, "metadata"),
        ({"params_sha256": "zz"}, "params_sha256"),
        ({"kind": "weights"}, "kind"),
        ({"extra_field": 1}, "unexpected fields"),
    ],
)
def test_every_config_field_is_validated(saved, tmp_path, change, message):
    _, path = saved
    with pytest.raises(ModelFileError, match=message):
        bio.load(_with_config(path, tmp_path / "bad.npz", **change))


def test_missing_config_fields_and_non_json_config(saved, tmp_path):
    _, path = saved
    members = _members(path)
    config = _config(path)
    del config["loss"]
    members["config.npy"] = _npy(np.frombuffer(json.dumps(config).encode(), dtype=np.uint8))
    _write_zip(tmp_path / "a.npz", members)
    with pytest.raises(ModelFileError, match=r"missing fields \['loss'\]"):
        bio.load(tmp_path / "a.npz")
    members["config.npy"] = _npy(np.frombuffer(b"{not json", dtype=np.uint8))
    _write_zip(tmp_path / "b.npz", members)
    with pytest.raises(ModelFileError, match="not valid JSON"):
        bio.load(tmp_path / "b.npz")
    members["config.npy"] = _npy(np.zeros((2, 2)))
    _write_zip(tmp_path / "c.npz", members)
    with pytest.raises(ModelFileError, match="uint8"):
        bio.load(tmp_path / "c.npz")


def test_wrong_shape_or_dtype_of_the_params_array(saved, tmp_path):
    net, path = saved
    members = _members(path)
    for array, message in [
        (net.params[:-1], r"expected shape \(%d,\)" % net.n_params),
        (net.params.reshape(1, -1), "expected shape"),
        (net.params.astype(np.float32), "expected dtype float64"),
        (np.asfortranarray(np.tile(net.params, (2, 1)).T), "Fortran|expected"),
    ]:
        members["params.npy"] = _npy(array)
        _write_zip(tmp_path / "bad.npz", members)
        with pytest.raises(ModelFileError, match=message):
            bio.load(tmp_path / "bad.npz")


def test_non_finite_params_are_refused(saved, tmp_path):
    net, path = saved
    members = _members(path)
    params = net.params.copy()
    params[2] = np.inf
    members["params.npy"] = _npy(params)
    import hashlib

    _write_zip(tmp_path / "inf.npz", members)
    with_hash = _with_config(tmp_path / "inf.npz", tmp_path / "inf2.npz", params_sha256=hashlib.sha256(params.tobytes()).hexdigest())
    with pytest.raises(ModelFileError, match="finite"):
        bio.load(with_hash)


class _Trap:
    """Unpickling this object would create a file: the test checks it never happens."""

    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (open, (self.target, "w"))


def test_a_pickled_object_member_is_refused_and_never_unpickled(saved, tmp_path):
    _, path = saved
    sentinel = tmp_path / "pwned"
    members = _members(path)
    members["params.npy"] = _npy(np.array([_Trap(str(sentinel))] * 3, dtype=object), allow_pickle=True)
    _write_zip(tmp_path / "pickle.npz", members)
    with pytest.raises(ModelFileError, match="Python objects"):
        bio.load(tmp_path / "pickle.npz")
    members = _members(path)
    members["config.npy"] = _npy(np.array([_Trap(str(sentinel))], dtype=object), allow_pickle=True)
    _write_zip(tmp_path / "pickle2.npz", members)
    with pytest.raises(ModelFileError):
        bio.load(tmp_path / "pickle2.npz")
    assert not sentinel.exists()


def test_an_extra_or_missing_member_is_refused(saved, tmp_path):
    _, path = saved
    members = _members(path)
    _write_zip(tmp_path / "extra.npz", {**members, "evil.npy": _npy(np.zeros(3))})
    with pytest.raises(ModelFileError, match=r"unexpected members \['evil.npy'\]"):
        bio.load(tmp_path / "extra.npz")
    _write_zip(tmp_path / "nopar.npz", {"config.npy": members["config.npy"]})
    with pytest.raises(ModelFileError, match=r"missing members \['params.npy'\]"):
        bio.load(tmp_path / "nopar.npz")
    _write_zip(tmp_path / "nocfg.npz", {"params.npy": members["params.npy"]})
    with pytest.raises(ModelFileError, match="no 'config.npy'"):
        bio.load(tmp_path / "nocfg.npz")
    np.savez(tmp_path / "plain.npz", X=np.zeros(3))
    with pytest.raises(ModelFileError, match="not a backprop model file"):
        bio.load(tmp_path / "plain.npz")


def _patch_declared_size(path, member, size):
    """Overwrite the uncompressed size of ``member`` in the zip's central directory."""
    data = bytearray(path.read_bytes())
    pos = 0
    while True:
        at = data.find(b"PK\x01\x02", pos)
        assert at >= 0
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46 : at + 46 + name_len]) == member.encode():
            struct.pack_into("<I", data, at + 24, size)
            path.write_bytes(bytes(data))
            return
        pos = at + 4


def test_huge_declared_sizes_are_refused_before_allocating(saved, tmp_path, monkeypatch):
    net, path = saved
    members = _members(path)
    # A .npy header claiming 2**40 float64 entries (8 TiB) in a tiny member.
    header = _npy(np.zeros(1))
    huge = header.replace(b"(1,)", b"(1099511627776,)")
    _write_zip(tmp_path / "hdr.npz", {"config.npy": members["config.npy"], "params.npy": huge})
    with pytest.raises(ModelFileError, match="params.npy"):
        bio.load(tmp_path / "hdr.npz")
    # The same claim backed by a config: layer sizes implying 10**13 parameters.
    with pytest.raises(ModelFileError, match="parameters, more than|n_params"):
        bio.load(_with_config(path, tmp_path / "cfg.npz", layer_sizes=[10**6, 10**7, 10, 2], n_params=10**13 + 10**8 + 20 + 10**7 + 12))
    # The zip's central directory declaring a huge uncompressed size.
    _write_zip(tmp_path / "zip.npz", members)
    _patch_declared_size(tmp_path / "zip.npz", "params.npy", 2**31 - 1)
    with pytest.raises(ModelFileError, match="declares 2147483647"):
        bio.load(tmp_path / "zip.npz")
    _write_zip(tmp_path / "zipcfg.npz", members)
    _patch_declared_size(tmp_path / "zipcfg.npz", "config.npy", 2**31 - 1)
    with pytest.raises(ModelFileError, match="config.npy.*declares"):
        bio.load(tmp_path / "zipcfg.npz")
    # A config larger than allowed.
    monkeypatch.setattr(bio.archive, "MAX_CONFIG_BYTES", 64)  # where the reader looks it up
    with pytest.raises(ModelFileError, match="config.npy"):
        bio.load(path)


def test_non_files_and_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        bio.load(tmp_path / "absent.npz")
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(ModelFileError, match="not a readable .npz"):
        bio.load(tmp_path / "text.npz")
    with pytest.raises(bp.InputTypeError, match="path"):
        bio.load(3)


# --------------------------------------------------------------------------- atomic saves


def _leftovers(directory):
    return sorted(p for p in os.listdir(directory) if p.endswith(".tmp"))


def test_a_crash_in_the_middle_of_a_save_leaves_the_old_file_loadable(saved, tmp_path, monkeypatch):
    old, path = saved
    original = np.lib.format.write_array
    calls = []

    def write_half_then_crash(fp, array, *args, **kwargs):
        calls.append(array.shape)
        if len(calls) == 2:  # config written, params half written
            fp.write(b"\x93NUMPY partial")
            raise RuntimeError("simulated crash")
        return original(fp, array, *args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", write_half_then_crash)
    new = _net(seed=7)
    with pytest.raises(RuntimeError, match="simulated crash"):
        bio.save(new, path)
    monkeypatch.undo()
    assert len(calls) == 2
    assert bio.load(path).params.tobytes() == old.params.tobytes()
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_a_failing_disk_leaves_the_old_file_intact(saved, tmp_path, monkeypatch, failing):
    old, path = saved

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, disk_full)
    with pytest.raises(OSError, match="No space left"):
        bio.save(_net(seed=9), path)
    monkeypatch.undo()
    assert bio.load(path).params.tobytes() == old.params.tobytes()
    assert _leftovers(tmp_path) == []


def test_save_replaces_the_old_file_and_keeps_its_permissions(saved, tmp_path):
    _, path = saved
    os.chmod(path, 0o640)
    new = _net(seed=3)
    bio.save(new, path)
    assert bio.load(path).params.tobytes() == new.params.tobytes()
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert _leftovers(tmp_path) == []
    with pytest.raises(IsADirectoryError):
        bio.save(new, tmp_path)


# --------------------------------------------------------------------------- checkpoints (file format)


class _FakeTrainer:
    def __init__(self, net):
        self.net = net
        rng = np.random.default_rng(5)
        rng.random(3)
        self.rng = rng
        self.history = {"loss": [0.7, 0.5, float("inf")], "lr": [0.1, 0.1, 0.05]}

    def state_dict(self):
        n = self.net.n_params
        return {
            "epoch": 3,
            "step": 30,
            "optimizer": {"name": "adam", "t": np.int64(30), "m": np.linspace(0, 1, n), "v": np.full(n, 2.0, np.float32),
                          "betas": (0.9, 0.999)},
            "rng": self.rng.bit_generator.state,
            "schedule": {"best": float("inf"), "wait": 2},
        }


def test_checkpoint_round_trip_keeps_every_state_value(tmp_path):
    net = _net()
    trainer = _FakeTrainer(net)
    bio.save_checkpoint(tmp_path / "ckpt.npz", trainer, metadata={"data": "moons"}, classes=["a", "b"])
    loaded, state = bio.load_checkpoint(tmp_path / "ckpt.npz")
    assert loaded.params.tobytes() == net.params.tobytes() and loaded.classes_.tolist() == ["a", "b"]
    expected = trainer.state_dict()
    assert state["epoch"] == 3 and state["step"] == 30 and state["optimizer"]["t"] == 30
    np.testing.assert_array_equal(state["optimizer"]["m"], expected["optimizer"]["m"])
    assert state["optimizer"]["v"].dtype == np.float32
    assert state["optimizer"]["betas"] == [0.9, 0.999]
    assert state["schedule"] == {"best": float("inf"), "wait": 2}
    assert state["history"] == trainer.history
    resumed = np.random.default_rng()
    resumed.bit_generator.state = state["rng"]
    assert resumed.random() == trainer.rng.random()  # the RNG continues where it stopped
    assert bio.read_config(tmp_path / "ckpt.npz")["kind"] == "checkpoint"
    assert bio.load(tmp_path / "ckpt.npz").params.tobytes() == net.params.tobytes()


def test_checkpoint_state_arrays_are_checked_like_params(tmp_path):
    net = _net()
    bio.save_checkpoint(tmp_path / "ckpt.npz", _FakeTrainer(net))
    members = _members(tmp_path / "ckpt.npz")
    assert sorted(members) == ["config.npy", "params.npy", "state_0.npy", "state_1.npy"]
    m = np.load(io.BytesIO(members["state_0.npy"]))
    m[0] += 1
    _write_zip(tmp_path / "bad.npz", {**members, "state_0.npy": _npy(m)})
    with pytest.raises(ModelFileError, match="state_0.npy.*SHA-256"):
        bio.load_checkpoint(tmp_path / "bad.npz")
    config = _config(tmp_path / "ckpt.npz")
    config["arrays"]["state_0"]["shape"] = [10**9]
    with pytest.raises(ModelFileError, match="refusing to allocate"):
        bio.load(_with_config(tmp_path / "ckpt.npz", tmp_path / "big.npz", arrays=config["arrays"]))
    bio.save(net, tmp_path / "model.npz")
    with pytest.raises(ModelFileError, match="not a checkpoint"):
        bio.load_checkpoint(tmp_path / "model.npz")


def test_checkpoint_refuses_unserialisable_state(tmp_path):
    trainer = _FakeTrainer(_net())
    trainer.state_dict = lambda: {"epoch": 1, "callback": object()}
    with pytest.raises(bp.InputTypeError, match="state.callback"):
        bio.save_checkpoint(tmp_path / "c.npz", trainer)
    with pytest.raises(bp.InputTypeError, match="trainer"):
        bio.save_checkpoint(tmp_path / "c.npz", object())
    assert not os.listdir(tmp_path)


# --------------------------------------------------------------------------- torch interop


def test_torch_state_dict_round_trip(rng):
    net = _net(np.float32, (3, 5, 4, 2), ("relu", "tanh", "softmax"), "cce")
    sd = bio.to_torch_state_dict(net)
    assert list(sd) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    assert sd["0.weight"].shape == (5, 3) and sd["0.bias"].shape == (5,) and sd["4.weight"].shape == (2, 4)
    assert all(v.dtype == np.float32 for v in sd.values())
    back = bio.from_torch_state_dict(sd, ["relu", "tanh", "softmax"], "cce")
    assert back.dtype == np.float32 and back.get_config() == net.get_config()
    assert back.params.tobytes() == net.params.tobytes()
    sd["0.weight"][0, 0] = 99.0  # a copy, not a view
    assert net.weights[0][0, 0] != 99.0
    as64 = bio.from_torch_state_dict(sd, "tanh", "mse", dtype=np.float64)
    assert as64.dtype == np.float64 and as64.layer_sizes == (3, 5, 4, 2)


class _FakeTensor:
    """Quacks like a torch tensor: detach().cpu().numpy()."""

    def __init__(self, array):
        self.array = array

    def detach(self):
        return self

    def cpu(self):
        return self

    def numpy(self):
        return self.array


def test_from_torch_state_dict_accepts_tensors_and_checks_keys_and_shapes(rng):
    net = _net(np.float64, (2, 3, 1), ("tanh", "sigmoid"), "bce")
    tensors = {k: _FakeTensor(v) for k, v in bio.to_torch_state_dict(net).items()}
    back = bio.from_torch_state_dict(tensors, ["tanh", "sigmoid"], "bce")
    X = rng.normal(size=(4, 2))
    assert back.predict_proba(X).tobytes() == net.predict_proba(X).tobytes()
    sd = bio.to_torch_state_dict(net)
    with pytest.raises(bp.ValidationError, match="expected keys"):
        bio.from_torch_state_dict({"fc.weight": sd["0.weight"]}, "tanh", "mse")
    with pytest.raises(bp.ShapeError, match=r"2.weight"):
        bio.from_torch_state_dict({**sd, "2.weight": np.zeros((1, 4))}, ["tanh", "sigmoid"], "bce")
    with pytest.raises(bp.ShapeError, match=r"0.bias"):
        bio.from_torch_state_dict({**sd, "0.bias": np.zeros((3, 1))}, ["tanh", "sigmoid"], "bce")
    with pytest.raises(bp.ValidationError, match="activation"):
        bio.from_torch_state_dict(sd, ["tanh", "nope"], "bce")


def test_outputs_equal_a_real_torch_sequential(rng):
    torch = pytest.importorskip("torch")
    net = _net(np.float64, (3, 6, 4, 2), ("tanh", "relu", "softmax"), "cce")
    model = torch.nn.Sequential(
        torch.nn.Linear(3, 6), torch.nn.Tanh(), torch.nn.Linear(6, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2),
        torch.nn.Softmax(dim=1),
    ).double()
    model.load_state_dict({k: torch.from_numpy(v) for k, v in bio.to_torch_state_dict(net).items()})
    X = rng.normal(size=(10, 3))
    with torch.no_grad():
        expected = model(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(net.predict_proba(X), expected, rtol=1e-12, atol=1e-14)
    back = bio.from_torch_state_dict(model.state_dict(), ["tanh", "relu", "softmax"], "cce")
    np.testing.assert_array_equal(back.params, net.params)


# --------------------------------------------------------------------------- resuming real training


@pytest.mark.parametrize("optimizer, schedule", [("adam", None), ("nesterov", ("step", {"factor": 0.5, "step_size": 5})),
                                                 ("rmsprop", ("plateau", {"patience": 0}))])
def test_resume_from_a_checkpoint_equals_an_uninterrupted_run_bit_for_bit(tmp_path, optimizer, schedule):
    from backprop.data import spirals
    from backprop.optim import get_schedule
    from backprop.train import Callback, Dataset, History, Trainer

    X, y = spirals(90, seed=0)
    X_val, y_val = X[::5], y[::5]

    def trainer_for(net):
        rate = None if schedule is None else get_schedule(schedule[0], 0.01, **schedule[1])
        return Trainer(net, optimizer=optimizer, learning_rate=rate, batch_size=16, seed=4, dropout=0.3, l2=0.01)

    def fresh():
        return bp.Network([2, 6, 5, 3], ["tanh", "relu", "softmax"], "cce", seed=2)

    class SaveAt(Callback):
        def __init__(self, epoch, history):
            self.epoch, self.history = epoch, history

        def on_train_begin(self, trainer):
            self.trainer = trainer

        def on_epoch_end(self, epoch, logs):
            if epoch + 1 == self.epoch:
                bio.save_checkpoint(tmp_path / "ckpt.npz", self.trainer, history=self.history)

    net = fresh()
    trainer, history = trainer_for(net), History()
    trainer.run(Dataset(net, X, y), 6, validation=Dataset(net, X_val, y_val), history=history,
                callbacks=[SaveAt(3, history)])

    loaded, state = bio.load_checkpoint(tmp_path / "ckpt.npz")
    assert state["epoch"] == 3 and state["step"] == 3 * 6
    resumed = trainer_for(loaded)
    resumed.load_state_dict(state)
    history2 = History.from_dict(state["history"])
    resumed.run(Dataset(loaded, X, y), 3, validation=Dataset(loaded, X_val, y_val), history=history2)
    assert loaded.params.tobytes() == net.params.tobytes()
    for key in ("loss", "val_loss", "accuracy", "lr"):
        assert history2.history[key] == history.history[key]
    assert resumed.rng.random() == trainer.rng.random()


def test_checkpoint_of_partial_fit_keeps_its_history(tmp_path):
    from backprop.data import xor

    X, y = xor(40, seed=0)
    net = bp.Network([2, 4, 1], ["tanh", "sigmoid"], "bce", seed=0)
    for _ in range(3):
        net.partial_fit(X, y, seed=1, batch_size=8)
    bio.save_checkpoint(tmp_path / "p.npz", net.trainer_)
    loaded, state = bio.load_checkpoint(tmp_path / "p.npz")
    assert state["epoch"] == 3 and state["history"]["epoch"] == [0, 1, 2]
    assert loaded.params.tobytes() == net.params.tobytes()
    assert isinstance(loaded, bp.Network) and hasattr(loaded, "fit")


def test_network_save_delegates_to_io(tmp_path):
    net = _net()
    net.save(tmp_path / "n.npz", classes=["a", "b"])
    loaded = bio.load(tmp_path / "n.npz")
    assert loaded.params.tobytes() == net.params.tobytes() and loaded.classes_.tolist() == ["a", "b"]


def test_resume_with_early_stopping_is_exact(tmp_path):
    """The early-stopping memory (best value, patience count, best weights) travels in the checkpoint."""
    from backprop.data import spirals
    from backprop.train import Callback, Dataset, History, Trainer

    X, y = spirals(90, seed=0)
    X_val, y_val = X[::5], y[::5]
    saved = {}

    class SaveEvery(Callback):
        def on_train_begin(self, trainer):
            self.trainer = trainer

        def on_epoch_end(self, epoch, logs):
            if self.trainer.early_stopping.wait > 0 and not saved:  # mid-patience: the count must survive
                saved["epoch"] = epoch + 1
                bio.save_checkpoint(tmp_path / "ckpt.npz", self.trainer, history=history)

    def trainer_for(net):
        return Trainer(net, optimizer="sgd", learning_rate=2.0, batch_size=16, seed=4)

    net = bp.Network([2, 6, 3], ["tanh", "softmax"], "cce", seed=2)
    history = History()
    options = dict(validation=Dataset(net, X_val, y_val), early_stopping=True, patience=3)
    trainer_for(net).run(Dataset(net, X, y), 40, history=history, callbacks=[SaveEvery()], **options)
    assert saved and history.stopped_early and history.best_epoch < len(history) - 1

    loaded, state = bio.load_checkpoint(tmp_path / "ckpt.npz")
    resumed = trainer_for(loaded)
    resumed.load_state_dict(state)
    history2 = History.from_dict(state["history"])
    options["validation"] = Dataset(loaded, X_val, y_val)
    resumed.run(Dataset(loaded, X, y), 40 - saved["epoch"], history=history2, **options)
    assert history2.best_epoch == history.best_epoch and len(history2) == len(history)
    assert loaded.params.tobytes() == net.params.tobytes()  # the best epoch's weights, restored
