"""`mpiexec -n 2 backprop train …`: the command line on several processes.

Part 1 runs in this process: the data shards of the command line, the refusal of
``--shard`` with ``--validation-split``, and :func:`report_once` (an error in the ranks' own
work is printed once, by the lowest failing rank, and every rank exits) on fake ranks.

Part 2 launches ``python -m backprop train`` under ``mpiexec -n 2`` (each under a timeout)
and compares the model file with a single-process run of the same command: equal to
1e-12 in float64, one copy of every printed line, files written by rank 0 alone (each
rank runs in a directory of its own, so a file from rank 1 would show), and a bad
argument ending the job at once with one line. Skipped when mpi4py or mpiexec is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import backprop as bp
from backprop.cli import main
from backprop.cli._common import report_once
from backprop.cli._data import load_data

RTOL = 1e-12  # float64, relative to the largest parameter


@pytest.fixture
def labelled_csv(tmp_path):
    """37 rows, 3 integer classes sorted by label: rank 0 of 2 holds classes 0 and 1 only, rank 1 classes 1 and 2."""
    rng = np.random.default_rng(7)
    y = np.repeat([0, 1, 2], [12, 13, 12])
    X = rng.normal(size=(37, 3)) + y[:, None]
    path = tmp_path / "data.csv"
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", fmt=["%.6f"] * 3 + ["%d"], header="a,b,c,label",
               comments="")
    return path


# ------------------------------------------------------------------ part 1: in this process

@pytest.mark.parametrize("kind", ["csv", "npz", "builtin"])
def test_the_shards_of_the_data_are_its_rows_in_order(labelled_csv, tmp_path, kind):
    if kind == "npz":
        whole = load_data(str(labelled_csv))
        spec = str(tmp_path / "data.npz")
        np.savez(spec, X=whole.X, y=whole.y)
    else:
        spec = str(labelled_csv) if kind == "csv" else "moons"
    whole = load_data(spec, n_samples=37 if kind == "builtin" else None)
    parts = [load_data(spec, n_samples=37 if kind == "builtin" else None, shard=(r, 3)) for r in range(3)]
    assert [len(p.X) for p in parts] == [13, 12, 12]
    np.testing.assert_array_equal(np.concatenate([p.X for p in parts]), whole.X)
    np.testing.assert_array_equal(np.concatenate([p.y for p in parts]), whole.y)
    if kind == "csv":  # a part may lack a class: the integer classes are left to be gathered from every rank
        assert all(p.classes is None for p in parts)
    else:  # loaded whole before cutting: the classes of all rows
        assert all(np.array_equal(p.classes, whole.classes) for p in parts)


def test_shard_refuses_a_validation_split_even_alone(labelled_csv, capsys):
    assert main(["train", str(labelled_csv), "--shard", "--validation-split", "0.2", "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--validation-split: not with --shard" in err


@pytest.mark.parametrize("cells, said", [("1,east,0", "string features"), ("1,,0", "missing value")])
def test_shard_says_why_a_table_with_text_or_missing_cells_needs_all_rows(tmp_path, capsys, cells, said):
    (tmp_path / "t.csv").write_text(f"a,region,y\n{cells}\n2,3,1\n3,4,0\n")
    assert main(["train", str(tmp_path / "t.csv"), "--shard", "--epochs", "1", "--out", str(tmp_path / "m.npz")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and said in err and "train without --shard" in err
    assert main(["train", str(tmp_path / "t.csv"), "--epochs", "1", "--out", str(tmp_path / "m.npz"), "--quiet"]) == 0


def test_shard_alone_trains_like_no_shard(labelled_csv, tmp_path, capsys):
    common = ["train", str(labelled_csv), "--epochs", "2", "--layers", "4", "--quiet"]
    assert main([*common, "--out", str(tmp_path / "a.npz")]) == 0
    assert main([*common, "--shard", "--mpi", "off", "--out", str(tmp_path / "b.npz")]) == 0
    assert np.array_equal(bp.load(tmp_path / "a.npz").params, bp.load(tmp_path / "b.npz").params)


class _FakeRank:
    """Rank ``rank`` of 2; ``allreduce_`` adds what the other rank contributes (given)."""

    size = 2

    def __init__(self, rank, other):
        self.rank, self.other = rank, np.asarray(other, dtype=float)

    def allreduce_(self, buffer):
        buffer += self.other

    def bcast_(self, buffer, root=0):
        pass


def _block(comm, error=None):
    with report_once(comm, "train"):
        if error is not None:
            raise error


@pytest.mark.parametrize(
    "rank, error, other, code, printed",
    [
        (0, None, [0, 0], None, ""),                                     # nobody failed: go on
        (0, None, [0, 2], 2, ""),                                        # rank 1 failed: rank 0 exits quietly
        (1, ValueError("--epochs: bad"), [0, 0], 2, "backprop train: error (rank 1 of 2): --epochs: bad\n"),
        (0, ValueError("--epochs: bad"), [0, 2], 2, "backprop train: error: --epochs: bad\n"),  # both: rank 0 says it
        (1, ValueError("--epochs: bad"), [2, 0], 2, ""),                 # ... and rank 1 is quiet
        (1, FileNotFoundError("no data.csv"), [0, 0], 1, "backprop train: error (rank 1 of 2): no data.csv\n"),
    ],
)
def test_report_once_prints_the_lowest_failing_ranks_error_and_every_rank_exits(rank, error, other, code, printed,
                                                                                 capsys):
    comm = _FakeRank(rank, other)
    if code is None:
        _block(comm, error)
    else:
        with pytest.raises(SystemExit) as exit_info:
            _block(comm, error)
        assert exit_info.value.code == code
    assert capsys.readouterr().err == printed


def test_report_once_with_one_process_lets_the_error_through():
    from backprop.train import LocalComm

    with pytest.raises(ValueError, match="bad"):
        _block(LocalComm(), ValueError("bad"))


# ------------------------------------------------------------------ part 2: real MPI

def _mpiexec() -> list[str]:
    pytest.importorskip("mpi4py")
    exe = shutil.which("mpiexec") or shutil.which("mpirun")
    if exe is None:
        pytest.skip("no mpiexec on PATH (pip install mpich)")
    version = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30, check=False).stdout
    extra = ["--oversubscribe", "--allow-run-as-root"] if "Open MPI" in version or "OpenRTE" in version else []
    return [exe, *extra]


def mpi_train(tmp_path: Path, *args, timeout: float = 60):
    """``backprop train ARGS`` on 2 ranks, rank r in its own directory ``tmp_path/rank{r}``: (process, seconds)."""
    dirs = [tmp_path / f"rank{r}" for r in range(2)]
    for d in dirs:
        d.mkdir(exist_ok=True)
    program = [sys.executable, "-m", "backprop", "train", *map(str, args)]
    mpiexec = _mpiexec()
    cmd = [*mpiexec, "-n", "1", "-wdir", str(dirs[0]), *program, ":", "-n", "1", "-wdir", str(dirs[1]), *program]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               MKL_NUM_THREADS="1", MPLBACKEND="Agg")
    start = time.perf_counter()
    # A session of its own, so that a hung job is ended whole (mpiexec, its proxies and every rank).
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        pytest.fail(f"mpiexec did not end within {timeout} s; stderr:\n{stderr[-3000:]}")
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr), time.perf_counter() - start


def one_process(tmp_path: Path, *args) -> str:
    """The same command in this process (no MPI): its stdout."""
    out = tmp_path / "alone"
    out.mkdir(exist_ok=True)
    cwd = os.getcwd()
    try:
        os.chdir(out)
        import contextlib
        import io

        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            assert main(["train", *map(str, args)]) == 0
    finally:
        os.chdir(cwd)
    return buffer.getvalue()


def relative_error(a, b) -> float:
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def epoch_lines(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if re.match(r"epoch \d+/\d+ ", line)]


@pytest.mark.parametrize("mode", ["sharded", "replicated"])
def test_mpiexec_train_equals_one_process_and_rank_0_alone_prints_and_writes(labelled_csv, tmp_path, mode):
    options = ["--layers", "6", "--epochs", "3", "--batch-size", "8", "--dropout", "0.2", "--l2", "0.01",
               "--standardize", "--seed", "3", "--dtype", "float64", "--checkpoint-every", "2",
               "--checkpoint", "ckpt-{epoch}.npz", "--out", "model.npz"]
    if mode == "sharded":
        options += ["--shard"]
    else:  # a validation split is possible when every rank holds every row
        options += ["--validation-split", "0.25"]
    proc, _ = mpi_train(tmp_path, labelled_csv, *options)
    assert proc.returncode == 0, proc.stderr[-3000:]
    alone = one_process(tmp_path, labelled_csv, *options)

    rank0, rank1, ref = tmp_path / "rank0", tmp_path / "rank1", tmp_path / "alone"
    assert sorted(p.name for p in rank0.iterdir()) == ["ckpt-2.npz", "model.npz"]
    assert list(rank1.iterdir()) == []  # rank 1 wrote nothing
    got, want = bp.load(rank0 / "model.npz"), bp.load(ref / "model.npz")
    assert relative_error(got.params, want.params) <= RTOL
    assert np.array_equal(got.classes_, want.classes_)
    assert got.metadata_["n_train"] == want.metadata_["n_train"] == (37 if mode == "sharded" else 27)
    assert relative_error(bp.load(rank0 / "ckpt-2.npz").params, bp.load(ref / "ckpt-2.npz").params) <= RTOL

    # every line once, from rank 0; the same lines as alone, plus one naming the processes
    assert len(epoch_lines(proc.stdout)) == 3
    assert proc.stdout.count("model saved to model.npz") == 1
    assert proc.stdout.count("processes: 2 (MPI)") == 1
    lines = [line for line in proc.stdout.splitlines() if not line.startswith("processes:")]
    strip = re.compile(r"\s+[\d.]+s$")  # the epoch's seconds
    assert [strip.sub("", line) for line in lines] == [strip.sub("", line) for line in alone.splitlines()]
    assert "rank" not in proc.stderr


@pytest.fixture
def regression_csv(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(23, 2))
    y = X @ [1.5, -2.0] + 0.1 * rng.normal(size=23)
    path = tmp_path / "reg.csv"
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", fmt="%.6f")
    return path


def test_mpiexec_train_regression_scores_are_those_of_all_rows(regression_csv, tmp_path):
    options = [regression_csv, "--layers", "4", "--epochs", "2", "--standardize", "--shard", "--quiet", "--out", "r.npz"]
    proc, _ = mpi_train(tmp_path, *options)
    assert proc.returncode == 0, proc.stderr[-3000:]
    one_process(tmp_path, *options)
    got = bp.load(tmp_path / "rank0" / "r.npz").metadata_["scores"]
    want = bp.load(tmp_path / "alone" / "r.npz").metadata_["scores"]
    assert set(got) == set(want) == {"train_loss", "train_mse", "train_r2"}
    for key in want:  # R² from global sums (the mean of all rows first), not rank 0's rows
        assert got[key] == pytest.approx(want[key], rel=1e-10), key


@pytest.mark.parametrize(
    "args, message",
    [
        (["--shard", "--validation-split", "0.2"], "backprop train: error: --validation-split: not with --shard"),
        (["--activation", "nope"], "backprop train: error: activation: unknown name 'nope'"),
        (["--mpi", "nope"], "backprop train: error: argument --mpi: invalid choice: 'nope'"),
    ],
)
def test_a_bad_argument_under_mpiexec_exits_at_once_with_one_line(labelled_csv, tmp_path, args, message):
    proc, seconds = mpi_train(tmp_path, labelled_csv, *args)
    assert proc.returncode == 2
    assert seconds < 30
    assert proc.stderr.count(message) == 1, proc.stderr
    if "--mpi" not in args:  # argparse's errors come with its usage line
        assert proc.stderr.strip().count("\n") == 0, proc.stderr
    assert proc.stdout == ""


def test_data_missing_on_rank_1_only_ends_the_job_with_that_ranks_line(labelled_csv, tmp_path):
    """A relative path that exists in rank 0's directory only (a file not on a shared file system)."""
    (tmp_path / "rank0").mkdir()
    shutil.copy(labelled_csv, tmp_path / "rank0" / "local.csv")
    proc, seconds = mpi_train(tmp_path, "local.csv", "--shard", "--epochs", "1")
    assert proc.returncode == 2 and seconds < 30
    assert proc.stderr.startswith("backprop train: error (rank 1 of 2): data: expected an existing .csv/.npz file")
    assert proc.stderr.strip().count("\n") == 0, proc.stderr


def test_more_processes_than_rows_with_shard_is_one_clear_error(tmp_path):
    data = tmp_path / "one.csv"
    data.write_text("a,b,label\n0.5,1.5,0\n")
    proc, seconds = mpi_train(tmp_path, data, "--shard", "--task", "regression", "--epochs", "1")
    assert proc.returncode == 2 and seconds < 30
    assert proc.stderr.startswith("backprop train: error (rank 1 of 2): --shard: ")
    assert "fewer rows than the 2 processes" in proc.stderr and proc.stderr.strip().count("\n") == 0, proc.stderr


def test_an_error_while_training_aborts_every_rank_promptly(regression_csv, tmp_path):
    proc, seconds = mpi_train(tmp_path, regression_csv, "--shard", "--optimizer", "sgd", "--learning-rate", "1e30",
                              "--epochs", "50")
    assert proc.returncode != 0 and seconds < 30
    assert "DivergenceError: training diverged" in proc.stderr and "aborting all 2 processes" in proc.stderr
    assert "backprop train: error" not in proc.stderr  # MPI_Abort ended the processes: main printed nothing more
    assert not (tmp_path / "rank0" / "model.npz").exists()
