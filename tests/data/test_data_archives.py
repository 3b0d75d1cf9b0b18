"""A data ``.npz`` is read with the model loader's checks and its problems are named (issue 19).

Before: a truncated array or a CSV renamed ``.npz`` was reported as "stored as pickled Python
objects", and an array header declaring terabytes was trusted. Here: every truncation point of
a real archive, files that are not archives, forged headers, forged zip sizes, damaged data,
compressed archives (accepted), object arrays (refused, the only case that mentions pickle).
"""

from __future__ import annotations

import io
import struct
import zipfile

import numpy as np
import pytest

import backprop as bp
from backprop.data import load_npz


def _npz(path, compressed=False, **arrays):
    (np.savez_compressed if compressed else np.savez)(path, **arrays)
    return path


@pytest.fixture
def good(tmp_path):
    rng = np.random.default_rng(0)
    return _npz(tmp_path / "good.npz", X=rng.normal(size=(50, 3)), y=rng.integers(0, 2, 50))


def test_good_archives_load_stored_and_compressed(tmp_path, good):
    ds = load_npz(good)
    assert ds.X.shape == (50, 3) and ds.y.shape == (50,)
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(30, 2)), np.array(["a", "b", "c"] * 10)
    ds = load_npz(_npz(tmp_path / "c.npz", compressed=True, X=X, y=y))
    np.testing.assert_array_equal(ds.X, X)
    assert list(ds.classes) == ["a", "b", "c"]


def _never_pickle(message: str) -> None:
    assert "pickle" not in message, message


@pytest.mark.parametrize("fraction", [0.0, 0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99])
@pytest.mark.parametrize("compressed", [False, True])
def test_every_truncation_says_the_file_is_truncated_or_damaged(tmp_path, fraction, compressed):
    rng = np.random.default_rng(0)
    path = _npz(tmp_path / "full.npz", compressed, X=rng.normal(size=(200, 4)), y=rng.normal(size=200))
    data = path.read_bytes()
    cut = tmp_path / "cut.npz"
    cut.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(bp.ValidationError) as info:
        load_npz(cut)
    message = str(info.value)
    _never_pickle(message)
    assert "cut.npz" in message
    assert any(word in message for word in ("truncated", "damaged", "empty", "not a readable .npz")), message


@pytest.mark.parametrize(("content", "expected"), [
    (b"a,b,y\n1,2,0\n3,4,1\n", "a CSV renamed .npz"),
    (b"", "empty"),
    (b"\x00\x01\x02\xff" * 100, "neither a zip archive nor text"),
    (b"PK\x03\x04" + b"\x00" * 10, "truncated or damaged"),
    (b"{\"X\": [1, 2]}", "it is text"),
])
def test_files_that_are_not_archives_say_what_they_are(tmp_path, content, expected):
    path = tmp_path / "data.npz"
    path.write_bytes(content)
    with pytest.raises(bp.ValidationError, match="not a readable .npz archive") as info:
        load_npz(path)
    assert expected in str(info.value), info.value
    _never_pickle(str(info.value))


def test_a_single_npy_renamed_npz_is_named(tmp_path):
    path = tmp_path / "one.npz"
    with open(path, "wb") as f:
        np.save(f, np.zeros((3, 2)))
    with pytest.raises(bp.ValidationError, match="single .npy array"):
        load_npz(path)


def _forged(path, name, header_shape, dtype="<f8", data=b"", method=zipfile.ZIP_STORED, y=True):
    """An archive whose member ``name`` has a .npy header declaring ``header_shape`` but holds ``data``."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": dtype, "fortran_order": False, "shape": header_shape})
    with zipfile.ZipFile(path, "w", compression=method) as z:
        z.writestr(f"{name}.npy", buf.getvalue() + data)
        if y:
            b = io.BytesIO()
            np.save(b, np.zeros(4))
            z.writestr("y.npy", b.getvalue())
    return path


@pytest.mark.parametrize("shape", [(10**7, 10**6), (2**40, 1), (10**12,), (10**6, 10**6, 10)])
@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_a_header_declaring_terabytes_is_refused_before_allocating(tmp_path, shape, method):
    path = _forged(tmp_path / "huge.npz", "X", shape, data=b"\x00" * 64, method=method)
    with pytest.raises(bp.ValidationError) as info:
        load_npz(path)
    message = str(info.value)
    assert "'X'" in message and ("memory" in message or "truncated" in message), message
    _never_pickle(message)


@pytest.mark.parametrize("n_missing", [1, 8, 100, 799])
def test_a_member_shorter_than_its_header_is_named(tmp_path, n_missing):
    path = _forged(tmp_path / "short.npz", "X", (100, 1), data=b"\x00" * (800 - n_missing))
    with pytest.raises(bp.ValidationError, match="truncated or damaged") as info:
        load_npz(path)
    assert "'X'" in str(info.value) and "800 bytes" in str(info.value)


def test_a_member_longer_than_its_header_is_named(tmp_path):
    path = _forged(tmp_path / "long.npz", "X", (10, 1), data=b"\x00" * 200)
    with pytest.raises(bp.ValidationError, match="truncated or damaged"):
        load_npz(path)


def test_a_member_whose_zip_size_lies_beyond_the_file_is_named(tmp_path, good):
    data = bytearray(good.read_bytes())
    # the central directory's compressed/uncompressed sizes of the first member: make them huge
    cd = data.rfind(b"PK\x01\x02")
    first_cd = data.find(b"PK\x01\x02")
    assert first_cd <= cd
    struct.pack_into("<II", data, first_cd + 20, 2**31, 2**31)
    path = good.parent / "liar.npz"
    path.write_bytes(bytes(data))
    with pytest.raises(bp.ValidationError) as info:
        load_npz(path)
    _never_pickle(str(info.value))
    assert "liar.npz" in str(info.value)


@pytest.mark.parametrize("offset_from_end", [30, 100, 300])
def test_damaged_data_bytes_are_caught_by_the_crc(tmp_path, offset_from_end):
    rng = np.random.default_rng(0)
    path = _npz(tmp_path / "d.npz", X=rng.normal(size=(100, 3)), y=rng.normal(size=100))
    data = bytearray(path.read_bytes())
    x_start = data.find(b"X.npy") + 5 + 128  # inside X's data (header of 128 bytes)
    data[x_start + offset_from_end] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(bp.ValidationError, match="damaged") as info:
        load_npz(path)
    _never_pickle(str(info.value))


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_other_compression_methods_are_named(tmp_path, method):
    buf = io.BytesIO()
    np.save(buf, np.zeros((4, 2)))
    path = tmp_path / "m.npz"
    with zipfile.ZipFile(path, "w", compression=method) as z:
        z.writestr("X.npy", buf.getvalue())
        z.writestr("y.npy", buf.getvalue())
    with pytest.raises(bp.ValidationError, match="zip method"):
        load_npz(path)


def test_a_member_that_is_not_npy_is_named(tmp_path):
    path = tmp_path / "m.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("X.npy", b"hello, not an array")
        z.writestr("y.npy", b"hello")
    with pytest.raises(bp.ValidationError, match="not a valid .npy array"):
        load_npz(path)


def test_object_arrays_are_the_one_case_that_names_pickle(tmp_path):
    path = tmp_path / "obj.npz"
    np.savez(path, X=np.array([[1, 2], [3, 4]], dtype=object), y=np.array([0, 1]))
    with pytest.raises(bp.InputTypeError, match="pickle"):
        load_npz(path)


def test_the_key_errors_keep_their_argument_names(good):
    with pytest.raises(bp.ValidationError, match="x_key: expected one of the arrays"):
        load_npz(good, x_key="features")
    with pytest.raises(bp.InputTypeError, match="y_key: expected the name of an array"):
        load_npz(good, y_key=3)


def test_the_command_line_names_the_problem_of_a_data_archive(tmp_path):
    import contextlib

    from backprop.cli import main

    path = tmp_path / "renamed.npz"
    path.write_text("a,b,y\n1,2,0\n3,4,1\n")
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["train", str(path), "--epochs", "1", "--out", str(tmp_path / "m.npz")])
    assert code == 2 and "a CSV renamed .npz" in err.getvalue() and "pickle" not in err.getvalue()
