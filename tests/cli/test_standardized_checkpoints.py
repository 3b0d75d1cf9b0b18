"""A checkpoint of a ``--standardize`` run holds the network on standardised inputs; predicting
with it (``backprop predict``/``evaluate``/``attribute``, ``backprop.load``) must fold the
scaling in, as the final model file does, never feed raw features to the unfolded network."""

from __future__ import annotations

import numpy as np
import pytest

import backprop as bp
from backprop import io as bio
from backprop.cli import main


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Features 1000× apart in scale; the last epoch's checkpoint is the final model's network."""
    tmp = tmp_path_factory.mktemp("std_ck")
    rng = np.random.default_rng(7)
    X = rng.normal(size=(120, 3)) * [1000.0, 0.01, 1.0] + [5000.0, -3.0, 0.0]
    label = np.where(0.002 * (X[:, 0] - 5000) + 80 * (X[:, 1] + 3) + X[:, 2] > 0, "hi", "lo")
    with open(tmp / "d.csv", "w") as f:
        f.write("a,b,c,y\n")
        f.writelines(f"{r[0]:.6f},{r[1]:.8f},{r[2]:.6f},{t}\n" for r, t in zip(X, label))
    assert main(["train", str(tmp / "d.csv"), "--standardize", "--epochs", "4", "--checkpoint-every", "4",
                 "--checkpoint", str(tmp / "ck.npz"), "--out", str(tmp / "m.npz"), "--quiet"]) == 0
    return tmp, X


def test_load_folds_the_scaling_of_a_checkpoint(run):
    tmp, X = run
    final, from_checkpoint = bp.load(tmp / "m.npz"), bp.load(tmp / "ck.npz")
    np.testing.assert_allclose(from_checkpoint.predict_proba(X), final.predict_proba(X), rtol=1e-12)
    assert list(from_checkpoint.classes_) == ["hi", "lo"]
    stored, _ = bio.load_checkpoint(tmp / "ck.npz")  # for resuming: the network as it trains, not folded
    raw = bio.read_model(tmp / "ck.npz").net
    np.testing.assert_array_equal(stored.params, raw.params)
    assert not np.allclose(stored.predict_proba(X), final.predict_proba(X))  # unfolded on raw features: wrong


@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_predict_and_evaluate_on_a_checkpoint_match_the_final_model(run, command, capsys):
    tmp, _ = run
    outputs = []
    for model in ("m.npz", "ck.npz"):
        extra = ["--out", str(tmp / f"{command}_{model}.csv")] if command == "predict" else []
        assert main([command, str(tmp / model), str(tmp / "d.csv"), *extra]) == 0
        text = capsys.readouterr().out
        outputs.append((tmp / f"{command}_{model}.csv").read_text() if command == "predict"
                       else text.split("\n", 1)[1])  # all but the "model: FILE" line
    assert outputs[0] == outputs[1]


def test_a_damaged_scaling_in_a_checkpoint_is_named(run, tmp_path):
    tmp, _ = run
    model = bio.read_model(tmp / "ck.npz")
    model.metadata["standardize"] = {"mean": [0.0], "scale": [1.0]}  # one number for three inputs
    with pytest.raises(bio.ModelFileError, match="metadata 'standardize' of this checkpoint"):
        model.predictor()
