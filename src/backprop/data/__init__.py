"""Data for training: seeded toy data sets, CSV/NPZ loaders and preprocessing (numpy only)."""

from .datasets import blobs, circles, moons, planar_flower, spirals, xor
from .loaders import Dataset, load_csv, load_npz

__all__ = [
    "planar_flower",
    "moons",
    "circles",
    "spirals",
    "xor",
    "blobs",
    "Dataset",
    "load_csv",
    "load_npz",
]
