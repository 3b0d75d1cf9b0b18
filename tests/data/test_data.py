"""Tests of backprop.data: toy data sets, loaders and preprocessing."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import backprop.data as bd
from backprop.core.validation import InputTypeError, ShapeError, ValidationError
from backprop.data import (
    Dataset,
    StandardScaler,
    blobs,
    circles,
    encode_labels,
    load_csv,
    load_npz,
    moons,
    one_hot,
    planar_flower,
    spirals,
    train_test_split,
    xor,
)

FAST = settings(max_examples=25, deadline=None)


def test_public_names_are_exported():
    for name in bd.__all__:
        assert hasattr(bd, name), name
    assert set(bd.__all__) >= {"planar_flower", "load_csv", "StandardScaler", "one_hot"}


def test_importing_data_pulls_in_numpy_only():
    code = (
        "import sys, backprop.data; "
        "bad = [m for m in ('scipy', 'sklearn', 'pandas', 'matplotlib') if m in sys.modules]; "
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# =========================================================================== datasets

# (function, kwargs, number of classes)
GENERATORS = [
    (planar_flower, {"n_samples": 60}, 2),
    (moons, {"n_samples": 60}, 2),
    (circles, {"n_samples": 60}, 2),
    (spirals, {"n_samples": 61, "n_classes": 4}, 4),
    (xor, {"n_samples": 62}, 2),
    (xor, {"n_samples": 63}, 2),
    (blobs, {"n_samples": 61, "centers": 3}, 3),
]
GEN_IDS = [f"{g[0].__name__}-{g[1]['n_samples']}" for g in GENERATORS]


@pytest.mark.parametrize("fn, kwargs, k", GENERATORS, ids=GEN_IDS)
def test_generator_shapes_dtypes_and_balance(fn, kwargs, k):
    X, y = fn(**kwargs, seed=3)
    n = kwargs["n_samples"]
    assert X.shape == (n, 2) and X.dtype == np.float64
    assert y.shape == (n,) and y.dtype == np.int64
    counts = np.bincount(y, minlength=k)
    assert len(counts) == k and counts.sum() == n
    assert counts.max() - counts.min() <= 1
    assert np.isfinite(X).all()


@pytest.mark.parametrize("fn, kwargs, k", GENERATORS, ids=GEN_IDS)
def test_generator_seeding(fn, kwargs, k):
    state = np.random.get_state()
    X1, y1 = fn(**kwargs, seed=7)
    X2, y2 = fn(**kwargs, seed=7)
    X3, _ = fn(**kwargs, seed=8)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)
    # A Generator is used and advanced: two draws from one generator differ,
    # and the same fresh generator reproduces the first.
    rng = np.random.default_rng(5)
    A, _ = fn(**kwargs, seed=rng)
    B, _ = fn(**kwargs, seed=rng)
    assert not np.array_equal(A, B)
    np.testing.assert_array_equal(A, fn(**kwargs, seed=np.random.default_rng(5))[0])
    # seed=None works and the global state was never touched
    fn(**kwargs, seed=None)
    after = np.random.get_state()
    assert state[0] == after[0] and np.array_equal(state[1], after[1]) and state[2:] == after[2:]


def _course_flower():
    """The Coursera load_planar_dataset code, verbatim apart from the return."""
    np.random.seed(1)
    m = 400
    N = int(m / 2)
    D = 2
    X = np.zeros((m, D))
    Y = np.zeros((m, 1), dtype="uint8")
    a = 4
    for j in range(2):
        ix = range(N * j, N * (j + 1))
        t = np.linspace(j * 3.12, (j + 1) * 3.12, N) + np.random.randn(N) * 0.2
        r = a * np.sin(4 * t) + np.random.randn(N) * 0.2
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        Y[ix] = j
    return X.T, Y.T


def test_planar_flower_reproduces_the_course_exactly():
    saved = np.random.get_state()
    try:
        X_course, Y_course = _course_flower()
    finally:
        np.random.set_state(saved)
    X, y = planar_flower()
    assert X_course.shape == (2, 400) and Y_course.shape == (1, 400)
    np.testing.assert_array_equal(X, X_course.T)
    np.testing.assert_array_equal(y, Y_course.ravel())


def test_planar_flower_without_noise_lies_on_the_rose():
    X, y = planar_flower(n_samples=11, noise=0.0, seed=0)
    assert np.bincount(y).tolist() == [6, 5]  # odd count: class 0 gets the extra sample
    t = np.concatenate([np.linspace(0, 3.12, 6), np.linspace(3.12, 6.24, 5)])
    r = 4 * np.sin(4 * t)
    np.testing.assert_allclose(X, np.c_[r * np.sin(t), r * np.cos(t)], atol=1e-12)


def test_moons_and_circles_match_scikit_learn():
    sk = pytest.importorskip("sklearn.datasets")
    for n in (200, 7):
        X, y = moons(n, noise=0.0, seed=0)
        Xs, ys = sk.make_moons(n, shuffle=False, noise=None)
        np.testing.assert_array_equal(X, Xs)
        np.testing.assert_array_equal(y, ys)
        X, y = circles(n, noise=0.0, factor=0.3, seed=0)
        Xs, ys = sk.make_circles(n, shuffle=False, noise=None, factor=0.3)
        np.testing.assert_array_equal(X, Xs)
        np.testing.assert_array_equal(y, ys)


def test_moons_noise_is_gaussian_with_the_given_scale():
    clean, _ = moons(4000, noise=0.0)
    noisy, _ = moons(4000, noise=0.1, seed=1)
    residual = noisy - clean
    assert abs(residual.mean()) < 0.01
    assert abs(residual.std() - 0.1) < 0.005


def test_circles_radii():
    X, y = circles(400, noise=0.0, factor=0.3, seed=0)
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0)
    np.testing.assert_allclose(radius[y == 1], 0.3)
    X, y = circles(2000, noise=0.02, factor=0.5, seed=1)
    radius = np.hypot(X[:, 0], X[:, 1])
    assert abs(radius[y == 1].mean() - 0.5) < 0.01
    assert abs(radius[y == 0].mean() - 1.0) < 0.01


def test_spiral_radii_are_exact_and_angles_grow():
    X, y = spirals(n_samples=30, n_classes=3, noise=0.0, seed=0)
    for j in range(3):
        arm = X[y == j]
        np.testing.assert_allclose(np.hypot(arm[:, 0], arm[:, 1]), np.linspace(0, 1, 10), atol=1e-12)
    X, y = spirals(n_samples=300, n_classes=3, noise=0.5, seed=0)  # noise only moves the angle
    np.testing.assert_allclose(np.hypot(X[:100, 0], X[:100, 1]), np.linspace(0, 1, 100), atol=1e-12)


def test_xor_labels_follow_the_sign_product():
    X, y = xor(400, noise=0.1, seed=0)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(np.int64))
    for cx, cy in [(-1, -1), (1, 1), (-1, 1), (1, -1)]:
        members = X[(np.sign(X[:, 0]) == cx) & (np.sign(X[:, 1]) == cy)]
        np.testing.assert_allclose(members.mean(axis=0), [cx, cy], atol=0.05)


def test_blobs_with_given_centers():
    centers = np.array([[0.0, 0.0, 0.0], [5.0, -5.0, 1.0]])
    X, y = blobs(4000, centers=centers, cluster_std=0.5, seed=0)
    assert X.shape == (4000, 3)
    for c in range(2):
        np.testing.assert_allclose(X[y == c].mean(axis=0), centers[c], atol=0.05)
        np.testing.assert_allclose(X[y == c].std(axis=0), 0.5, atol=0.03)


def test_blobs_with_random_centers():
    X, y = blobs(90, centers=4, n_features=3, cluster_std=0.0, seed=0)
    assert X.shape == (90, 3) and np.bincount(y).tolist() == [23, 23, 22, 22]
    assert (np.abs(X) <= 10).all()
    assert len(np.unique(X, axis=0)) == 4  # std 0: every sample sits on its centre


@pytest.mark.parametrize(
    "fn, kwargs, error, word",
    [
        (moons, {"n_samples": 1}, ValidationError, "n_samples"),
        (moons, {"n_samples": 2.5}, InputTypeError, "n_samples"),
        (moons, {"n_samples": True}, InputTypeError, "n_samples"),
        (moons, {"noise": -0.1}, ValidationError, "noise"),
        (moons, {"noise": "a"}, InputTypeError, "noise"),
        (moons, {"seed": -1}, ValidationError, "seed"),
        (moons, {"seed": "abc"}, InputTypeError, "seed"),
        (moons, {"seed": True}, InputTypeError, "seed"),
        (circles, {"factor": 1.0}, ValidationError, "factor"),
        (circles, {"factor": 0}, ValidationError, "factor"),
        (spirals, {"n_classes": 1}, ValidationError, "n_classes"),
        (spirals, {"n_samples": 3, "n_classes": 4}, ValidationError, "n_samples"),
        (xor, {"n_samples": 3}, ValidationError, "n_samples"),
        (blobs, {"centers": 0}, ValidationError, "centers"),
        (blobs, {"centers": "abc"}, InputTypeError, "centers"),
        (blobs, {"centers": [[1.0, 2.0]], "n_features": 3}, ShapeError, "centers"),
        (blobs, {"centers": [1.0, 2.0]}, ShapeError, "centers"),
        (blobs, {"n_samples": 2, "centers": 3}, ValidationError, "n_samples"),
        (blobs, {"cluster_std": -1}, ValidationError, "cluster_std"),
        (planar_flower, {"seed": 2**32}, ValidationError, "seed"),
        (planar_flower, {"n_samples": 1}, ValidationError, "n_samples"),
    ],
)
def test_generator_bad_arguments(fn, kwargs, error, word):
    with pytest.raises(error, match=word):
        fn(**kwargs)


# =========================================================================== load_csv


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


IRIS_LIKE = "sepal, petal ,species\n5.1,1.4,setosa\n7.0,4.7,versicolor\n\n6.3,6.0,virginica\n4.9,1.4,setosa\n"


def test_csv_with_header_and_string_labels(tmp_path):
    data = load_csv(write(tmp_path, IRIS_LIKE))
    assert isinstance(data, Dataset)
    assert data.feature_names == ["sepal", "petal"] and data.target_name == "species"
    np.testing.assert_array_equal(data.X, [[5.1, 1.4], [7.0, 4.7], [6.3, 6.0], [4.9, 1.4]])
    assert data.X.dtype == np.float64 and data.y.dtype == np.int64
    assert data.classes.tolist() == ["setosa", "versicolor", "virginica"]
    assert data.classes[data.y].tolist() == ["setosa", "versicolor", "virginica", "setosa"]
    assert (data.n_samples, data.n_features) == (4, 2)


def test_csv_without_header(tmp_path):
    data = load_csv(write(tmp_path, "1,2,0\n3,4,1\n5,6,1\n"))
    assert data.feature_names == ["col0", "col1"] and data.target_name == "col2"
    assert data.classes is None
    np.testing.assert_array_equal(data.y, [0, 1, 1])
    assert data.y.dtype == np.int64
    # A string target column does not make the first data row look like a header.
    data = load_csv(write(tmp_path, "1,2,cat\n3,4,dog\n"))
    assert data.n_samples == 2 and data.classes.tolist() == ["cat", "dog"]


def test_csv_forced_header_modes(tmp_path):
    path = write(tmp_path, "10,20,30\n1,2,3\n")
    assert load_csv(path).n_samples == 2
    data = load_csv(path, header=True)
    assert data.n_samples == 1 and data.feature_names == ["10", "20"]
    with pytest.raises(ValidationError, match="header=True"):
        load_csv(write(tmp_path, "a,b\n1,2\n"), header=False)


def test_csv_target_by_name_and_index(tmp_path):
    path = write(tmp_path, "a,label,b\n1,0,2\n3,1,4\n")
    by_name = load_csv(path, target="label")
    by_index = load_csv(path, target=1)
    by_negative = load_csv(path, target=-2)
    for data in (by_name, by_index, by_negative):
        assert data.feature_names == ["a", "b"] and data.target_name == "label"
        np.testing.assert_array_equal(data.X, [[1, 2], [3, 4]])
        np.testing.assert_array_equal(data.y, [0, 1])
    no_header = load_csv(write(tmp_path, "1,0,2\n3,1,4\n", "nh.csv"), target="col0")
    np.testing.assert_array_equal(no_header.y, [1, 3])


def test_csv_numeric_target_types_and_dtype(tmp_path):
    data = load_csv(write(tmp_path, "x;t\n1;0.5\n2;1.5\n"), delimiter=";", dtype=np.float32)
    assert data.X.dtype == np.float32 and data.y.dtype == np.float32
    np.testing.assert_array_equal(data.y, [0.5, 1.5])
    data = load_csv(write(tmp_path, 'x,t\n"1",-3\n2,7\n'))
    assert data.y.dtype == np.int64 and data.y.tolist() == [-3, 7]


def test_csv_bom_crlf_and_quoting(tmp_path):
    path = tmp_path / "win.csv"
    path.write_bytes(b'\xef\xbb\xbfa,"b, quoted",t\r\n1,2,"x"\r\n3,4,y\r\n')
    data = load_csv(path)
    assert data.feature_names == ["a", "b, quoted"] and data.target_name == "t"
    assert data.classes.tolist() == ["x", "y"] and data.y.tolist() == [0, 1]


@pytest.mark.parametrize("n_rows", [1, 2, 3, 5, 7, 10])
@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_csv_shards_cover_every_row_once(tmp_path, n_rows, size):
    labels = ["a", "b", "c"]
    lines = ["f1,f2,label"] + [f"{i},{i * i},{labels[i % 3]}" for i in range(n_rows)]
    path = write(tmp_path, "\n".join(lines) + "\n")
    full = load_csv(path)
    parts = [load_csv(path, shard=(rank, size)) for rank in range(size)]
    assert [p.n_samples for p in parts] == [len(a) for a in np.array_split(np.arange(n_rows), size)]
    np.testing.assert_array_equal(np.concatenate([p.X for p in parts]), full.X)
    np.testing.assert_array_equal(np.concatenate([p.y for p in parts]), full.y)
    for p in parts:  # every shard agrees on the classes even when it lacks some of them
        np.testing.assert_array_equal(p.classes, full.classes)
        assert p.X.shape[1] == 2 and p.feature_names == ["f1", "f2"]


def test_csv_shards_agree_on_mixed_labels_and_errors(tmp_path):
    path = write(tmp_path, "x,t\n1,10\n2,cat\n3,9\n4,dog\n")
    full = load_csv(path)
    assert full.classes.tolist() == ["10", "9", "cat", "dog"]  # sorted as strings
    for rank in range(2):
        np.testing.assert_array_equal(load_csv(path, shard=(rank, 2)).classes, full.classes)
    bad = write(tmp_path, "x,t\n1,0\n2,1\n3,1\nfour,0\n", "bad.csv")
    for rank in range(2):  # rank 0 does not hold the bad row but must fail like rank 1
        with pytest.raises(ValidationError, match="line 5"):
            load_csv(bad, shard=(rank, 2))


@pytest.mark.parametrize(
    "text, kwargs, error, words",
    [
        ("a,b,c\n1,2,3\n4,5\n", {}, ValidationError, ["line 3", "2 fields", "expected 3"]),
        ("a,b,c\n1,,3\n", {}, ValidationError, ["line 2", "'b'", "missing"]),
        ("a,b,c\n1,2,\n", {}, ValidationError, ["line 2", "'c'", "missing target"]),
        ("a,b,c\n1,x,3\n", {}, ValidationError, ["line 2", "'b'", "'x'"]),
        ("a,b,c\n1,nan,3\n", {}, ValidationError, ["'b'", "finite"]),
        ("a,b,c\n1,2,3\n", {"target": "z"}, ValidationError, ["target", "'z'", "'a'"]),
        ("a,b,c\n1,2,3\n", {"target": 3}, ValidationError, ["target", "3"]),
        ("a,b,c\n1,2,3\n", {"target": 1.5}, InputTypeError, ["target"]),
        ("1,2,3\n", {"target": "a"}, ValidationError, ["target", "no header"]),
        ("a,a,c\n1,2,3\n", {"target": "a"}, ValidationError, ["target", "ambiguous"]),
        ("", {}, ValidationError, ["no rows"]),
        ("a,b,c\n", {}, ValidationError, ["no data rows"]),
        ("a\n1\n", {}, ValidationError, ["2 columns"]),
        ("a,b\n1,2\n", {"delimiter": ",,"}, InputTypeError, ["delimiter"]),
        ("a,b\n1,2\n", {"header": "yes"}, ValidationError, ["header"]),
        ("a,b\n1,2\n", {"dtype": np.int32}, InputTypeError, ["dtype"]),
        ("a,b\n1,2\n", {"shard": (2, 2)}, ValidationError, ["shard"]),
        ("a,b\n1,2\n", {"shard": 3}, InputTypeError, ["shard"]),
    ],
)
def test_csv_bad_files_and_arguments(tmp_path, text, kwargs, error, words):
    with pytest.raises(error) as info:
        load_csv(write(tmp_path, text), **kwargs)
    for word in words:
        assert word in str(info.value)


def test_csv_missing_file_and_bad_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        load_csv(tmp_path / "nope.csv")
    with pytest.raises(InputTypeError, match="path"):
        load_csv(3)


# =========================================================================== load_npz


def test_npz_round_trip(tmp_path):
    X = np.arange(12, dtype=np.float32).reshape(4, 3)
    np.savez(tmp_path / "d.npz", X=X, y=np.array([0, 1, 1, 0], dtype=np.uint8))
    data = load_npz(tmp_path / "d.npz")
    np.testing.assert_array_equal(data.X, X)
    assert data.X.dtype == np.float32 and data.y.dtype == np.int64
    assert data.feature_names == ["x0", "x1", "x2"] and data.target_name == "y" and data.classes is None

    np.savez(tmp_path / "s.npz", feats=np.eye(3, dtype=int), labels=np.array([["b"], ["a"], ["b"]]))
    data = load_npz(tmp_path / "s.npz", x_key="feats", y_key="labels")
    assert data.X.dtype == np.float64
    assert data.classes.tolist() == ["a", "b"] and data.y.tolist() == [1, 0, 1]


def test_npz_refuses_pickled_objects(tmp_path):
    np.savez(tmp_path / "o.npz", X=np.array([[1, "a"]], dtype=object), y=np.array([0]))
    with pytest.raises(InputTypeError, match="pickle"):
        load_npz(tmp_path / "o.npz")


def test_npz_bad_archives(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.ones((3, 2)), y=np.ones(2), v=np.ones(3))
    with pytest.raises(ValidationError, match=r"x_key.*'Z'"):
        load_npz(tmp_path / "d.npz", x_key="Z")
    with pytest.raises(ShapeError, match="y_key"):
        load_npz(tmp_path / "d.npz")
    with pytest.raises(ShapeError, match="x_key"):
        load_npz(tmp_path / "d.npz", x_key="v", y_key="v")
    np.savez(tmp_path / "n.npz", X=np.ones((2, 2)), y=np.array([0.0, np.nan]))
    with pytest.raises(ValidationError, match="finite"):
        load_npz(tmp_path / "n.npz")
    np.save(tmp_path / "a.npy", np.ones(3))
    with pytest.raises(ValidationError, match="npz"):
        load_npz(tmp_path / "a.npy")
    (tmp_path / "junk.npz").write_bytes(b"this is not an archive")
    with pytest.raises(ValidationError, match="path"):
        load_npz(tmp_path / "junk.npz")
    with pytest.raises(FileNotFoundError):
        load_npz(tmp_path / "missing.npz")


# =========================================================================== preprocessing


def _indexed(n):
    X = np.c_[np.arange(n, dtype=float), np.arange(n, dtype=float) ** 2]
    return X, np.arange(n) % 3


@pytest.mark.parametrize("n, test_size, n_test", [(10, 0.25, 3), (10, 0.7, 7), (10, 0.01, 1), (100, 0.2, 20), (9, 4, 4)])
def test_split_sizes_and_partition(n, test_size, n_test):
    X, y = _indexed(n)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size, seed=0)
    assert len(X_te) == len(y_te) == n_test and len(X_tr) == len(y_tr) == n - n_test
    ids = np.concatenate([X_tr[:, 0], X_te[:, 0]]).astype(int)
    assert sorted(ids.tolist()) == list(range(n))  # every row exactly once
    np.testing.assert_array_equal(y_tr, X_tr[:, 0].astype(int) % 3)  # rows stay aligned
    np.testing.assert_array_equal(X_tr[:, 1], X_tr[:, 0] ** 2)
    again = train_test_split(X, y, test_size, seed=0)
    np.testing.assert_array_equal(again[1], X_te)


def test_split_keeps_float32_and_two_dimensional_targets():
    X = np.ones((8, 2), dtype=np.float32)
    Y = one_hot(np.arange(8) % 2)
    X_tr, X_te, Y_tr, Y_te = train_test_split(X, Y, 0.5, seed=1)
    assert X_tr.dtype == np.float32 and Y_tr.shape == (4, 2) and Y_te.shape == (4, 2)


def test_stratified_split_proportions():
    y = np.repeat([0, 1, 2], [60, 30, 10])
    X = np.arange(100.0).reshape(-1, 1)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, 0.2, seed=0, stratify=True)
    assert np.bincount(y_te).tolist() == [12, 6, 2]
    assert np.bincount(y_tr).tolist() == [48, 24, 8]
    assert not np.all(np.diff(y_te) >= 0)  # shuffled, not grouped by class


@FAST
@given(
    counts=st.lists(st.integers(2, 12), min_size=2, max_size=5),
    frac=st.floats(0.1, 0.9),
    seed=st.integers(0, 2**31),
)
def test_stratified_counts_are_floor_or_ceiling_of_the_ideal_share(counts, frac, seed):
    y = np.repeat(np.arange(len(counts)), counts)
    X = np.zeros((len(y), 1))
    n = len(y)
    n_test = int(np.ceil(frac * n - 1e-9))
    if not 1 <= n_test <= n - 1:
        return
    _, _, y_tr, y_te = train_test_split(X, y, frac, seed=seed, stratify=True)
    got = np.bincount(y_te, minlength=len(counts))
    ideal = n_test * np.array(counts) / n
    assert got.sum() == n_test
    assert np.all((got == np.floor(ideal)) | (got == np.ceil(ideal)))
    np.testing.assert_array_equal(got + np.bincount(y_tr, minlength=len(counts)), counts)


@pytest.mark.parametrize(
    "kwargs, error, word",
    [
        ({"test_size": 0.0}, ValidationError, "test_size"),
        ({"test_size": 1.0}, ValidationError, "test_size"),
        ({"test_size": 10}, ValidationError, "test_size"),
        ({"test_size": True}, InputTypeError, "test_size"),
        ({"test_size": "half"}, InputTypeError, "test_size"),
        ({"stratify": "yes"}, InputTypeError, "stratify"),
        ({"seed": -3}, ValidationError, "seed"),
    ],
)
def test_split_bad_arguments(kwargs, error, word):
    X, y = _indexed(10)
    with pytest.raises(error, match=word):
        train_test_split(X, y, **kwargs)


def test_split_shape_errors():
    X, y = _indexed(10)
    with pytest.raises(ShapeError, match="y"):
        train_test_split(X, y[:-1])
    with pytest.raises(ShapeError, match="X"):
        train_test_split(X[:, 0], y)
    with pytest.raises(ValidationError, match="class"):
        train_test_split(X, np.r_[np.zeros(9, int), 1], stratify=True)


def test_scaler_closed_forms():
    rng = np.random.default_rng(0)
    X = rng.normal(loc=[3.0, -2.0, 0.0], scale=[2.0, 0.1, 5.0], size=(50, 3))
    scaler = StandardScaler()
    Z = scaler.fit_transform(X)
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), 1.0, rtol=1e-12)
    np.testing.assert_allclose(scaler.mean_, X.mean(axis=0))
    np.testing.assert_allclose(scaler.scale_, X.std(axis=0))
    np.testing.assert_allclose(scaler.inverse_transform(Z), X, rtol=1e-12, atol=1e-12)
    assert scaler.n_features_in_ == 3


def test_scaler_constant_features_keep_scale_one():
    X = np.c_[np.full(7, 0.1), np.zeros(7), np.arange(7.0)]
    scaler = StandardScaler().fit(X)
    np.testing.assert_array_equal(scaler.scale_[:2], [1.0, 1.0])
    Z = scaler.transform(X)
    np.testing.assert_allclose(Z[:, :2], 0.0, atol=1e-15)
    assert np.isfinite(Z).all()


def test_scaler_dtypes():
    X32 = np.arange(12, dtype=np.float32).reshape(6, 2)
    scaler = StandardScaler().fit(X32)
    assert scaler.transform(X32).dtype == np.float32
    assert scaler.inverse_transform(scaler.transform(X32)).dtype == np.float32
    assert StandardScaler().fit_transform(np.arange(6).reshape(3, 2)).dtype == np.float64


def test_scaler_errors():
    with pytest.raises(ValidationError, match="fit"):
        StandardScaler().transform(np.ones((2, 2)))
    scaler = StandardScaler().fit(np.ones((3, 2)))
    with pytest.raises(ShapeError, match="2 features"):
        scaler.transform(np.ones((3, 3)))
    with pytest.raises(InputTypeError, match="X"):
        StandardScaler().fit([["a", "b"]])
    with pytest.raises(ValidationError, match="X"):
        StandardScaler().fit([[1.0, np.nan]])


@FAST
@given(st.lists(st.integers(0, 6), min_size=1, max_size=30))
def test_one_hot_round_trip(labels):
    y = np.array(labels)
    Y = one_hot(y)
    assert Y.shape == (len(y), y.max() + 1) and Y.dtype == np.float64
    np.testing.assert_array_equal(Y.sum(axis=1), 1.0)
    np.testing.assert_array_equal(Y.argmax(axis=1), y)


def test_one_hot_options_and_errors():
    Y = one_hot([1.0, 0.0], n_classes=4, dtype=np.float32)
    assert Y.dtype == np.float32
    np.testing.assert_array_equal(Y, [[0, 1, 0, 0], [1, 0, 0, 0]])
    np.testing.assert_array_equal(one_hot(np.array([True, False])), [[0, 1], [1, 0]])
    with pytest.raises(ValidationError, match="n_classes"):
        one_hot([0, 3], n_classes=3)
    with pytest.raises(ValidationError, match=">= 0"):
        one_hot([0, -1])
    with pytest.raises(ValidationError, match="whole"):
        one_hot([0.5, 1.0])
    with pytest.raises(InputTypeError, match="encode_labels"):
        one_hot(["a", "b"])
    with pytest.raises(ShapeError, match="ravel"):
        one_hot(np.zeros((3, 1), dtype=int))
    with pytest.raises(InputTypeError, match="dtype"):
        one_hot([0, 1], dtype=np.int64)


def test_encode_labels():
    codes, classes = encode_labels(["dog", "cat", "dog", "bird"])
    assert classes.tolist() == ["bird", "cat", "dog"]
    assert codes.tolist() == [2, 1, 2, 0] and codes.dtype == np.int64
    codes, classes = encode_labels(np.array([10, -1, 10]))
    np.testing.assert_array_equal(classes[codes], [10, -1, 10])
    np.testing.assert_array_equal(one_hot(codes).argmax(axis=1), codes)
    with pytest.raises(ValidationError, match="finite"):
        encode_labels([1.0, np.nan])
    with pytest.raises(InputTypeError, match="comparable"):
        encode_labels(np.array([1, "a", None], dtype=object))
    with pytest.raises(ValidationError, match="non-empty"):
        encode_labels([])
