"""Data for training: seeded toy data sets, CSV/NPZ loaders and preprocessing (numpy only)."""

from .datasets import blobs, circles, moons, planar_flower, spirals, xor
from .loaders import Dataset, LoadedData, load_csv, load_npz
from .preprocessing import StandardScaler, encode_labels, fold_standardization, one_hot, train_test_split

__all__ = [
    "planar_flower",
    "moons",
    "circles",
    "spirals",
    "xor",
    "blobs",
    "LoadedData",
    "Dataset",
    "load_csv",
    "load_npz",
    "train_test_split",
    "StandardScaler",
    "fold_standardization",
    "one_hot",
    "encode_labels",
]
