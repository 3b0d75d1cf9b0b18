"""Output that never costs a model (issue 16): a closed pipe, a non-UTF-8 standard output, bounded history."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import backprop as bp
from backprop.cli._output import ascii_fallback, bounded_history
from backprop.io import read_model


def _env(**extra):
    return dict(os.environ, **extra)


def test_train_piped_into_head_still_saves_the_model(tmp_path):
    # `backprop train … | head -1`: head exits after one line; train must still save and say so
    command = (f"{sys.executable} -m backprop train moons --epochs 400 --out {tmp_path / 'm.npz'} "
               f"| head -1; echo \"status=${{PIPESTATUS[0]}}\"")
    proc = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=300)
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("data: moons") and lines[-1] == "status=0", (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert (tmp_path / "m.npz").exists()
    assert read_model(tmp_path / "m.npz").metadata["epochs"] == 400


def test_a_closed_pipe_from_the_start_still_saves(tmp_path):
    # the reader is gone before the first line: every write fails with EPIPE
    proc = subprocess.Popen([sys.executable, "-m", "backprop", "train", "xor", "--epochs", "50", "--out", "x.npz"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert (tmp_path / "x.npz").exists()
    assert b"standard output was closed early" in err and b"Traceback" not in err


@pytest.mark.parametrize("encoding", ["cp1252", "ascii"])
@pytest.mark.parametrize("args", [("explain",), ("gradcheck",), ("train", "--help"), ("--help",),
                                  ("evaluate", "--help")])
def test_every_command_works_with_a_non_utf8_stdout(tmp_path, encoding, args):
    out = tmp_path / "out.txt"
    with open(out, "wb") as handle:
        proc = subprocess.run([sys.executable, "-m", "backprop", *args], stdout=handle, stderr=subprocess.PIPE,
                              env=_env(PYTHONIOENCODING=encoding), timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    text = out.read_bytes().decode(encoding)
    assert len(text) > 100 and b"Traceback" not in proc.stderr


def test_explain_in_ascii_keeps_the_math_readable(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "backprop", "explain"], capture_output=True,
                          env=_env(PYTHONIOENCODING="ascii"), timeout=300, cwd=tmp_path)
    assert proc.returncode == 0
    text = proc.stdout.decode("ascii")
    assert "->" in text  # the arrows of the architecture, written as ASCII


def test_ascii_fallback_by_hand():
    assert ascii_fallback("2 → 4 tanh, R², α·λ ≤ 1…", "ascii") == "2 -> 4 tanh, R^2, alpha*lambda <= 1..."
    assert ascii_fallback("café →", "cp1252") == "café ->"  # what cp1252 can write stays
    assert ascii_fallback("∮", "ascii") == "?"


def test_history_is_bounded_unless_asked(tmp_path):
    history = {"history": {"loss": [float(i) for i in range(10_001)]}, "epoch": list(range(10_001)),
               "best_epoch": None, "stopped_early": False, "interrupted": False}
    short = bounded_history(history, 2000)
    assert short["summarised"] == {"epochs": 10_001, "kept": len(short["epoch"]), "every": 6}
    assert len(short["epoch"]) <= 2001 and short["epoch"][0] == 0 and short["epoch"][-1] == 10_000
    assert short["history"]["loss"] == [float(e) for e in short["epoch"]]
    assert bp.History.from_dict(short).epoch == short["epoch"]  # still a valid history
    assert bounded_history({"epoch": [0, 1], "history": {"loss": [1.0, 0.5]}}, 2000)["epoch"] == [0, 1]


def test_a_long_run_writes_a_small_file_and_full_history_on_request(tmp_path):
    common = ["flower", "--layers", "4", "--activation", "tanh", "--batch-size", "full", "--epochs", "5000", "--quiet"]
    for name, extra in (("small.npz", []), ("full.npz", ["--full-history"])):
        proc = subprocess.run([sys.executable, "-m", "backprop", "train", *common, *extra, "--out", name],
                              capture_output=True, text=True, timeout=600, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
    small, full = read_model(tmp_path / "small.npz"), read_model(tmp_path / "full.npz")
    assert len(full.metadata["history"]["epoch"]) == 5000
    assert len(small.metadata["history"]["epoch"]) <= 2001 and small.metadata["history"]["summarised"]["epochs"] == 5000
    assert len(small.metadata["gradient_norms"]) <= 2001
    assert (tmp_path / "small.npz").stat().st_size < 0.5 * (tmp_path / "full.npz").stat().st_size
    # the plot command still draws the thinned curves
    proc = subprocess.run([sys.executable, "-m", "backprop", "plot", "small.npz", "--out", "plots"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
