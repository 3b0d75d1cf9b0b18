"""One batch at a time: Trainer.batches + Trainer.train_batch reproduce Trainer.run exactly."""

import numpy as np

import backprop as bp
from backprop.train import Trainer, TrainingData


def test_stepping_batch_by_batch_equals_an_epoch_of_run(rng):
    X, y = rng.normal(size=(70, 3)), rng.integers(0, 3, 70)
    nets = [bp.Network([3, 5, 3], ["tanh", "softmax"], "cce", seed=1) for _ in range(2)]
    trainers = [Trainer(net, optimizer="adam", learning_rate=0.05, batch_size=16, seed=7, dropout=0.1)
                for net in nets]
    data = [TrainingData(net, X, y) for net in nets]
    history = trainers[0].run(data[0], 2)
    costs = []
    for _ in range(2):
        for idx in trainers[1].batches(data[1].m):
            cost, correct, weight = trainers[1].train_batch(data[1], idx)
            costs.append((cost, weight))
    np.testing.assert_array_equal(nets[0].params, nets[1].params)
    assert trainers[0].step == trainers[1].step == 2 * 5
    # the epoch's loss is the weighted mean of its batch costs
    last = costs[5:]
    mean = np.average([c for c, _ in last], weights=[w for _, w in last])
    assert np.isclose(history["loss"][1], mean, rtol=1e-12, atol=0)


def test_a_batch_that_weighs_nothing_is_skipped(rng):
    X, y = rng.normal(size=(8, 2)), rng.integers(0, 2, 8)
    net = bp.Network([2, 3, 1], ["tanh", "sigmoid"], "bce", seed=0)
    trainer = Trainer(net, optimizer="sgd", batch_size=4, shuffle=False)
    data = TrainingData(net, X, y, sample_weight=[0, 0, 0, 0, 1, 1, 1, 1])
    before = net.params.copy()
    assert trainer.train_batch(data, slice(0, 4)) is None
    np.testing.assert_array_equal(net.params, before)
    assert trainer.train_batch(data, slice(4, 8))[2] == 4.0 and trainer.step == 1
