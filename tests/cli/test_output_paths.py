"""No command overwrites what it reads; outputs replace a regular file or nothing; inputs are regular
files; killed writers' temporaries are cleaned up (issue 19, data loss and hangs).

Systematic: every command × every output option × every spelling of one of its inputs (the
same name, ``./``, an absolute path, ``dir/..``, a symbolic link, a link to a link, a hard
link); every output option × {directory, FIFO, /dev/null, /dev/zero, link to /dev/null,
missing directory}; every reader × {FIFO, /dev/zero, /dev/urandom, directory, missing,
link to a FIFO, dangling link}; ``atomic_write`` × every kind of target; stale temporaries.
"""

from __future__ import annotations

import contextlib
import io
import os
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import backprop as bp
import backprop.io as bio
from backprop.cli import main
from backprop.data import load_csv, load_npz
from backprop.data.table import read_table
from backprop.io.paths import (
    check_distinct,
    check_input_file,
    is_stream,
    remove_stale_temporaries,
    temporary_prefix,
    write_target,
)

ROOT = Path(__file__).resolve().parents[2]


def run_cli(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:
            code = exc.code
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("paths")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = (X[:, 0] > 0).astype(int)
    np.savetxt(d / "data.csv", np.column_stack([X, y]), delimiter=",", header="a,b,y", comments="", fmt="%.6g")
    code, _, err = run_cli(["train", d / "data.csv", "--epochs", "2", "--quiet", "--layers", "3", "--out",
                            d / "model.npz", "--checkpoint-every", "1", "--checkpoint", d / "ckpt.npz"])
    assert code == 0, err
    return d


def _spellings(d: Path, name: str) -> dict[str, str]:
    """Ways to name the file d/name (created fresh in a sub-directory for the links)."""
    links = d / "links"
    links.mkdir(exist_ok=True)
    target = d / name
    out = {"same": str(target), "dot": os.path.join(str(d), ".", name), "dotdot": str(d / "links" / ".." / name)}
    sym = links / f"sym-{name}"
    if not sym.exists():
        sym.symlink_to(target)
    symsym = links / f"symsym-{name}"
    if not symsym.exists():
        symsym.symlink_to(sym)
    hard = links / f"hard-{name}"
    if not hard.exists():
        os.link(target, hard)
    out.update(symlink=str(sym), link_to_link=str(symsym), hardlink=str(hard))
    return out


SPELLINGS = ["same", "dot", "dotdot", "symlink", "link_to_link", "hardlink"]

# command, the input's option and file, the output option; argv built from (input, output) paths
COLLISIONS = {
    "train data -> --out": (lambda f, o: ["train", f / "data.csv", "--epochs", "1", "--quiet", "--out", o],
                            "data.csv", "--out", "data"),
    "train data -> --checkpoint": (lambda f, o: ["train", f / "data.csv", "--epochs", "1", "--quiet", "--out",
                                                 f / "new.npz", "--checkpoint-every", "1", "--checkpoint", o],
                                   "data.csv", "--checkpoint", "data"),
    "train --resume -> --out": (lambda f, o: ["train", "--resume", f / "ckpt.npz", "--epochs", "3", "--quiet",
                                              "--out", o], "ckpt.npz", "--out", "--resume"),
    "train data(resume) -> --out": (lambda f, o: ["train", f / "data.csv", "--resume", f / "ckpt.npz", "--epochs",
                                                  "3", "--quiet", "--out", o], "data.csv", "--out", "data"),
    "predict model -> --out": (lambda f, o: ["predict", f / "model.npz", f / "data.csv", "--out", o],
                               "model.npz", "--out", "model"),
    "predict data -> --out": (lambda f, o: ["predict", f / "model.npz", f / "data.csv", "--out", o],
                              "data.csv", "--out", "data"),
}


@pytest.mark.parametrize("spelling", SPELLINGS)
@pytest.mark.parametrize("case", sorted(COLLISIONS))
def test_an_output_that_is_an_input_is_refused_before_any_work(files, case, spelling):
    argv_of, name, out_option, in_option = COLLISIONS[case]
    before = {p: p.read_bytes() for p in files.iterdir() if p.is_file()}
    out = _spellings(files, name)[spelling]
    code, stdout, err = run_cli(argv_of(files, out))
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert f"{out_option}: refusing to overwrite the input {in_option}" in err and name in err, err
    assert "network:" not in stdout  # nothing trained
    assert {p: p.read_bytes() for p in files.iterdir() if p.is_file()} == before


@pytest.mark.parametrize("spelling", ["same", "dot", "symlink", "hardlink"])
def test_two_outputs_that_are_one_file_are_refused(files, tmp_path, spelling):
    (tmp_path / "m.npz").write_bytes(b"old")
    out = _spellings(tmp_path, "m.npz")[spelling]
    code, _, err = run_cli(["train", files / "data.csv", "--epochs", "1", "--quiet", "--out", tmp_path / "m.npz",
                            "--checkpoint-every", "1", "--checkpoint", out])
    assert code == 2 and "is the same file as --out" in err, err
    assert (tmp_path / "m.npz").read_bytes() == b"old"


def test_a_checkpoint_template_that_reaches_an_input_is_refused(files, tmp_path):
    data = tmp_path / "run-2.csv"
    data.write_bytes((files / "data.csv").read_bytes())
    code, _, err = run_cli(["train", data, "--epochs", "4", "--quiet", "--out", tmp_path / "m.npz",
                            "--checkpoint-every", "2", "--checkpoint", tmp_path / "run-{epoch}.csv"])
    assert code == 2 and "--checkpoint: refusing to overwrite the input data" in err, err


def test_resuming_may_keep_writing_the_checkpoint_it_resumed_from(files, tmp_path):
    ckpt = tmp_path / "c.npz"
    ckpt.write_bytes((files / "ckpt.npz").read_bytes())
    code, _, err = run_cli(["train", "--resume", ckpt, "--epochs", "3", "--quiet", "--out", tmp_path / "m.npz",
                            "--checkpoint-every", "1", "--checkpoint", ckpt])
    assert code == 0, err
    assert bio.load_checkpoint(ckpt)[1]["epoch"] == 3


@pytest.mark.parametrize("how", ["symlink", "hardlink"])
@pytest.mark.parametrize("which", ["model", "data"])
def test_plot_files_that_are_inputs_are_refused(files, tmp_path, how, which):
    pytest.importorskip("matplotlib")
    out = tmp_path / "plots"
    out.mkdir()
    source = files / ("model.npz" if which == "model" else "data.csv")
    link = out / "decision_boundary.png"
    link.symlink_to(source) if how == "symlink" else os.link(source, link)
    before = source.read_bytes()
    code, _, err = run_cli(["plot", files / "model.npz", "--data", files / "data.csv", "--out", out])
    assert code == 2 and "refusing to overwrite the input" in err, err
    assert source.read_bytes() == before


@pytest.mark.parametrize("option", ["train --plot", "plot --out"])
def test_a_plot_directory_that_is_a_file_is_refused_before_training(files, tmp_path, option):
    target = tmp_path / "plots.png"
    target.write_bytes(b"keep")
    argv = (["train", files / "data.csv", "--epochs", "1", "--out", tmp_path / "m.npz", "--plot", target]
            if option == "train --plot" else ["plot", files / "model.npz", "--out", target])
    code, stdout, err = run_cli(argv)
    assert code == 2 and "expected a directory for the PNG files" in err, err
    assert "network:" not in stdout and target.read_bytes() == b"keep"


# --------------------------------------------------------------------------- kinds of output


def _fifo(tmp_path, name="f.fifo"):
    path = tmp_path / name
    os.mkfifo(path)
    return path


OUTPUT_OPTIONS = {
    "train --out": lambda f, o: ["train", f / "data.csv", "--epochs", "1", "--quiet", "--out", o],
    "train --checkpoint": lambda f, o: ["train", f / "data.csv", "--epochs", "1", "--quiet", "--out",
                                        f / "unused.npz", "--checkpoint-every", "1", "--checkpoint", o],
    "demo --plot-out": lambda f, o: ["demo", "--iterations", "10", "--plot-out", o],
}

KINDS = ["directory", "fifo", "dev_null", "dev_zero", "link_to_dev_null", "missing_directory"]


def _output_of_kind(kind, tmp_path):
    if kind == "directory":
        return tmp_path
    if kind == "fifo":
        return _fifo(tmp_path)
    if kind == "dev_null":
        return Path("/dev/null")
    if kind == "dev_zero":
        return Path("/dev/zero")
    if kind == "link_to_dev_null":
        link = tmp_path / "null-link"
        link.symlink_to("/dev/null")
        return link
    return tmp_path / "missing" / "out.npz"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("option", sorted(OUTPUT_OPTIONS))
def test_outputs_that_are_not_regular_files_are_refused_before_any_work(files, tmp_path, option, kind):
    out = _output_of_kind(kind, tmp_path)
    code, stdout, err = run_cli(OUTPUT_OPTIONS[option](files, out))
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and option.split()[1] in err, err
    assert "network:" not in stdout and "Cost after" not in stdout  # refused before the work
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode) and stat.S_ISCHR(os.stat("/dev/zero").st_mode)
    if kind == "link_to_dev_null":
        assert os.path.islink(out)


@pytest.mark.parametrize("name", ["-", "/dev/stdout"])
def test_predictions_stream_to_standard_output(files, name):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, "-m", "backprop", "predict", str(files / "model.npz"),
                           str(files / "data.csv"), "--out", name], capture_output=True, text=True, env=env,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "prediction" and len(lines) == 41
    assert os.path.islink("/dev/stdout") or name == "-"


def test_predictions_stream_into_a_fifo_and_to_dev_null(files, tmp_path):
    fifo = _fifo(tmp_path)
    received = []
    reader = threading.Thread(target=lambda: received.append(Path(fifo).read_bytes()))
    reader.start()
    code, stdout, err = run_cli(["predict", files / "model.npz", files / "data.csv", "--out", fifo])
    reader.join(30)
    assert code == 0, err
    assert received and received[0].decode().splitlines()[0] == "prediction"
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    code, stdout, err = run_cli(["predict", files / "model.npz", files / "data.csv", "--out", "/dev/null"])
    assert code == 0 and stdout == "" and stat.S_ISCHR(os.stat("/dev/null").st_mode), err


def test_an_output_through_a_symbolic_link_replaces_the_file_and_keeps_the_link(files, tmp_path):
    real = tmp_path / "real.npz"
    real.write_bytes(b"old")
    os.chmod(real, 0o640)
    link = tmp_path / "link.npz"
    link.symlink_to(real)
    code, _, err = run_cli(["train", files / "data.csv", "--epochs", "1", "--quiet", "--out", link])
    assert code == 0, err
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert bp.load(real).n_params > 0 and stat.S_IMODE(os.stat(real).st_mode) == 0o640


# --------------------------------------------------------------------------- atomic_write, every kind of target


def _write(path):
    return bio.atomic_write(path, lambda handle: handle.write(b"new"))


def test_atomic_write_targets(tmp_path):
    # nothing: created
    _write(tmp_path / "a")
    assert (tmp_path / "a").read_bytes() == b"new"
    # a regular file: replaced
    (tmp_path / "b").write_bytes(b"old")
    _write(tmp_path / "b")
    assert (tmp_path / "b").read_bytes() == b"new"
    # a link to a regular file, and a link to that link: the file is replaced, the links stay
    (tmp_path / "c").write_bytes(b"old")
    (tmp_path / "l1").symlink_to(tmp_path / "c")
    (tmp_path / "l2").symlink_to(tmp_path / "l1")
    _write(tmp_path / "l2")
    assert (tmp_path / "c").read_bytes() == b"new" and (tmp_path / "l1").is_symlink() and (tmp_path / "l2").is_symlink()
    # a relative link
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "rel").symlink_to("../c")
    bio.atomic_write(tmp_path / "sub" / "rel", lambda h: h.write(b"rel"))
    assert (tmp_path / "c").read_bytes() == b"rel" and (tmp_path / "sub" / "rel").is_symlink()
    # a dangling link: its target is created
    (tmp_path / "dangling").symlink_to(tmp_path / "created")
    _write(tmp_path / "dangling")
    assert (tmp_path / "created").read_bytes() == b"new" and (tmp_path / "dangling").is_symlink()


@pytest.mark.parametrize("kind", ["dev_null", "dev_zero", "fifo", "socket", "link_to_dev_null", "loop", "directory"])
@pytest.mark.parametrize("writer", ["atomic_write", "save", "save_checkpoint"])
def test_atomic_write_never_replaces_what_is_not_a_regular_file(tmp_path, kind, writer):
    if kind == "dev_null":
        target = Path("/dev/null")
    elif kind == "dev_zero":
        target = Path("/dev/zero")
    elif kind == "fifo":
        target = _fifo(tmp_path)
    elif kind == "socket":
        target = tmp_path / "s.sock"
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(target))
    elif kind == "link_to_dev_null":
        target = tmp_path / "null"
        target.symlink_to("/dev/null")
    elif kind == "loop":
        target = tmp_path / "loop1"
        target.symlink_to(tmp_path / "loop2")
        (tmp_path / "loop2").symlink_to(target)
    else:
        target = tmp_path / "adir"
        target.mkdir()
    mode_before = os.lstat(target).st_mode
    net = bp.Network([2, 3, 1], ["tanh", "sigmoid"], "bce", seed=0)
    net.fit(np.zeros((4, 2)), np.array([0, 1, 0, 1]), epochs=1)
    call = {"atomic_write": lambda: _write(target), "save": lambda: bio.save(net, target),
            "save_checkpoint": lambda: bio.save_checkpoint(target, net.trainer_)}[writer]
    with pytest.raises((bp.ValidationError, IsADirectoryError)) as info:
        call()
    assert "path" in str(info.value)
    assert os.lstat(target).st_mode == mode_before
    assert [n for n in os.listdir(tmp_path) if n.endswith(".tmp")] == []


# --------------------------------------------------------------------------- stale temporaries


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stale_temporaries_of_killed_writers_are_removed_and_nothing_else(tmp_path):
    target = tmp_path / "m.npz"
    own = temporary_prefix(str(target))  # .m.npz.HOST.PID.
    host_part = own[len(".m.npz."):].split(".")[0]
    dead = _dead_pid()
    stale = [f".m.npz.{host_part}.{dead}.abc123.tmp", f".m.npz.{host_part}.{dead}.zz_9.tmp"]
    kept = [
        f".m.npz.{host_part}.1.abc.tmp",  # pid 1 is alive
        f".m.npz.{host_part}.{os.getppid()}.abc.tmp",  # alive
        f".m.npz.otherhost.{dead}.abc.tmp",  # another machine's writer (a shared file system)
        f".other.npz.{host_part}.{dead}.abc.tmp",  # another target's
        f".m.npz.{host_part}.{dead}.abc.txt",  # not a temporary
        f".m.npz.{host_part}.notapid.abc.tmp",
        "m.npz.tmp",
    ]
    for name in stale + kept:
        (tmp_path / name).write_bytes(b"x")
    _write(target)
    assert sorted(os.listdir(tmp_path)) == sorted(kept + ["m.npz"])
    assert remove_stale_temporaries(str(target)) == []


def test_a_writer_killed_during_a_save_leaves_a_temporary_that_the_next_save_removes(tmp_path):
    target = tmp_path / "m.npz"
    code = ("import sys, time, backprop.io as bio\n"
            "def slow(h):\n    h.write(b'partial'); h.flush(); print('writing', flush=True); time.sleep(60)\n"
            f"bio.atomic_write({str(target)!r}, slow)\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout.readline().strip() == "writing"
    proc.kill()
    proc.wait()
    leftovers = [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]
    assert len(leftovers) == 1 and f".{proc.pid}." in leftovers[0]
    _write(target)
    assert sorted(os.listdir(tmp_path)) == ["m.npz"]


# --------------------------------------------------------------------------- inputs must be regular files


@contextlib.contextmanager
def _unblocking(fifo, after=5.0):
    """Open the FIFO for writing after ``after`` s, so that a reader blocked in open() wakes up (no hang)."""
    stop = threading.Event()

    def writer():
        if not stop.wait(after):
            fd = os.open(fifo, os.O_WRONLY)
            os.close(fd)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    start = time.monotonic()
    try:
        yield
    finally:
        elapsed = time.monotonic() - start
        stop.set()
        assert elapsed < after, "the reader blocked on the FIFO"


READERS = {
    "load": lambda p: bp.load(p),
    "read_model": lambda p: bio.read_model(p),
    "read_config": lambda p: bio.read_config(p),
    "load_checkpoint": lambda p: bio.load_checkpoint(p),
    "load_csv": lambda p: load_csv(p),
    "load_npz": lambda p: load_npz(p),
    "read_table": lambda p: read_table(p),
}

INPUT_KINDS = ["fifo", "link_to_fifo", "dev_zero", "dev_urandom", "directory", "missing", "dangling_link"]


def _input_of_kind(kind, tmp_path):
    if kind in ("fifo", "link_to_fifo"):
        fifo = _fifo(tmp_path)
        if kind == "fifo":
            return fifo, fifo
        link = tmp_path / "link"
        link.symlink_to(fifo)
        return link, fifo
    if kind == "dev_zero":
        return Path("/dev/zero"), None
    if kind == "dev_urandom":
        return Path("/dev/urandom"), None
    if kind == "directory":
        return tmp_path, None
    if kind == "missing":
        return tmp_path / "missing.npz", None
    link = tmp_path / "dangling"
    link.symlink_to(tmp_path / "nowhere")
    return link, None


EXPECTED = {"fifo": "named pipe (FIFO)", "link_to_fifo": "named pipe (FIFO)", "dev_zero": "character device",
            "dev_urandom": "character device", "directory": "directory", "missing": "no such", "dangling_link": "no such"}


@pytest.mark.parametrize("kind", INPUT_KINDS)
@pytest.mark.parametrize("reader", sorted(READERS))
def test_readers_refuse_what_is_not_a_regular_file_without_blocking(tmp_path, reader, kind):
    path, fifo = _input_of_kind(kind, tmp_path)
    guard = _unblocking(fifo) if fifo else contextlib.nullcontext()
    with guard, pytest.raises((bp.ValidationError, OSError)) as info:
        READERS[reader](path)
    assert EXPECTED[kind] in str(info.value) and str(path) in str(info.value), info.value


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_fifo_swapped_in_after_the_path_check_is_refused_not_waited_on(tmp_path, monkeypatch, reader):
    """The check of the path and the open are two steps: a FIFO that takes the place of a regular
    file between them must still be refused (the open never blocks, the open file is checked)."""
    import backprop.data.loaders as loaders
    import backprop.io.paths as paths

    def no_check(path, name="path", what="a file"):  # as if the file was regular when it was checked
        return os.fspath(path)

    monkeypatch.setattr(paths, "check_input_file", no_check)
    monkeypatch.setattr(loaders, "check_input_file", no_check)
    fifo = _fifo(tmp_path)
    with _unblocking(fifo), pytest.raises(bp.ValidationError, match=r"named pipe \(FIFO\)"):
        READERS[reader](fifo)


CLI_READERS = {
    "info": lambda f, p: ["info", p],
    "predict model": lambda f, p: ["predict", p, f / "data.csv"],
    "predict data": lambda f, p: ["predict", f / "model.npz", p],
    "evaluate model": lambda f, p: ["evaluate", p, f / "data.csv"],
    "evaluate data": lambda f, p: ["evaluate", f / "model.npz", p],
    "gradcheck model": lambda f, p: ["gradcheck", p],
    "gradcheck --data": lambda f, p: ["gradcheck", "--data", p],
    "train data": lambda f, p: ["train", p, "--epochs", "1", "--out", f / "unused.npz"],
    "train --resume": lambda f, p: ["train", "--resume", p, "--epochs", "1", "--out", f / "unused.npz"],
    "explain --data": lambda f, p: ["explain", "--data", p],
}


@pytest.mark.parametrize("kind", ["fifo", "link_to_fifo", "dev_zero", "dev_urandom"])
@pytest.mark.parametrize("command", sorted(CLI_READERS))
def test_commands_refuse_inputs_that_are_not_regular_files_without_blocking(files, tmp_path, command, kind):
    path, fifo = _input_of_kind(kind, tmp_path)
    guard = _unblocking(fifo) if fifo else contextlib.nullcontext()
    with guard:
        code, stdout, err = run_cli(CLI_READERS[command](files, path))
    assert code in (1, 2) and len(err.strip().splitlines()) == 1, err
    assert EXPECTED[kind] in err and str(path) in err, err


# --------------------------------------------------------------------------- the helpers themselves


def test_check_distinct_compares_by_inode_and_skips_what_is_not_a_file(tmp_path):
    a = tmp_path / "a.csv"
    a.write_text("x")
    check_distinct([("data", "moons")], [("--out", str(a))])  # a data set's name is no file
    check_distinct([("data", str(a))], [("--out", "-"), ("--out2", "/dev/stdout")])  # streams are never inputs
    check_distinct([("data", str(a))], [("--out", None)])
    with pytest.raises(bp.ValidationError, match="refusing to overwrite the input data"):
        check_distinct([("data", str(a))], [("--out", str(tmp_path / "x" / ".." / "a.csv"))])


def test_case_variants_are_the_same_file_on_a_case_insensitive_file_system(tmp_path):
    a = tmp_path / "Data.csv"
    a.write_text("x")
    variant = tmp_path / "DATA.CSV"
    if not variant.exists():
        pytest.skip("this file system is case-sensitive (DATA.CSV is another file)")
    with pytest.raises(bp.ValidationError, match="refusing to overwrite"):
        check_distinct([("data", str(a))], [("--out", str(variant))])


def test_is_stream_and_write_target(tmp_path):
    assert is_stream("-") and is_stream("/dev/stdout") and is_stream("/dev/null")
    assert is_stream(_fifo(tmp_path))
    assert not is_stream(tmp_path / "x.csv") and not is_stream(tmp_path) and not is_stream(3)
    assert write_target(str(tmp_path / "new")) == str(tmp_path / "new")
    with pytest.raises(bp.ValidationError, match="standard output"):
        write_target("-")
    with pytest.raises(bp.ValidationError, match="character device"):
        write_target("/dev/null")


@pytest.mark.parametrize("bad", [None, 3, True, b"x", "", "a\x00b"])
def test_check_input_file_names_the_argument_for_bad_paths(bad):
    with pytest.raises((bp.InputTypeError, bp.ValidationError), match="^model: "):
        check_input_file(bad, "model")
