"""Hostile model files, fuzzed; and nothing is lost when saving or training fails.

The fuzz tests (hypothesis, derandomized so every run tries the same files) start from
valid model and checkpoint files and damage them: truncation, byte flips, spliced bytes,
rewritten config fields, arrays of the wrong dtype or shape, huge declared sizes in the
.npy header, the config and the zip directory, extra and duplicate members, compressed
members, and pickled objects whose unpickling would leave a sentinel file. Loading must

- never run code from the file (the sentinel never appears),
- never allocate much more than the file's size (tracemalloc's peak is bounded),
- either give back exactly the saved parameters, or fail with the library's own error
  (:class:`backprop.io.ModelFileError`, a :class:`BackpropError`).

The fault-injection tests kill or break saves and training runs at many points and check
that the last good file stays loadable. ``test_fuzz_and_fault_counts`` prints the figures.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import pickle
import signal
import struct
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import backprop as bp
from backprop import io as bio
from backprop.core.validation import BackpropError
from backprop.io import ModelFileError

COUNTS = {"fuzz": 0, "faults": 0, "kills_mid_save": 0}
FUZZ = settings(max_examples=120, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
WORK = tempfile.mkdtemp(prefix="backprop-fuzz-")
SENTINEL = os.path.join(WORK, "PWNED")


class _Trap:
    """Unpickling this calls open(SENTINEL, 'w'): proof that a loader ran code from a file."""

    def __reduce__(self):
        return (open, (SENTINEL, "w"))


# ----------------------------------------------------------------------------- valid files


def _model_bytes(dtype) -> tuple[bytes, np.ndarray]:
    net = bp.Network([3, 5, 4, 2], ["relu", "tanh", "softmax"], "cce", dtype=dtype, seed=0)
    path = os.path.join(WORK, f"model-{np.dtype(dtype).name}.npz")
    bio.save(net, path, classes=["cat", "dog"], feature_names=["a", "b", "c"], metadata={"note": "fuzz"})
    with open(path, "rb") as f:
        return f.read(), net.params.copy()


def _checkpoint_bytes() -> tuple[bytes, np.ndarray]:
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(30, 3)), rng.integers(0, 2, 30)
    net = bp.Network([3, 4, 1], ["tanh", "sigmoid"], "bce", seed=0)
    net.partial_fit(X, y, optimizer="adam", batch_size=8, seed=0)
    path = os.path.join(WORK, "checkpoint.npz")
    bio.save_checkpoint(path, net.trainer_)
    with open(path, "rb") as f:
        return f.read(), net.params.copy()


VALID = {
    "model64": _model_bytes(np.float64),
    "model32": _model_bytes(np.float32),
    "checkpoint": _checkpoint_bytes(),
}


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def _zip(members, compression=zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Duplicate name": the fuzzer means it
        with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
            for name, data in members:
                archive.writestr(name, data)
    return buffer.getvalue()


def _npy(array, allow_pickle=False) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def _config(data: bytes) -> dict:
    return json.loads(np.load(io.BytesIO(_members(data)["config.npy"])).tobytes())


def _config_npy(config) -> bytes:
    return _npy(np.frombuffer(json.dumps(config).encode(), dtype=np.uint8))


def _with_members(data: bytes, **replace: bytes) -> bytes:
    members = _members(data)
    members.update({k.replace("__", "."): v for k, v in replace.items()})
    return _zip(members.items())


# ----------------------------------------------------------------------------- the property


def _check_load(data: bytes, kind: str) -> str:
    """Load ``data``; assert the fuzz property; return 'loaded' or 'refused'."""
    COUNTS["fuzz"] += 1
    path = os.path.join(WORK, "fuzzed.npz")
    with open(path, "wb") as f:
        f.write(data)
    original = VALID[kind][1]
    tracemalloc.start()
    try:
        if kind == "checkpoint":
            net, state = bio.load_checkpoint(path)
            _resume(net, state)
        else:
            net = bio.load(path)
        outcome = "loaded"
    except BackpropError as error:
        assert isinstance(error, (ModelFileError, bp.ValidationError, bp.InputTypeError)), repr(error)
        assert str(error), "an error without a message"
        outcome = "refused"
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert not os.path.exists(SENTINEL), "loading ran code from the file"
    assert peak <= 64 * len(data) + 4 * 2**20, f"loading a {len(data)}-byte file allocated {peak} bytes"
    if outcome == "loaded":  # the SHA-256 in the config: loaded parameters are the saved ones, bit for bit
        assert net.params.tobytes() == original.tobytes()
    return outcome


def _resume(net, state) -> None:
    """What `backprop train --resume` does with a checkpoint's state."""
    from backprop.train import History, Trainer

    Trainer(net, optimizer="adam", batch_size=8, seed=0).load_state_dict(state)
    History.from_dict(state.get("history") or {})


KINDS = st.sampled_from(sorted(VALID))


@FUZZ
@given(kind=KINDS, data=st.data())
def test_fuzz_truncation(kind, data):
    raw = VALID[kind][0]
    cut = data.draw(st.integers(0, len(raw) - 1), label="keep bytes")
    assert _check_load(raw[:cut], kind) == "refused"


@FUZZ
@given(kind=KINDS, data=st.data())
def test_fuzz_byte_flips(kind, data):
    raw = bytearray(VALID[kind][0])
    flips = data.draw(st.lists(st.tuples(st.integers(0, len(raw) - 1), st.integers(1, 255)), min_size=1, max_size=8))
    for at, mask in flips:
        raw[at] ^= mask
    _check_load(bytes(raw), kind)


@FUZZ
@given(kind=KINDS, data=st.data())
def test_fuzz_spliced_bytes(kind, data):
    raw = VALID[kind][0]
    at = data.draw(st.integers(0, len(raw)))
    junk = data.draw(st.binary(min_size=1, max_size=64))
    drop = data.draw(st.integers(0, 16))
    _check_load(raw[:at] + junk + raw[at + drop :], kind)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=12,
)
SPECIAL_VALUES = st.sampled_from(
    [[10**6, 10**6, 2], [2**40, 1], [3, 0, 2], [3, -5, 2], 10**400, 10**30, "float16", "int64", "object",
     ["relu", "nope", "softmax"], "pickle", [], {}, None, -1, 2**63, 1e308, float("nan"), "../../etc/passwd",
     "a" * 64, "0" * 64]
)


@FUZZ
@given(kind=KINDS, data=st.data())
def test_fuzz_config_fields(kind, data):
    raw = VALID[kind][0]
    config = _config(raw)
    action = data.draw(st.sampled_from(["set", "delete", "add", "nested"]))
    key = data.draw(st.sampled_from(sorted(config)))
    if action == "set":
        config[key] = data.draw(JSON | SPECIAL_VALUES)
    elif action == "delete":
        del config[key]
    elif action == "add":
        config[data.draw(st.text(min_size=1, max_size=10))] = data.draw(JSON)
    else:  # change one value deep inside the state or the arrays table (checkpoints) or metadata
        target = config.get("state") if kind == "checkpoint" else config
        path_keys = []
        while isinstance(target, dict) and target:
            k = data.draw(st.sampled_from(sorted(target)))
            path_keys.append(k)
            if not isinstance(target[k], dict) or data.draw(st.booleans()):
                target[k] = data.draw(JSON | SPECIAL_VALUES)
                break
            target = target[k]
    _check_load(_with_members(raw, config__npy=_config_npy(config)), kind)


@FUZZ
@given(data=st.data())
def test_fuzz_checkpoint_state(data):
    """One value deep inside a checkpoint's training state or its arrays table, changed or removed."""
    raw = VALID["checkpoint"][0]
    config = _config(raw)
    target = config[data.draw(st.sampled_from(["state", "arrays"]))]
    while True:
        key = data.draw(st.sampled_from(sorted(target) if isinstance(target, dict) else range(len(target))))
        child = target[key]
        if isinstance(child, (dict, list)) and child and data.draw(st.booleans()):
            target = child
            continue
        if isinstance(target, dict) and data.draw(st.integers(0, 4)) == 0:
            del target[key]
        else:
            target[key] = data.draw(JSON | SPECIAL_VALUES)
        break
    _check_load(_with_members(raw, config__npy=_config_npy(config)), "checkpoint")


ARRAYS = st.sampled_from([
    ("int64", lambda p: p.astype(np.int64)),
    ("float16", lambda p: p.astype(np.float16)),
    ("other float", lambda p: p.astype(np.float32 if p.dtype == np.float64 else np.float64)),
    ("big-endian", lambda p: p.astype(p.dtype.newbyteorder(">"))),
    ("complex", lambda p: p.astype(np.complex128)),
    ("bool", lambda p: p > 0),
    ("strings", lambda p: p.astype(str)),
    ("one short", lambda p: p[:-1]),
    ("one long", lambda p: np.r_[p, p[:1]]),
    ("column", lambda p: p[:, None]),
    ("Fortran 2-D", lambda p: np.asfortranarray(np.stack([p, p], axis=1))),
    ("scalar", lambda p: p[0]),
    ("empty", lambda p: p[:0]),
    ("NaN", lambda p: np.where(np.arange(p.size) == 1, np.nan, p).astype(p.dtype)),
    ("inf", lambda p: np.full_like(p, np.inf)),
    ("structured", lambda p: np.zeros(p.size, dtype=[("a", p.dtype)])),
])


@FUZZ
@given(kind=KINDS, data=st.data())
def test_fuzz_wrong_arrays(kind, data):
    raw = VALID[kind][0]
    members = _members(raw)
    name = data.draw(st.sampled_from(sorted(n for n in members if n != "config.npy")))
    _, change = data.draw(ARRAYS)
    array = np.load(io.BytesIO(members[name]))
    assert _check_load(_with_members(raw, **{name.replace(".", "__"): _npy(change(array))}), kind) == "refused"


def _npy_header(shape, descr="<f8") -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def _patch_sizes(data: bytes, member: str, size: int, also_local: bool) -> bytes:
    """Declare ``size`` bytes for ``member`` in the zip's central directory (and its local header)."""
    out = bytearray(data)
    pos = 0
    while (at := out.find(b"PK\x01\x02", pos)) >= 0:
        n = struct.unpack_from("<H", out, at + 28)[0]
        if bytes(out[at + 46 : at + 46 + n]) == member.encode():
            struct.pack_into("<II", out, at + 20, size, size)
            if also_local:
                local = struct.unpack_from("<I", out, at + 42)[0]
                struct.pack_into("<II", out, local + 18, size, size)
        pos = at + 4
    return bytes(out)


def _huge_params_file(raw: bytes, n_params: int, padding: bytes) -> bytes:
    """A file whose config, .npy header and zip directory all agree on ``n_params`` parameters,
    with only ``padding`` bytes of data behind them: the forgery that makes a naive loader
    allocate 8·n_params bytes from a tiny file."""
    members = _members(raw)
    config = _config(raw)
    config.update(layer_sizes=[n_params - 1, 1], activations=["sigmoid"], loss="binary_crossentropy",
                  n_params=n_params, classes=None, feature_names=None)
    header = _npy_header((n_params,))
    members["config.npy"] = _config_npy(config)
    members["params.npy"] = header + padding
    return _patch_sizes(_zip(members.items()), "params.npy", len(header) + 8 * n_params, also_local=True)


@FUZZ
@given(kind=KINDS, data=st.data())
def test_fuzz_huge_declared_sizes(kind, data):
    raw = VALID[kind][0]
    members = _members(raw)
    name = data.draw(st.sampled_from(sorted(members)))
    where = data.draw(st.sampled_from(["npy header", "zip directory", "config", "all three agree"]))
    huge = data.draw(st.sampled_from([2**20, 2**25, 2**28, 2**31 - 1, 2**32 - 1, 2**40, 2**62]))
    padding = b"\0" * data.draw(st.sampled_from([0, 64, 8192]))
    if where == "all three agree":
        fuzzed = _huge_params_file(raw, min(huge, 2**28), padding)
    elif where == "zip directory":
        fuzzed = _patch_sizes(_zip(members.items()), name, min(huge, 2**32 - 1), data.draw(st.booleans()))
    elif where == "config":
        config = _config(raw)
        config.update(layer_sizes=[huge // 8, 1], activations=["sigmoid"], loss="binary_crossentropy",
                      n_params=huge // 8 + 1, classes=None, feature_names=None)
        fuzzed = _with_members(raw, config__npy=_config_npy(config))
    else:
        members[name] = _npy_header((huge,), "|u1" if name == "config.npy" else "<f8") + padding
        fuzzed = _zip(members.items())
    assert _check_load(fuzzed, kind) == "refused"


@FUZZ
@given(kind=KINDS, data=st.data())
def test_fuzz_members(kind, data):
    raw = VALID[kind][0]
    members = list(_members(raw).items())
    action = data.draw(st.sampled_from(["extra", "duplicate", "drop", "rename", "compress", "reorder"]))
    if action == "extra":
        name = data.draw(st.sampled_from(["evil.npy", "../evil.npy", "/etc/passwd", "state_9.npy", "params.npy/",
                                          "config.json", "\u00e9t\u00e9.npy", "a" * 200]))
        payload = data.draw(st.sampled_from([b"", b"\x93NUMPY", _npy(np.zeros(3)),
                                             _npy(np.array([_Trap()], dtype=object), allow_pickle=True)]))
        members.insert(data.draw(st.integers(0, len(members))), (name, payload))
    elif action == "duplicate":
        members.append(members[data.draw(st.integers(0, len(members) - 1))])
    elif action == "drop":
        members.pop(data.draw(st.integers(0, len(members) - 1)))
    elif action == "rename":
        i = data.draw(st.integers(0, len(members) - 1))
        members[i] = (members[i][0].upper(), members[i][1])
    elif action == "reorder":
        members.reverse()
    fuzzed = _zip(members, zipfile.ZIP_DEFLATED if action == "compress" else zipfile.ZIP_STORED)
    outcome = _check_load(fuzzed, kind)
    if action not in ("reorder",):
        assert outcome == "refused"


PICKLES = st.sampled_from(["params", "config", "state", "whole file", "extra member", "npy-in-npy"])


@FUZZ
@given(kind=KINDS, where=PICKLES)
def test_fuzz_pickled_objects_are_never_unpickled(kind, where):
    raw = VALID[kind][0]
    trap = _npy(np.array([_Trap(), _Trap()], dtype=object), allow_pickle=True)
    if where == "whole file":
        fuzzed = pickle.dumps(_Trap())
    elif where == "extra member":
        fuzzed = _with_members(raw, trap__pkl=pickle.dumps(_Trap()))
    elif where == "npy-in-npy":
        fuzzed = _with_members(raw, params__npy=_npy(np.frombuffer(trap, dtype=np.uint8)))
    elif where == "state" and kind == "checkpoint":
        fuzzed = _with_members(raw, state_0__npy=trap)
    else:
        fuzzed = _with_members(raw, **{f"{'config' if where == 'config' else 'params'}__npy": trap})
    assert _check_load(fuzzed, kind) == "refused"


def test_valid_files_load_under_the_same_checks():
    for kind, (raw, _) in VALID.items():
        assert _check_load(raw, kind) == "loaded"


# ============================================================================= nothing is lost


class _FailingFile:
    """A file object that writes ``budget`` bytes and then raises ``error`` (a disk filling up, a crash)."""

    def __init__(self, handle, budget: int, error: BaseException):
        self._handle, self._budget, self._error = handle, budget, error

    def write(self, data):
        view = memoryview(data).cast("B")
        if len(view) > self._budget:
            self._handle.write(view[: self._budget])
            self._budget = 0
            raise self._error
        self._budget -= len(view)
        return self._handle.write(view)

    def __getattr__(self, name):
        return getattr(self._handle, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._handle.__exit__(*exc)


FAULTS = [
    lambda: OSError(28, "No space left on device"),
    lambda: KeyboardInterrupt(),
    lambda: MemoryError(),
    lambda: RuntimeError("simulated crash"),
]


def _leftovers(directory) -> list[str]:
    return sorted(name for name in os.listdir(directory) if name.endswith(".tmp"))


@pytest.mark.parametrize("what", ["model", "checkpoint"])
def test_a_save_that_fails_at_any_byte_leaves_the_last_good_file_loadable(what, tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), rng.integers(0, 2, 40)
    net = bp.Network([3, 8, 1], ["tanh", "sigmoid"], "bce", seed=0)
    net.partial_fit(X, y, seed=0)
    path = tmp_path / f"{what}.npz"

    def save():
        if what == "model":
            bio.save(net, path)
        else:
            bio.save_checkpoint(path, net.trainer_)

    save()
    good = path.read_bytes()
    saved_params = net.params.copy()
    net.partial_fit(X, y)  # the next save would write different parameters
    budgets = sorted({0, 1, 30, 64, 100, 128, 500, 1000, len(good) // 2, len(good) - 100, len(good) - 1}
                     | set(range(0, len(good), max(1, len(good) // 12))))
    real_fdopen = os.fdopen
    for budget in budgets:
        for fault in FAULTS:
            COUNTS["faults"] += 1
            with monkeypatch.context() as patch:
                patch.setattr(bio.os, "fdopen", lambda *a, b=budget, e=fault(), **k: _FailingFile(real_fdopen(*a, **k), b, e))
                with pytest.raises((OSError, KeyboardInterrupt, MemoryError, RuntimeError)):
                    save()
            assert path.read_bytes() == good, f"the old file changed after a fault at byte {budget}"
            assert bio.load(path).params.tobytes() == saved_params.tobytes()
            assert _leftovers(tmp_path) == []
    for failing in ("fsync", "replace"):
        COUNTS["faults"] += 1
        with monkeypatch.context() as patch:
            patch.setattr(bio.os, failing, lambda *a, **k: (_ for _ in ()).throw(OSError(5, "I/O error")))
            with pytest.raises(OSError):
                save()
        assert path.read_bytes() == good and _leftovers(tmp_path) == []
    save()  # and with the disk healthy again the new parameters are written
    assert bio.load(path).params.tobytes() == net.params.tobytes()


def test_training_that_crashes_keeps_its_last_checkpoint_and_resumes_from_it(tmp_path, monkeypatch, capsys):
    """`backprop train --checkpoint-every 5`: the disk fills up at the third checkpoint, then training
    crashes in the middle of an epoch; each time the last good checkpoint loads and resumes."""
    from backprop.cli import main
    from backprop.train import trainer as trainer_module

    ckpt, out = tmp_path / "ckpt.npz", tmp_path / "model.npz"
    args = ["train", "moons", "--samples", "80", "--layers", "8", "--epochs", "30", "--checkpoint-every", "5",
            "--checkpoint", str(ckpt), "--out", str(out), "--quiet"]
    real_fdopen, saves = os.fdopen, []

    def disk_full_at_third(*a, **k):
        saves.append(1)
        handle = real_fdopen(*a, **k)
        return _FailingFile(handle, 200, OSError(28, "No space left on device")) if len(saves) == 3 else handle

    COUNTS["faults"] += 1
    with monkeypatch.context() as patch:
        patch.setattr(bio.os, "fdopen", disk_full_at_third)
        assert main(args) == 1
    assert "No space left on device" in capsys.readouterr().err
    net, state = bio.load_checkpoint(ckpt)
    assert state["epoch"] == 10 and np.isfinite(net.params).all() and not out.exists()

    COUNTS["faults"] += 1
    real_step = trainer_module.Trainer.train_batch

    def crash_at_step_50(self, *a, **k):
        if self.step == 50:
            raise RuntimeError("simulated crash in the middle of an epoch")
        return real_step(self, *a, **k)

    with monkeypatch.context() as patch:
        patch.setattr(trainer_module.Trainer, "train_batch", crash_at_step_50)
        assert main(args[:-1] + ["--resume", str(ckpt), "--quiet"]) == 1
    _, state = bio.load_checkpoint(ckpt)
    assert state["epoch"] == 15  # 3 batches per epoch: step 50 is in epoch 17, after the epoch-15 checkpoint
    capsys.readouterr()
    assert main(["train", "--resume", str(ckpt), "--epochs", "30", "--checkpoint-every", "5", "--checkpoint",
                 str(ckpt), "--out", str(out), "--quiet"]) == 0
    assert bio.load_checkpoint(ckpt)[1]["epoch"] == 30 and np.isfinite(bio.load(out).params).all()


def test_killing_a_training_process_never_leaves_a_broken_checkpoint(tmp_path):
    """SIGKILL at random moments of a run that checkpoints every epoch: what is on disk always loads."""
    ckpt = tmp_path / "ckpt.npz"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    command = [sys.executable, "-m", "backprop", "train", "spirals", "--layers", "64,64", "--epochs", "100000",
               "--checkpoint-every", "1", "--checkpoint", str(ckpt), "--out", str(tmp_path / "m.npz"), "--quiet"]
    delays = np.random.default_rng(8).uniform(0.0, 0.2, size=8)
    for delay in delays:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 60
            while not ckpt.exists() and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.02)
            assert process.poll() is None, process.stderr.read().decode()
            time.sleep(delay)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
            process.stderr.close()
        COUNTS["faults"] += 1
        net, state = bio.load_checkpoint(ckpt)
        assert state["epoch"] >= 1 and np.isfinite(net.params).all()
        # a save killed half-way may leave its temporary file behind, never a broken checkpoint
        COUNTS["kills_mid_save"] += bool(_leftovers(tmp_path))
        for leftover in _leftovers(tmp_path):
            os.unlink(tmp_path / leftover)
        ckpt.unlink()


def _cli_checkpoint() -> bytes:
    from backprop.cli import main

    path = os.path.join(WORK, "cli-checkpoint.npz")
    args = ["train", "moons", "--samples", "40", "--layers", "4", "--epochs", "1", "--checkpoint-every", "1",
            "--checkpoint", path, "--out", os.path.join(WORK, "cli-model.npz"), "--quiet"]
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(args) == 0
    with open(path, "rb") as f:
        return f.read()


CLI_CHECKPOINT = _cli_checkpoint()


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzz_resuming_a_damaged_checkpoint_from_the_command_line(data):
    """`backprop train --resume` on a checkpoint whose options, metadata or state were rewritten: it
    resumes, or exits with one line naming a ValueError/TypeError/OSError or a library error."""
    from backprop.cli import main

    COUNTS["fuzz"] += 1
    config = _config(CLI_CHECKPOINT)
    section = data.draw(st.sampled_from(["options", "metadata", "state"]))
    target = config["metadata"]["options"] if section == "options" else config[section]
    key = data.draw(st.sampled_from(sorted(target)))
    target[key] = data.draw(JSON | SPECIAL_VALUES)
    path = os.path.join(WORK, "fuzzed-resume.npz")
    with open(path, "wb") as f:
        f.write(_with_members(CLI_CHECKPOINT, config__npy=_config_npy(config)))
    stderr = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(stderr):
        code = main(["train", "--resume", path, "--epochs", "2", "--out", os.path.join(WORK, "resumed.npz"), "--quiet"])
    err = stderr.getvalue()
    assert code in (0, 1, 2) and "Traceback" not in err
    if code:
        kind = err.split("error: ", 1)[1].split(":", 1)[0]
        assert not kind.endswith("Error") or kind in ("DivergenceError", "ModelFileError"), err
    assert not os.path.exists(SENTINEL)


def test_fuzz_and_fault_counts():
    """The figures reported in the hardening issue's closing note (run after the tests above)."""
    print(f"\nhostile-file fuzz cases run: {COUNTS['fuzz']}; faults injected: {COUNTS['faults']} "
          f"({COUNTS['kills_mid_save']} SIGKILLs landed in the middle of a save)")
    assert COUNTS["fuzz"] == 0 or COUNTS["fuzz"] >= 500
