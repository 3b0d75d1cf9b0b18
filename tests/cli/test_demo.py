"""`backprop demo` end to end, in a subprocess."""

import os
import subprocess
import sys

import pytest


def run_cli(*args, cwd=None, timeout=120):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.run([sys.executable, "-m", "backprop", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout)


def test_demo_trains_the_course_network(tmp_path):
    result = run_cli("demo", "--plot-out", str(tmp_path / "flower.png"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = [l for l in result.stdout.splitlines() if l.startswith("Cost after iteration")]
    assert len(lines) == 10
    costs = [float(l.split(":")[1]) for l in lines]
    assert costs[0] == pytest.approx(0.693, abs=1e-3)  # log 2: the tiny initial weights predict 0.5
    assert costs[-1] < 0.25
    accuracy = float(result.stdout.split("training accuracy:")[1].split("%")[0])
    assert accuracy >= 88.0
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return
    assert (tmp_path / "flower.png").stat().st_size > 10_000


def test_version_and_usage_errors():
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.startswith("backprop ")
    result = run_cli("demo", "--iterations", "0")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "--iterations" in result.stderr
    assert run_cli().returncode == 2
