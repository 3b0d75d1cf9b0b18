"""SaveCheckpoints: a checkpoint every N epochs, loadable, with its metadata and labels."""

import numpy as np
import pytest

import backprop as bp
from backprop import io as bio
from backprop.core.validation import ValidationError


def test_save_checkpoints_every_n_epochs(tmp_path, rng):
    X, y = rng.normal(size=(30, 2)), rng.integers(0, 2, 30)
    net = bp.Network([2, 3, 1], ["tanh", "sigmoid"], "bce", seed=0)
    calls = []
    saver = bio.SaveCheckpoints(2, str(tmp_path / "ckpt-{epoch}.npz"), classes=np.array(["no", "yes"]),
                                metadata=lambda: calls.append(1) or {"saves": len(calls)})
    net.fit(X, y, epochs=5, callbacks=[saver], seed=0)
    assert saver.saved == [str(tmp_path / "ckpt-2.npz"), str(tmp_path / "ckpt-4.npz")]
    loaded, state = bio.load_checkpoint(tmp_path / "ckpt-4.npz")
    assert state["epoch"] == 4 and loaded.metadata_ == {"saves": 2} and list(loaded.classes_) == ["no", "yes"]
    with pytest.raises(ValidationError, match="every: expected an integer >= 1"):
        bio.SaveCheckpoints(0, "x.npz")
