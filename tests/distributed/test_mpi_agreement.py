"""Processes that train together check that they agree before the first collective call (issue 19).

Ranks that call ``fit`` with different arguments or data of other shapes used to wait for each
other forever or end in MPICH's ``message truncated``; a bare ``MPIComm()`` hung the job when
one rank raised; a rank's last message could be lost in the abort. Here: :func:`check_agreement`
on simulated ranks (every field, many values), then real jobs under ``mpiexec``: a table of
disagreements caught on every rank, uncaught disagreements that end the job with every
rank's message, the command line with ranks given different data or options (MPMD), a bare
``MPIComm()`` and ``MPIComm(COMM_WORLD)`` that raise, and the pipe draining before the abort.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

import backprop as bp  # noqa: E402
from backprop.core.validation import ValidationError  # noqa: E402
from backprop.train.agreement import DisagreementError, check_agreement, fit_fields  # noqa: E402

# --------------------------------------------------------------------------- simulated ranks


def _names(message: str, field: str) -> bool:
    """The message lists ``field`` among the differences, with the ranks' values."""
    return "must agree on what they train, and they differ in " in message and (
        f"{field} (rank" in message or f"{field} (ranks" in message)


class _Rank:
    """Rank ``rank`` of ``size``: its all-reduce adds the tables the other ranks wrote (recorded first)."""

    def __init__(self, rank, size, tables=None):
        self.rank, self.size, self.tables, self.written = rank, size, tables, None

    def allreduce_(self, buffer):
        if self.tables is None:  # recording pass
            self.written = buffer.copy()
            raise _Recorded
        buffer[...] = sum(self.tables)

    def bcast_(self, buffer, root=0):
        raise AssertionError("check_agreement broadcasts nothing")


class _Recorded(Exception):
    pass


def run_ranks(fields_of_rank, size):
    """check_agreement on ``size`` simulated ranks; the error message of each rank (None: agreed)."""
    tables = []
    for r in range(size):
        comm = _Rank(r, size)
        with pytest.raises(_Recorded):
            check_agreement(comm, fields_of_rank(r))
        tables.append(comm.written)
    messages = []
    for r in range(size):
        try:
            check_agreement(_Rank(r, size, tables), fields_of_rank(r))
            messages.append(None)
        except DisagreementError as exc:
            messages.append(str(exc))
    return messages


BASE = {"epochs": 5, "batch_size": 32, "optimizer": "adam", "learning_rate": 0.01, "l2": 0.0, "dropout": [0.0, 0.1],
        "layer sizes": [3, 8, 1], "dtype": "float64", "features": (3,), "rows": 100, "sharded": False, "flag": True}

# field, the value of the odd ranks, what the message must show for them
DIFFERENT = [
    ("epochs", 3, "3"),
    ("epochs", 5000000, "5000000"),
    ("batch_size", None, "None"),
    ("batch_size", 33, "33"),
    ("optimizer", "sgd", "'sgd'"),
    ("learning_rate", 0.1, "0.1"),
    ("learning_rate", float("nan"), "nan"),
    ("l2", 1e-4, "0.0001"),
    ("dropout", [0.0, 0.2], "[0.0, 0.2]"),
    ("layer sizes", [4, 8, 1], "[4, 8, 1]"),
    ("dtype", "float32", "'float32'"),
    ("features", (4,), "(4,)"),
    ("rows", 99, "99"),
    ("sharded", True, "True"),
    ("flag", False, "False"),
    ("epochs", 2**60, str(2**60)),
]


@pytest.mark.parametrize("size", [2, 3, 5])
@pytest.mark.parametrize(("field", "odd", "shown"), DIFFERENT, ids=[f"{f}={v!r}" for f, v, _ in DIFFERENT])
def test_every_rank_says_which_field_differs_and_what_it_has(field, odd, shown, size):
    messages = run_ranks(lambda r: {**BASE, field: odd if r % 2 else BASE[field]}, size)
    assert all(m is not None for m in messages), "some rank did not notice"
    for r, message in enumerate(messages):
        assert f"differ in {field} (" in message and f"this is rank {r}" in message, message
        assert message.count(" (rank") == 1, "only the differing field is named"
        if r % 2:
            assert shown in message, message  # each rank shows its own value, however it is encoded
        assert f"{size} processes" in message


@pytest.mark.parametrize("size", [2, 4])
def test_ranks_that_agree_pass_in_one_all_reduce(size):
    assert run_ranks(lambda r: dict(BASE), size) == [None] * size


def test_several_fields_differ_and_all_are_named():
    messages = run_ranks(lambda r: {**BASE, "epochs": 5 + r, "optimizer": ["adam", "sgd", "rmsprop"][r]}, 3)
    for message in messages:
        assert "epochs (rank 0: 5, rank 1: 6, rank 2: 7)" in message
        assert "optimizer (" in message


def test_ranks_with_equal_values_are_grouped():
    messages = run_ranks(lambda r: {**BASE, "epochs": 3 if r == 4 else 5}, 6)
    assert "epochs (ranks 0, 1, 2, 3, 5: 5, rank 4: 3)" in messages[0]
    assert "epochs (ranks 0-3: 5, rank 4: 3)" in run_ranks(lambda r: {**BASE, "epochs": 3 if r == 4 else 5}, 5)[0]


def test_another_version_of_the_program_is_named():
    messages = run_ranks(lambda r: {**BASE, **({"extra": 1} if r else {})}, 2)
    assert all("different versions of the program" in m for m in messages)


def test_one_process_checks_nothing():
    class Alone:
        rank, size = 0, 1

        def allreduce_(self, buffer):
            raise AssertionError("no communication with one process")

    check_agreement(Alone(), {"epochs": 1})


def test_the_error_is_a_validation_error_marked_collective():
    messages = run_ranks(lambda r: {"epochs": r}, 2)
    assert messages[0]
    assert issubclass(DisagreementError, ValidationError) and DisagreementError.collective


def _fit_fields(**overrides):
    net = bp.Network([3, 4, 1], ["tanh", "sigmoid"], "bce", seed=0)
    trainer = bp.train.Trainer(net, optimizer="adam", learning_rate=0.01, batch_size=8, seed=overrides.pop("seed", 0))
    X, y = np.zeros((10, 3)), np.zeros(10)
    args = dict(X=X, Y=y, epochs=3, sharded=False, validation_data=None, validation_split=0.0, seed=None,
                sample_weight=None, class_weight=None, run_options={"verbose": 0, "early_stopping": False})
    args.update(overrides)
    return fit_fields(net, trainer, args.pop("X"), args.pop("Y"), args.pop("epochs"), **args)


@pytest.mark.parametrize(("change", "field"), [
    (dict(X=np.zeros((10, 4))), "features (columns of X)"),
    (dict(X=np.zeros((11, 3)), Y=np.zeros(11)), "rows of X"),
    (dict(Y=np.zeros((10, 2))), "target columns (Y's shape after the rows)"),
    (dict(epochs=4), "epochs"),
    (dict(sharded=True), "sharded"),
    (dict(sample_weight=np.ones(10)), "sample_weight given"),
    (dict(class_weight={0: 1.0, 1: 2.0}), "class_weight"),
    (dict(validation_split=0.2), "validation_split"),
    (dict(validation_data=(np.zeros((2, 3)), np.zeros(2))), "validation_data given"),
    (dict(run_options={"verbose": 0, "early_stopping": True}), "early_stopping"),
])
def test_fit_compares_the_network_options_and_data_shapes(change, field):
    base, changed = _fit_fields(), _fit_fields(**change)
    assert base[field] != changed[field]
    messages = run_ranks(lambda r: changed if r else base, 2)
    assert all(_names(m, field) for m in messages), messages


def test_fit_ignores_what_may_differ():
    """Rows of sharded data, the seed (rank 0's generator is shared), verbose (rank 0 alone prints)."""
    a = _fit_fields(sharded=True, run_options={"verbose": 1, "early_stopping": False}, seed=1)
    b = _fit_fields(sharded=True, X=np.zeros((7, 3)), Y=np.zeros(7), run_options={"verbose": 0, "early_stopping": False},
                    seed=2)
    assert run_ranks(lambda r: b if r else a, 2) == [None, None]


def test_drain_output_waits_until_the_reader_has_read():
    from backprop.distributed.comm import drain_output

    r, w = os.pipe()
    try:
        os.write(w, b"x" * 1000)
        start = time.monotonic()
        assert drain_output(0.2, fds=(w,)) is False  # nobody reads: gives up after the timeout
        assert time.monotonic() - start >= 0.2
        assert os.read(r, 2000) == b"x" * 1000
        assert drain_output(0.2, fds=(w,)) is True
        assert drain_output(0.2, fds=(r,)) is True  # the read end: nothing unread either
    finally:
        os.close(r)
        os.close(w)


def test_drain_output_does_not_wait_for_files(tmp_path):
    from backprop.distributed.comm import drain_output

    with open(tmp_path / "f", "wb") as f:
        f.write(b"abc")
        assert drain_output(0.01, fds=(f.fileno(),)) is True


# --------------------------------------------------------------------------- real MPI jobs


def _mpiexec() -> list[str]:
    pytest.importorskip("mpi4py")
    exe = shutil.which("mpiexec") or shutil.which("mpirun")
    if exe is None:
        pytest.skip("no mpiexec on PATH (pip install mpich)")
    version = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30, check=False).stdout
    if "Open MPI" in version or "OpenRTE" in version:
        return [exe, "--oversubscribe", "--allow-run-as-root"]
    return [exe]


def _env():
    return dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
                PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))


def _run(cmd, timeout=120):
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(), cwd=ROOT,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"{' '.join(cmd[:6])}… did not end within {timeout} s (a hang); stderr:\n{err[-3000:]}")
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err), time.perf_counter() - start


def launch(n, scenario, outdir, *args, timeout=120):
    return _run([*_mpiexec(), "-n", str(n), sys.executable, str(Path(__file__).resolve()), scenario, str(outdir),
                 *args], timeout)


# Each: (fit keyword arguments of rank 0, of the other ranks, the field named). Caught on every rank.
TABLE = {
    "epochs": ({"epochs": 2}, {"epochs": 3}, "epochs"),
    "batch_size": ({"batch_size": 4}, {"batch_size": 8}, "batch_size"),
    "optimizer": ({"optimizer": "adam"}, {"optimizer": "sgd"}, "optimizer"),
    "learning_rate": ({"learning_rate": 0.01}, {"learning_rate": 0.02}, "learning_rate"),
    "l2": ({"l2": 0.0}, {"l2": 0.1}, "l2"),
    "dropout": ({"dropout": 0.0}, {"dropout": 0.5}, "dropout"),
    "clip_norm": ({"clip_norm": None}, {"clip_norm": 1.0}, "clip_norm"),
    "shuffle": ({"shuffle": True}, {"shuffle": False}, "shuffle"),
    "early_stopping": ({"early_stopping": False}, {"early_stopping": True, "validation_split": 0.25},
                       "early_stopping"),
    "sharded": ({"sharded": False}, {"sharded": True}, "sharded"),
    "features": ({"n_features": 3}, {"n_features": 4}, "features (columns of X)"),
    "rows": ({"rows": 40}, {"rows": 36}, "rows of X"),
    "layers": ({"hidden": 4}, {"hidden": 5}, "layer sizes"),
    "dtype": ({"dtype": "float64"}, {"dtype": "float32"}, "dtype"),
    "sample_weight": ({"weights": False}, {"weights": True}, "sample_weight given"),
}


def _fit_case(comm, options):
    options = dict(options)
    n_features, rows = options.pop("n_features", 3), options.pop("rows", 40)
    hidden, dtype, weights = options.pop("hidden", 4), options.pop("dtype", "float64"), options.pop("weights", False)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(rows, n_features))
    y = (X[:, 0] > 0).astype(float)
    net = bp.Network([n_features, hidden, 1], ["tanh", "sigmoid"], "bce", seed=0, dtype=dtype)
    options.setdefault("epochs", 2)
    return net.fit(X, y, comm=comm, seed=0, sample_weight=np.ones(rows) if weights else None, **options)


@pytest.fixture(scope="module")
def table_job(tmp_path_factory):
    out = tmp_path_factory.mktemp("agreement")
    proc, seconds = launch(3, "table", out, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out, seconds


@pytest.mark.parametrize("case", sorted(TABLE))
def test_ranks_of_a_real_job_that_disagree_all_say_what_differs(table_job, case):
    out, _ = table_job
    field = TABLE[case][2]
    for rank in range(3):
        result = json.loads((out / f"rank{rank}.json").read_text())[case]
        assert result["error"] == "DisagreementError", result
        assert _names(result["message"], field), result
        assert f"this is rank {rank}" in result["message"]


def test_fit_scaler_on_ranks_with_other_columns_says_so(table_job):
    out, _ = table_job
    for rank in range(3):
        result = json.loads((out / f"rank{rank}.json").read_text())["fit_scaler"]
        assert result["error"] == "DisagreementError", result
        assert "features (columns of X) (rank 0: 2, rank 1: 3, rank 2: 4)" in result["message"], result


def test_a_real_job_whose_ranks_agree_trains_after_the_check(table_job):
    out, _ = table_job
    losses = [json.loads((out / f"rank{r}.json").read_text())["agree"] for r in range(3)]
    assert all(isinstance(v, float) and np.isfinite(v) for v in losses)
    assert losses[0] == losses[1] == losses[2]  # sharded rows of different counts: identical training


@pytest.mark.parametrize("case", ["features", "rows", "epochs", "layers"])
def test_an_uncaught_disagreement_ends_the_job_with_every_ranks_message(tmp_path, case):
    proc, seconds = launch(2, "uncaught", tmp_path, case, timeout=120)
    assert proc.returncode != 0
    assert seconds < 60
    field = TABLE[case][2]
    for rank in range(2):
        assert f"[backprop rank {rank} of 2] " in proc.stderr, proc.stderr[-3000:]
        assert f"this is rank {rank}" in proc.stderr, proc.stderr[-3000:]
    assert _names(proc.stderr, field), proc.stderr[-3000:]
    assert "message truncated" not in proc.stderr and "message sizes do not match" not in proc.stderr


@pytest.mark.parametrize("how", ["bare", "world"])
def test_a_bare_mpicomm_aborts_the_job_when_a_rank_raises(tmp_path, how):
    proc, seconds = launch(3, "bare", tmp_path, how, timeout=120)
    assert proc.returncode != 0 and seconds < 60, proc.stderr[-3000:]
    assert "[backprop rank 1 of 3] RuntimeError: rank 1 fails at step 3" in proc.stderr, proc.stderr[-3000:]
    assert "aborting all 3 processes" in proc.stderr


def test_a_rank_that_raises_is_heard_even_when_its_output_is_large(tmp_path):
    """64 KB written just before the error: the abort waits until the launcher has read it all."""
    proc, _ = launch(2, "loud", tmp_path, timeout=120)
    assert proc.returncode != 0
    assert proc.stdout.count("x" * 1000) == 64, len(proc.stdout)
    assert "[backprop rank 1 of 2] RuntimeError: loud rank fails" in proc.stderr, proc.stderr[-3000:]


def _mpmd(first, second, tmp_path, timeout=120):
    cmd = [*_mpiexec(), "-n", "1", sys.executable, "-m", "backprop", *first, ":", "-n", "1", sys.executable, "-m",
           "backprop", *second]
    return _run(cmd, timeout)


def _csv(path, n_features, rows=40):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(rows, n_features))
    y = (X[:, 0] > 0).astype(int)
    header = ",".join([f"x{i}" for i in range(n_features)] + ["y"])
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", header=header, comments="", fmt="%.6g")
    return str(path)


@pytest.mark.parametrize(("case", "field"), [("features", "features"), ("rows", "rows"), ("epochs", "epochs"),
                                             ("layers", "options")])
def test_the_command_line_ranks_with_other_data_or_options_say_so(tmp_path, case, field):
    a = _csv(tmp_path / "a.csv", 3)
    b = {"features": lambda: _csv(tmp_path / "b.csv", 4), "rows": lambda: _csv(tmp_path / "b.csv", 3, rows=36)}.get(
        case, lambda: a)()
    common = ["train", "--epochs", "2", "--quiet", "--mpi", "on"]
    first = [*common, a, "--out", str(tmp_path / "m0.npz")]
    second = [*common, b, "--out", str(tmp_path / "m1.npz")]
    if case == "epochs":
        second[2] = "3"
    if case == "layers":
        second += ["--layers", "5"]
    proc, seconds = _mpmd(first, second, tmp_path)
    assert proc.returncode != 0 and seconds < 60
    assert _names(proc.stderr, field), proc.stderr[-3000:]
    for rank in range(2):
        assert f"this is rank {rank}" in proc.stderr, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr and "message truncated" not in proc.stderr


# --------------------------------------------------------------------------- the MPI program


def _main(scenario, out, args):
    from backprop.distributed import MPIComm, fit_scaler, get_comm
    from backprop.train import Callback

    if scenario == "table":
        comm = get_comm(mpi=True)
        results = {}
        for case, (first, other, _) in TABLE.items():
            try:
                _fit_case(comm, first if comm.rank == 0 else other)
                results[case] = {"error": None, "message": ""}
            except ValidationError as exc:
                results[case] = {"error": type(exc).__name__, "message": str(exc)}
        try:
            fit_scaler(np.zeros((5, 2 + comm.rank)), comm)
            results["fit_scaler"] = {"error": None, "message": ""}
        except ValidationError as exc:
            results["fit_scaler"] = {"error": type(exc).__name__, "message": str(exc)}
        history = _fit_case(comm, {"sharded": True, "rows": 40 - 3 * comm.rank, "epochs": 2})
        results["agree"] = float(history.history["loss"][-1])
        (out / f"rank{comm.rank}.json").write_text(json.dumps(results))
    elif scenario == "uncaught":
        comm = get_comm(mpi=True)
        first, other, _ = TABLE[args[0]]
        _fit_case(comm, first if comm.rank == 0 else other)
    elif scenario == "bare":
        from mpi4py import MPI

        comm = MPIComm() if args[0] == "bare" else MPIComm(MPI.COMM_WORLD)

        class Fail(Callback):
            def on_batch_end(self, step, logs):
                if comm.rank == 1 and step == 3:
                    raise RuntimeError("rank 1 fails at step 3")

        _fit_case(comm, {"epochs": 10_000, "batch_size": 4, "callbacks": [Fail()]})
    elif scenario == "loud":
        comm = MPIComm()
        if comm.rank == 1:
            for _ in range(64):
                sys.stdout.write("x" * 1000 + "\n")
            raise RuntimeError("loud rank fails")
        _fit_case(comm, {"epochs": 100_000})


if __name__ == "__main__":
    _main(sys.argv[1], Path(sys.argv[2]), sys.argv[3:])
