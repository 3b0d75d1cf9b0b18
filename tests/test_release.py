"""A release builds: sdist and wheel, `twine check`, the wheel's contents and metadata, and the
wheel installed into a fresh virtual environment runs `import backprop` and `backprop demo`.

The build runs once per test session (module fixture); the fresh venv installs numpy from the
package index (or pip's cache), as a user's would.
"""

from __future__ import annotations

import email
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import backprop

REPO = Path(__file__).resolve().parents[1]
DIST_NAME = "backprop-mlp"


def _run(cmd: list[str], *, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> dict[str, Path]:
    pytest.importorskip("build", reason="the release test needs 'build' (pip install '.[test]')")
    out = tmp_path_factory.mktemp("dist")
    proc = _run([sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(out), str(REPO)])
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    wheels, sdists = list(out.glob("*.whl")), list(out.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, sorted(p.name for p in out.iterdir())
    return {"wheel": wheels[0], "sdist": sdists[0], "dir": out}


def test_file_names_carry_the_distribution_name_and_version(dist):
    version = backprop.__version__
    assert dist["wheel"].name == f"backprop_mlp-{version}-py3-none-any.whl"
    assert dist["sdist"].name == f"backprop_mlp-{version}.tar.gz"


def test_twine_check_passes_on_both(dist):
    pytest.importorskip("twine", reason="the release test needs 'twine' (pip install '.[test]')")
    proc = _run([sys.executable, "-m", "twine", "check", "--strict", str(dist["wheel"]), str(dist["sdist"])])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("PASSED") == 2, proc.stdout


def test_wheel_holds_the_package_and_nothing_else(dist):
    names = zipfile.ZipFile(dist["wheel"]).namelist()
    top = {n.split("/")[0] for n in names}
    assert top == {"backprop", f"backprop_mlp-{backprop.__version__}.dist-info"}, top
    for required in ("backprop/__init__.py", "backprop/py.typed", "backprop/core/network.py",
                     "backprop/shallow.py", "backprop/cli/__init__.py"):
        assert required in names, required
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/", "examples/", "docs/"))]
    # every module of the source tree is in the wheel
    source = {str(p.relative_to(REPO / "src")).replace(os.sep, "/") for p in (REPO / "src" / "backprop").rglob("*.py")}
    assert source <= set(names), sorted(source - set(names))


def test_wheel_metadata_names_install_import_license_and_urls(dist):
    zf = zipfile.ZipFile(dist["wheel"])
    info = f"backprop_mlp-{backprop.__version__}.dist-info"
    meta = email.message_from_string(zf.read(f"{info}/METADATA").decode())
    assert meta["Name"] == DIST_NAME
    assert meta["Version"] == backprop.__version__ == "0.2.0"
    assert meta["Requires-Python"] == ">=3.10"
    assert meta["License-Expression"] == "MIT"
    assert f"{info}/licenses/LICENSE" in zf.namelist()
    classifiers = meta.get_all("Classifier")
    assert "Typing :: Typed" in classifiers and "Intended Audience :: Education" in classifiers
    assert meta.get_all("Project-URL"), "no project URLs in the metadata"
    requires = meta.get_all("Requires-Dist")
    assert [r for r in requires if "extra" not in r] == ["numpy>=1.23"]  # numpy is the only hard dependency
    assert "pip install backprop-mlp" in meta.get_payload()  # the README, as the long description
    entry_points = zf.read(f"{info}/entry_points.txt").decode()
    assert "backprop = backprop.cli:main" in entry_points


def test_sdist_holds_the_sources_license_changelog_and_tests(dist):
    names = tarfile.open(dist["sdist"]).getnames()
    root = f"backprop_mlp-{backprop.__version__}"
    for required in ("pyproject.toml", "README.md", "LICENSE", "CHANGELOG.md", "src/backprop/__init__.py",
                     "src/backprop/py.typed", "tests/test_release.py"):
        assert f"{root}/{required}" in names, required


def test_fresh_venv_installs_the_wheel_and_runs_the_demo(dist, tmp_path):
    venv = tmp_path / "venv"
    proc = _run([sys.executable, "-m", "venv", str(venv)])
    assert proc.returncode == 0, proc.stderr
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / "python"
    proc = _run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(dist["wheel"])])
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    proc = _run([str(python), "-c", "import backprop, sys; print(backprop.__version__); print(backprop.__file__)"],
                cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    version, location = proc.stdout.split()
    assert version == backprop.__version__
    assert Path(location).resolve().is_relative_to(venv.resolve())  # the installed copy, not the checkout

    work = tmp_path / "work"
    work.mkdir()
    proc = _run([str(bindir / "backprop"), "demo", "--iterations", "2000"], cwd=work)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    costs = [float(line.split(":")[1]) for line in proc.stdout.splitlines() if line.startswith("Cost after iteration")]
    assert len(costs) == 2 and costs[0] == pytest.approx(0.693, abs=1e-3) and costs[-1] < costs[0]
    accuracy = float(proc.stdout.split("training accuracy:")[1].split("%")[0])
    assert accuracy > 80.0
    # no matplotlib in the fresh venv: the demo says so and names the extra, and still succeeds
    assert "pip install 'backprop-mlp[plot]'" in proc.stdout
