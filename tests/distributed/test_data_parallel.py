"""Data-parallel training: the math on simulated ranks, and real MPI runs launched with mpiexec.

Part 1 runs in this process: a LocalComm, and a thread-based communicator (``ThreadComm``)
that simulates N ranks summing in rank order, to show that the per-rank parts of every
step add up to single-process training, for replicated and sharded data.

Part 2 launches this file as an MPI program (``mpiexec -n N python tests/distributed/test_data_parallel.py
SCENARIO OUTDIR``; see ``worker_main`` at the end), each run under a timeout, each rank writing
its results to an .npz file that the test compares with single-process training. These tests
are skipped when mpi4py or mpiexec is missing.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import backprop as bp
from backprop.train import Callback, LocalComm
from backprop.train.trainer import Dataset, Trainer

ROOT = Path(__file__).resolve().parents[2]
RTOL = 1e-12  # float64: relative to the largest parameter


# ------------------------------------------------------------------ the shared problem

def problem(m: int = 37):
    """A 3-class problem with sample weights; the same arrays in every process."""
    rng = np.random.default_rng(2024)
    X = rng.normal(size=(m, 4))
    y = (X[:, 0] + X[:, 1] ** 2 > 0.5).astype(int) + (X[:, 2] > 1)
    sw = rng.uniform(0.5, 2.0, m)
    return X, y, sw


def make_net(dtype=np.float64) -> bp.Network:
    return bp.Network([4, 8, 6, 3], ["relu", "tanh", "softmax"], "cce", seed=1, dtype=dtype)


# options of the "full" training run: Adam, dropout, L2, clipping, weights, uneven batches (37 = 3·10 + 7)
FULL = dict(optimizer="adam", learning_rate=0.01, epochs=3, batch_size=10, seed=3, dropout=0.2, l2=0.01,
            clip_norm=1.0)


def shard_rows(m: int, rank: int, size: int) -> np.ndarray:
    return np.array_split(np.arange(m), size)[rank]


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


# ------------------------------------------------------------------ simulated ranks

class ThreadComm:
    """N ranks as threads of one process; sums are taken in rank order, so every rank gets the same bits."""

    def __init__(self, group: _Group, rank: int):
        self.group, self.rank, self.size = group, rank, group.size
        self.aborted = None

    def allreduce_(self, buffer):
        g = self.group
        g.slots[self.rank] = buffer.copy()
        g.barrier.wait()
        total = g.slots[0].copy()
        for part in g.slots[1:]:
            total += part
        g.barrier.wait()
        buffer[...] = total

    def bcast_(self, buffer, root=0):
        g = self.group
        if self.rank == root:
            g.slots[root] = buffer.copy()
        g.barrier.wait()
        buffer[...] = g.slots[root]
        g.barrier.wait()


class _Group:
    def __init__(self, size):
        self.size = size
        self.barrier = threading.Barrier(size, timeout=30)
        self.slots = [None] * size


def run_ranks(size: int, fn):
    """Run ``fn(comm)`` on ``size`` simulated ranks; return the per-rank results (re-raise the first error)."""
    group = _Group(size)
    results, errors = [None] * size, []

    def target(rank):
        try:
            results[rank] = fn(ThreadComm(group, rank))
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            errors.append(exc)
            group.barrier.abort()

    threads = [threading.Thread(target=target, args=(r,)) for r in range(size)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    if errors:
        raise errors[0]
    return results


def assert_exact(per_rank_params, reference):
    for params in per_rank_params:
        np.testing.assert_array_equal(params, per_rank_params[0])  # identical on every rank
    assert relative_error(per_rank_params[0], reference) <= RTOL


# ------------------------------------------------------------------ part 1: the math

def test_local_comm_is_the_single_process_path():
    X, y, sw = problem()
    a, b = make_net(), make_net()
    ha = a.fit(X, y, sample_weight=sw, **FULL)
    hb = b.fit(X, y, sample_weight=sw, comm=LocalComm(), **FULL)
    np.testing.assert_array_equal(a.params, b.params)
    assert ha["loss"] == hb["loss"]
    c = make_net()
    c.fit(X, y, sample_weight=sw, comm=LocalComm(), sharded=True, **FULL)  # one rank holds every row
    np.testing.assert_array_equal(a.params, c.params)


@pytest.mark.parametrize("size", [2, 3, 4])
def test_per_rank_gradient_sums_divided_by_the_global_batch_are_the_gradient(size):
    """Σ_r Σ_{i in shard r} ∇ℓ_i / B = ∇J of the whole batch, for uneven shards of B = 10."""
    X, y, _ = problem(10)
    net = make_net()
    _, full = net.cost_and_gradient(X, y)
    total = np.zeros_like(full)
    for rank in range(size):
        rows = shard_rows(10, rank, size)
        if rows.size == 0:
            continue
        cache = net.forward_columns(np.ascontiguousarray(X[rows].T))
        total += net.backward_columns(cache, net.targets(y[rows], rows.size), 1.0 / 10)
    assert relative_error(total, full) <= 1e-14
    if 10 % size == 0:
        return
    wrong = np.zeros_like(full)  # uneven shards: averaging the ranks' mean gradients is another gradient
    for rank in range(size):
        rows = shard_rows(10, rank, size)
        cache = net.forward_columns(np.ascontiguousarray(X[rows].T))
        wrong += net.backward_columns(cache, net.targets(y[rows], rows.size), 1.0 / rows.size) / size
    assert relative_error(wrong, full) > 1e-6


@pytest.mark.parametrize("size", [2, 3])
@pytest.mark.parametrize("sharded", [False, True], ids=["replicated", "sharded"])
def test_simulated_ranks_train_exactly_like_one_process(size, sharded):
    X, y, sw = problem()
    ref = make_net()
    h = ref.fit(X, y, sample_weight=sw, **FULL)

    def rank_fit(comm):
        rows = shard_rows(len(X), comm.rank, comm.size) if sharded else slice(None)
        net = make_net()
        hist = net.fit(X[rows], y[rows], sample_weight=sw[rows], comm=comm, sharded=sharded, **FULL)
        return net.params.copy(), hist

    results = run_ranks(size, rank_fit)
    assert_exact([p for p, _ in results], ref.params)
    for _, hist in results:
        np.testing.assert_allclose(hist["loss"], h["loss"], rtol=1e-13)
        assert hist["accuracy"] == h["accuracy"]


def _regression_net():
    return bp.Network([4, 5, 1], ["tanh", "identity"], "mse", seed=2)


OTHER_SETTINGS = {
    # name: (network, fit options, per-example arguments, calls of partial_fit or None for fit)
    "lbfgs": (make_net, dict(optimizer="lbfgs", batch_size=None, epochs=5, seed=0, l2=0.1), ("sample_weight",), None),
    "balanced": (make_net, dict(optimizer="momentum", epochs=2, batch_size=8, seed=5, class_weight="balanced"), (), None),
    "full_batch_dropout": (make_net, dict(optimizer="sgd", epochs=3, batch_size=None, seed=5, dropout=0.3), (), None),
    "partial_fit": (make_net, dict(optimizer="rmsprop", batch_size=6, seed=4, dropout=0.1), (), 3),
    "regression": (_regression_net, dict(optimizer="sgd", learning_rate=0.05, epochs=2, batch_size=7, seed=9), (), None),
    "in_order": (make_net, dict(optimizer="adam", epochs=2, batch_size=7, shuffle=False, seed=1), ("sample_weight",), None),
}


@pytest.mark.parametrize("case", sorted(OTHER_SETTINGS))
def test_simulated_sharded_ranks_in_other_settings(case):
    make, opts, per_example, calls = OTHER_SETTINGS[case]
    if opts["optimizer"] == "lbfgs":
        pytest.importorskip("scipy")
    X, y, sw = problem()
    if case == "regression":
        y = X @ np.array([1.0, -2.0, 0.5, 0.0])

    def train(rows, **kw):
        net = make()
        extra = {"sample_weight": sw[rows]} if per_example else {}
        if calls is None:
            net.fit(X[rows], y[rows], **extra, **opts, **kw)
        else:
            for _ in range(calls):
                net.partial_fit(X[rows], y[rows], **extra, **opts, **kw)
        return net.params.copy()

    reference = train(slice(None))
    results = run_ranks(3, lambda comm: train(shard_rows(len(X), comm.rank, comm.size), comm=comm, sharded=True))
    assert_exact(results, reference)


def test_simulated_replicated_ranks_with_batches_in_order():
    """shuffle=False: batches are row ranges (views on one process); each rank takes its part."""
    X, y, sw = problem()
    opts = dict(optimizer="sgd", learning_rate=0.1, epochs=2, batch_size=9, shuffle=False)
    ref = make_net()
    ref.fit(X, y, sample_weight=sw, **opts)

    def rank_fit(comm):
        net = make_net()
        net.fit(X, y, sample_weight=sw, comm=comm, **opts)
        return net.params.copy()

    assert_exact(run_ranks(3, rank_fit), ref.params)


def test_one_ranks_stop_request_stops_every_rank_after_the_same_epoch():
    X, y, _ = problem()

    class StopOnRank1(Callback):
        def __init__(self, rank):
            self.rank = rank

        def on_epoch_end(self, epoch, logs):
            return self.rank == 1 and epoch == 1

    def rank_fit(comm):
        net = make_net()
        hist = net.fit(X, y, comm=comm, epochs=5, seed=0, callbacks=[StopOnRank1(comm.rank)])
        return len(hist["loss"]), hist.stopped_early, net.params.copy()

    results = run_ranks(3, rank_fit)
    assert [r[:2] for r in results] == [(2, True)] * 3
    assert_exact([r[2] for r in results], results[0][2])


def test_ranks_with_different_generators_follow_rank_0s():
    """Rank r passes default_rng(r): rank 0's state is shared at the start, so it is training with default_rng(0)."""
    X, y, _ = problem()
    ref = make_net()
    ref.fit(X, y, epochs=2, batch_size=5, seed=np.random.default_rng(0), dropout=0.1)

    def rank_fit(comm):
        net = make_net()
        net.fit(X, y, comm=comm, epochs=2, batch_size=5, seed=np.random.default_rng(comm.rank), dropout=0.1)
        return net.params.copy()

    assert_exact(run_ranks(3, rank_fit), ref.params)


def test_seed_none_with_validation_split_splits_alike_on_every_rank():
    X, y, _ = problem()

    def rank_fit(comm):
        net = make_net()
        hist = net.fit(X, y, comm=comm, epochs=2, batch_size=5, seed=None, validation_split=0.3)
        return net.params.copy(), hist["val_loss"]

    results = run_ranks(2, rank_fit)
    np.testing.assert_array_equal(results[0][0], results[1][0])
    assert results[0][1] == results[1][1]  # the same validation rows on both ranks


def test_sharded_mode_refuses_validation_split_on_every_rank():
    X, y, _ = problem()

    def rank_fit(comm):
        rows = shard_rows(len(X), comm.rank, comm.size)
        with pytest.raises(bp.ValidationError, match="validation_split: not with sharded=True"):
            make_net().fit(X[rows], y[rows], comm=comm, sharded=True, validation_split=0.2, seed=0)
        return True

    assert run_ranks(2, rank_fit) == [True, True]


def test_a_generator_other_than_pcg64_is_refused_with_several_ranks():
    X, y, _ = problem()

    def rank_fit(comm):
        with pytest.raises(bp.ValidationError, match="PCG64"):
            make_net().fit(X, y, comm=comm, seed=np.random.Generator(np.random.MT19937(0)))
        return True

    assert run_ranks(2, rank_fit) == [True, True]


# ------------------------------------------------------------------ helpers of backprop.distributed

class FakeComm:
    """A rank of a pretend job; ``abort`` records instead of ending the process."""

    def __init__(self, rank=1, size=2):
        self.rank, self.size, self.aborted = rank, size, None

    def allreduce_(self, buffer):
        pass

    def bcast_(self, buffer, root=0):
        pass

    def abort(self, code=1):
        self.aborted = code


def test_get_comm_without_a_launcher_is_local_and_never_imports_mpi4py(monkeypatch):
    from backprop import distributed

    for name in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE", "SLURM_STEP_NUM_TASKS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # importing it would fail
    assert distributed.launched_size() == 1
    assert isinstance(distributed.get_comm(), LocalComm)
    assert isinstance(distributed.get_comm(mpi=False), LocalComm)
    assert distributed.is_root()


@pytest.mark.parametrize("variable", ["PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "SLURM_STEP_NUM_TASKS"])
def test_under_a_launcher_a_missing_mpi4py_names_the_extra(monkeypatch, variable):
    from backprop import distributed

    monkeypatch.setenv(variable, "4")
    assert distributed.launched_size() == 4
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    with pytest.raises(ImportError, match=r"backprop-mlp\[mpi\]"):
        distributed.get_comm()
    with pytest.raises(ImportError, match=r"backprop-mlp\[mpi\]"):
        distributed.MPIComm()


def test_root_print_and_root_only_act_on_rank_0(capsys):
    from backprop.distributed import RootOnly, root_print

    root_print("hello", comm=FakeComm(rank=0))
    root_print("never", comm=FakeComm(rank=1))
    assert capsys.readouterr().out == "hello\n"

    class Record(Callback):
        def __init__(self):
            self.calls = []

        def on_train_begin(self, trainer):
            self.calls.append("begin")

        def on_epoch_end(self, epoch, logs):
            self.calls.append(epoch)
            return True

    on_root, elsewhere = Record(), Record()
    assert RootOnly(on_root, FakeComm(rank=0)).on_epoch_end(3, {}) is True
    assert RootOnly(elsewhere, FakeComm(rank=1)).on_epoch_end(3, {}) is None
    RootOnly(elsewhere, FakeComm(rank=1)).on_train_begin(None)
    assert on_root.calls == [3] and elsewhere.calls == []


def test_same_on_all_ranks_sees_one_differing_bit():
    from backprop.distributed import same_on_all_ranks

    def check(comm):
        a = np.linspace(0, 1, 5)
        same = same_on_all_ranks(a, comm)
        if comm.rank == 2:
            a[3] = np.nextafter(a[3], 2)
        return same, same_on_all_ranks(a, comm)

    assert run_ranks(3, check) == [(True, False)] * 3


@pytest.mark.parametrize("size", [1, 2, 3, 5])
def test_load_shard_parts_concatenate_to_the_file(tmp_path, size):
    from backprop.distributed import load_shard

    X, y, _ = problem(11)
    csv = tmp_path / "d.csv"
    np.savetxt(csv, np.column_stack([X, y]), delimiter=",", header="a,b,c,d,label", comments="")
    npz = tmp_path / "d.npz"
    np.savez(npz, X=X, y=y)
    for path in (csv, npz):
        parts = [load_shard(path, FakeComm(rank=r, size=size)) for r in range(size)]
        assert [p.n_samples for p in parts] == [len(r) for r in np.array_split(np.arange(11), size)]
        np.testing.assert_allclose(np.concatenate([p.X for p in parts]), X, rtol=1e-15)
        np.testing.assert_array_equal(np.concatenate([p.y for p in parts]), y)


def test_collective_helpers_equal_their_single_process_results():
    """unique_labels, fit_scaler and evaluate over shards (one of them empty) = on the whole data."""
    from backprop.data import StandardScaler
    from backprop.distributed import evaluate, fit_scaler, unique_labels

    X, y, sw = problem(9)
    y = np.where(np.arange(9) < 7, 0, 2)  # the classes 2 live on the last rank only
    net = make_net()
    whole = StandardScaler().fit(X)
    expected = net.evaluate(X, y, sw)

    def on_rank(comm):
        rows = shard_rows(9, comm.rank, comm.size)
        scaler = fit_scaler(X[rows], comm)
        return unique_labels(y[rows], comm), scaler.mean_, scaler.scale_, evaluate(net, X[rows], y[rows], comm, sw[rows])

    for labels, mean, scale, scores in run_ranks(10, on_rank):  # 10 ranks, 9 rows: rank 9 holds none
        np.testing.assert_array_equal(labels, [0, 2])
        np.testing.assert_allclose(mean, whole.mean_, rtol=1e-14)
        np.testing.assert_allclose(scale, whole.scale_, rtol=1e-14)
        assert scores["loss"] == pytest.approx(expected["loss"], rel=1e-14)
        assert scores["accuracy"] == pytest.approx(expected["accuracy"], rel=1e-15)


def test_abort_on_error_reports_the_rank_and_aborts(capsys):
    from backprop.distributed import abort_on_error

    comm = FakeComm(rank=1, size=3)
    with pytest.raises(ZeroDivisionError), abort_on_error(comm):
        _ = 1 / 0
    assert comm.aborted == 1
    err = capsys.readouterr().err
    assert "[backprop rank 1 of 3]" in err and "ZeroDivisionError on rank 1: aborting all 3 processes" in err
    for code, expected in ((0, None), (None, None), (4, 4)):
        comm = FakeComm()
        with pytest.raises(SystemExit), abort_on_error(comm):
            sys.exit(code)
        assert comm.aborted == expected
    capsys.readouterr()
    comm = FakeComm()
    with pytest.raises(KeyError), abort_on_error(comm, traceback=False):
        _ = {}["missing"]
    err = capsys.readouterr().err
    assert "[backprop rank 1 of 2] KeyError: 'missing'" in err and "Traceback" not in err
    alone = FakeComm(rank=0, size=1)
    with pytest.raises(ValueError), abort_on_error(alone):
        raise ValueError
    assert alone.aborted is None


def test_install_excepthook_aborts_after_printing(monkeypatch, capsys):
    from backprop.distributed import install_excepthook

    monkeypatch.setattr(sys, "excepthook", sys.__excepthook__)
    comm = FakeComm(rank=2, size=4)
    install_excepthook(comm)
    hook = sys.excepthook
    install_excepthook(comm)  # again (or for another communicator object): one hook
    install_excepthook(FakeComm(rank=2, size=4))
    assert sys.excepthook is hook
    try:
        raise RuntimeError("bad shard")
    except RuntimeError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    assert comm.aborted == 1
    assert "[backprop rank 2 of 4] RuntimeError: bad shard" in capsys.readouterr().err


# ------------------------------------------------------------------ part 2: real MPI

def _mpiexec() -> list[str]:
    pytest.importorskip("mpi4py")
    exe = shutil.which("mpiexec") or shutil.which("mpirun")
    if exe is None:
        pytest.skip("no mpiexec on PATH (pip install mpich)")
    version = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30, check=False).stdout
    extra = ["--oversubscribe", "--allow-run-as-root"] if "Open MPI" in version or "OpenRTE" in version else []
    return [exe, *extra]


def launch(n: int, scenario: str, outdir: Path, *args: str, timeout: float = 120):
    """Run ``scenario`` of this file on ``n`` MPI ranks; return (completed process, seconds)."""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    cmd = [*_mpiexec(), "-n", str(n), sys.executable, str(Path(__file__).resolve()), scenario, str(outdir), *args]
    start = time.perf_counter()
    # A session of its own, so that a hung job is ended whole (mpiexec, its proxies and every rank).
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT,
                            start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        pytest.fail(f"mpiexec -n {n} {scenario} did not end within {timeout} s; stderr:\n{stderr[-3000:]}")
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr), time.perf_counter() - start


def rank_results(outdir: Path, n: int) -> list[dict]:
    out = []
    for r in range(n):
        with np.load(outdir / f"rank{r}.npz") as f:
            out.append({k: f[k] for k in f.files})
    return out


VARIANTS = {
    # name: (sharded, dtype, fit options)
    "replicated": (False, np.float64, FULL),
    "sharded": (True, np.float64, FULL),
    "sharded_full_batch": (True, np.float64, dict(optimizer="sgd", learning_rate=0.5, batch_size=None, epochs=4,
                                                    seed=0, dropout=0.1)),
    "replicated_float32": (False, np.float32, FULL),
}


def fit_variant(name, comm=None):
    sharded, dtype, opts = VARIANTS[name]
    X, y, sw = problem()
    rows = shard_rows(len(X), comm.rank, comm.size) if (sharded and comm is not None) else slice(None)
    net = make_net(dtype)
    hist = net.fit(X[rows], y[rows], sample_weight=sw[rows], comm=comm, sharded=sharded, **opts)
    return net.params.copy(), np.array(hist["loss"])


@pytest.mark.parametrize("n", [2, 3])
def test_mpi_training_equals_one_process_and_ranks_agree(tmp_path, n):
    proc, _ = launch(n, "train", tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = rank_results(tmp_path, n)
    for name, (_, dtype, _) in VARIANTS.items():
        params, loss = fit_variant(name)
        for r in results:  # bitwise the same on every rank
            np.testing.assert_array_equal(r[f"{name}_params"], results[0][f"{name}_params"])
            assert r[f"{name}_in_sync"]
        got = results[0][f"{name}_params"]
        assert got.dtype == dtype
        if dtype == np.float64:
            assert relative_error(got, params) <= RTOL, name
            np.testing.assert_allclose(results[0][f"{name}_loss"], loss, rtol=1e-12)
        else:
            assert relative_error(got, params) <= 1e-5, name
    assert [int(r["rank"]) for r in results] == list(range(n))
    assert all(int(r["size"]) == n for r in results)
    assert proc.stdout.count("root says hello") == 1  # root_print: rank 0 alone


@pytest.mark.parametrize("how", ["raise", "sigkill", "os_exit"])
def test_one_failing_rank_ends_the_whole_job_promptly(tmp_path, how):
    proc, seconds = launch(3, "fail", tmp_path, how, timeout=60)
    assert proc.returncode != 0
    assert seconds < 30
    if how == "raise":
        assert "[backprop rank 1 of 3] RuntimeError: rank 1 fails at step 5" in proc.stderr
        assert "aborting all 3 processes" in proc.stderr


def test_ctrl_c_on_one_rank_stops_every_rank_after_the_same_step(tmp_path):
    proc, _ = launch(2, "interrupt", tmp_path, timeout=60)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = rank_results(tmp_path, 2)
    assert [int(r["step"]) for r in results] == [7, 7]  # Ctrl-C after step 6 on rank 1: shared by step 7
    assert all(bool(r["interrupted"]) for r in results)
    np.testing.assert_array_equal(results[0]["params"], results[1]["params"])


RESUME = dict(optimizer="adam", learning_rate=0.01, batch_size=8, seed=7, dropout=0.2, l2=0.001)
RESUME_EPOCHS = 5


@pytest.mark.parametrize("n_resume", [2, 3])
def test_resume_after_a_failure_equals_an_uninterrupted_run(tmp_path, n_resume):
    """2 ranks train with a checkpoint per epoch (rank 0 writes); rank 1 dies in epoch 3; resume on n ranks."""
    proc, seconds = launch(2, "resume", tmp_path, "crash", timeout=60)
    assert proc.returncode != 0 and seconds < 30
    from backprop.io import load_checkpoint as load

    assert load(tmp_path / "checkpoint.npz")[1]["epoch"] == 3  # the checkpoint of the last finished epoch
    proc, _ = launch(n_resume, "resume", tmp_path, "continue", timeout=60)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = rank_results(tmp_path, n_resume)

    X, y, _ = problem()
    ref = make_net()
    h = ref.fit(X, y, epochs=RESUME_EPOCHS, **RESUME)
    assert_exact([r["params"] for r in results], ref.params)
    np.testing.assert_allclose(results[0]["loss"], h["loss"][3:], rtol=1e-12)


def save_checkpoint(path: Path, trainer) -> None:
    from backprop.io import save_checkpoint as save

    save(path, trainer)  # atomic: a crash while writing leaves the previous checkpoint


def load_checkpoint(path: Path, net, trainer) -> None:
    from backprop.io import load_checkpoint as load

    saved, state = load(path)
    net.params[...] = saved.params
    trainer.load_state_dict(state)


# ------------------------------------------------------------------ the MPI program

class _At(Callback):
    """Call ``action`` after step ``step`` on rank ``rank``."""

    def __init__(self, comm, rank, step, action):
        self.comm, self.rank, self.step, self.action = comm, rank, step, action

    def on_batch_end(self, step, logs):
        if self.comm.rank == self.rank and step == self.step:
            self.action()


class _Checkpoint(Callback):
    def __init__(self, path):
        self.path, self.trainer = path, None

    def on_train_begin(self, trainer):
        self.trainer = trainer

    def on_epoch_end(self, epoch, logs):
        save_checkpoint(self.path, self.trainer)


def worker_main(scenario: str, outdir: str, *args: str) -> None:
    from backprop.distributed import (
        MPIComm,
        RootOnly,
        get_comm,
        root_print,
        same_on_all_ranks,
    )

    comm = get_comm()
    assert isinstance(comm, MPIComm), comm
    assert get_comm() is comm and sys.excepthook is not sys.__excepthook__
    out = Path(outdir)
    results: dict[str, np.ndarray] = {"rank": np.array(comm.rank), "size": np.array(comm.size)}
    if scenario == "train":
        for name in VARIANTS:
            params, loss = fit_variant(name, comm)
            results[f"{name}_params"], results[f"{name}_loss"] = params, loss
            results[f"{name}_in_sync"] = np.array(same_on_all_ranks(params, comm))
        root_print("root says hello", comm=comm)
    elif scenario == "fail":
        how = args[0]

        def fail():
            if how == "raise":
                raise RuntimeError("rank 1 fails at step 5")
            if how == "sigkill":
                os.kill(os.getpid(), signal.SIGKILL)
            os._exit(3)

        X, y, _ = problem()
        make_net().fit(X, y, comm=comm, epochs=10_000, batch_size=4, seed=0, callbacks=[_At(comm, 1, 5, fail)])
    elif scenario == "interrupt":
        X, y, _ = problem()
        net = make_net()
        hist = net.fit(X, y, comm=comm, epochs=100, batch_size=4, seed=0,
                       callbacks=[_At(comm, 1, 6, lambda: os.kill(os.getpid(), signal.SIGINT))])
        results.update(params=net.params, step=np.array(net.trainer_.step), interrupted=np.array(hist.interrupted))
    elif scenario == "resume":
        X, y, _ = problem()
        net = make_net()
        trainer = Trainer(net, comm=comm, **RESUME)
        rows = shard_rows(len(X), comm.rank, comm.size)  # sharded data: this rank's rows only
        data = Dataset(net, X[rows], y[rows], shard_comm=comm)
        path = out / "checkpoint.npz"
        if args[0] == "crash":
            def crash():
                raise RuntimeError("rank 1 dies in epoch 3")

            steps_per_epoch = -(-len(X) // RESUME["batch_size"])
            trainer.run(data, RESUME_EPOCHS, callbacks=[RootOnly(_Checkpoint(path), comm),
                                                        _At(comm, 1, 3 * steps_per_epoch + 2, crash)])
            return
        load_checkpoint(path, net, trainer)  # every rank reads the file rank 0 wrote
        hist = trainer.run(data, RESUME_EPOCHS - trainer.epoch)
        results.update(params=net.params, loss=np.array(hist["loss"]))
    np.savez(out / f"rank{comm.rank}.npz", **results)


if __name__ == "__main__":
    worker_main(*sys.argv[1:])
