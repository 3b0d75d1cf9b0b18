"""The parameter and semantics sections shared by the two estimators' docstrings."""

PARAMETERS = """
    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default=(100,)
        Units of each hidden layer; ``()`` for none (a generalised linear model).
    activation : str or sequence of str, default="relu"
        Hidden activation: scikit-learn's "identity", "logistic", "tanh", "relu", or any backprop
        activation ("leaky_relu", "elu", "gelu", "silu", "softplus", registered ones); a list gives
        one per hidden layer.
    solver : {"adam", "sgd", "lbfgs"}, default="adam"
        "sgd" is momentum SGD (Nesterov's with ``nesterovs_momentum``, plain with ``momentum=0``);
        "lbfgs" is scipy's L-BFGS-B, full batch (``max_iter`` iterations, ``max_fun`` cost
        evaluations, ``gtol = tol``).
    alpha : float, default=1e-4
        L2 penalty. The objective of a batch of total sample weight m is its mean loss
        + alpha/(2m)·Σ‖W‖², scikit-learn's (biases are not penalised): backprop's ``l2 = alpha``.
    batch_size : int or "auto", default="auto"
        Examples per update; "auto" is min(200, n_samples). Ignored by "lbfgs".
    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        scikit-learn's schedule for "sgd" (ignored by the other solvers; see ``schedule``):
        "invscaling" sets lr = learning_rate_init / (t_ + 1)^power_t after each epoch, t_ being
        the examples seen so far; "adaptive" divides lr by 5 whenever the loss (or validation
        score) stalls for ``n_iter_no_change`` epochs, and stops once lr ≤ 1e-6.
    learning_rate_init : float, default=1e-3
        The initial learning rate of "sgd" and "adam" (and of ``schedule``).
    power_t : float, default=0.5
        Exponent of "invscaling".
    max_iter : int, default=200
        Epochs of one ``fit`` call (L-BFGS iterations for "lbfgs").
    shuffle : bool, default=True
        Reshuffle the examples every epoch.
    random_state : int, RandomState or None, default=None
        Drives the initial weights (the same draw as scikit-learn's MLP for the same seed),
        the validation split, the shuffling and dropout.
    tol : float, default=1e-4
        Training stops when the training loss has not fallen below best_loss_ − tol (or, with
        ``early_stopping``, the validation score has not risen above best_validation_score_ + tol)
        for more than ``n_iter_no_change`` consecutive epochs, as in scikit-learn.
    verbose : bool, default=False
        Print scikit-learn's "Iteration i, loss = …" line every epoch.
    warm_start : bool, default=False
        ``fit`` continues the previous run (see Notes).
    momentum : float, default=0.9
        Momentum of "sgd".
    nesterovs_momentum : bool, default=True
        Nesterov's momentum for "sgd".
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data (stratified for binary targets) and stop on its
        score (accuracy or R²); the best epoch's weights are restored.
    validation_fraction : float, default=0.1
    beta_1, beta_2, epsilon : float, default=0.9, 0.999, 1e-8
        Adam's hyperparameters.
    n_iter_no_change : int, default=10
        Patience of the stopping rule (see ``tol``).
    max_fun : int, default=15000
        Cost evaluations allowed to "lbfgs".
    dropout : float or sequence of float, default=0.0
        Inverted-dropout rate of every hidden layer, or one per hidden layer (training only).
    schedule : str, backprop.optim.Schedule, callable or None, default=None
        A learning-rate schedule for any solver but "lbfgs", starting at ``learning_rate_init``:
        "constant", "invscaling", "adaptive" (as above), a backprop schedule name ("step",
        "exponential", "inverse_time", "cosine", "plateau"), a Schedule object, or a function of
        the update count. Overrides ``learning_rate``.
    optimizer : str, backprop.optim optimizer or None, default=None
        Overrides ``solver`` (e.g. ``backprop.optim.RMSprop(rho=0.9)`` or "adamw"); an optimizer
        given its own learning rate keeps it unless ``schedule`` is set. Copied at fit time.
    clip_norm : float or None, default=None
        Rescale each gradient to at most this global L2 norm.
    dtype : None, "float32" or "float64", default=None
        The network's precision; None: float32 when X is float32, float64 otherwise.
    init : "sklearn", a backprop initializer name or callable, default="sklearn"
        "sklearn" draws weights and biases from scikit-learn's Glorot-uniform; anything else is
        backprop's initializer for the weights ("auto", "he_normal", …) with zero biases.
    backend : "auto", "numba" or "numpy", default="auto"
        What computes each training step: "auto" uses backprop's compiled kernels (numba,
        ``pip install 'backprop-mlp[fast]'``; the same numbers to rounding) for a fit long
        enough to repay loading them, when numba is installed and works (else the numpy engine
        with a one-line notice); "numba" insists on the kernels; "numpy" is the reference engine.
"""

ATTRIBUTES = """
    Attributes
    ----------
    network_ : backprop.Network
        The trained network (``W[l]`` of shape (n_l, n_{l-1}) in one flat ``params`` vector).
    coefs_ : list of arrays (n_in, n_out)
        ``coefs_[i] = network_.weights[i].T``, scikit-learn's orientation; views of ``network_.params``.
    intercepts_ : list of arrays (n_out,)
        ``network_.biases[i][:, 0]``; views of ``network_.params``.
    loss_curve_ : list of float
        Mean training objective (loss + L2 term) per epoch, over the whole run.
    loss_ : float
        The last epoch's.
    best_loss_ : float or None
        The lowest of ``loss_curve_`` (None with ``early_stopping``, as in scikit-learn).
    validation_scores_ : list of float or None
        Validation score per epoch with ``early_stopping``.
    validation_loss_curve_ : list of float or None
        Mean validation loss (without the L2 term) per epoch with ``early_stopping``.
    best_validation_score_ : float or None
    n_iter_ : int
        Epochs (L-BFGS iterations) of the last ``fit``/``partial_fit`` call.
    t_ : int
        Training examples seen over the whole run.
    history_ : backprop.History
        backprop's per-epoch record of the run ("loss", "val_loss", "lr", "seconds", …).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when X had string column names.
    n_outputs_ : int
    n_layers_ : int
        Layers including the input layer, as scikit-learn counts.
    out_activation_ : str
"""

NOTES = """
    Notes
    -----
    Incremental training (the semantics scikit-learn issues #6091, #8713, #16812 and #24764
    found unclear in MLPClassifier/MLPRegressor, stated here and pinned by tests):

    - ``fit`` with ``warm_start=False`` starts a new run every time, also after ``partial_fit``:
      new weights, optimizer state and curves.
    - ``fit`` with ``warm_start=True`` (on a fitted estimator) continues the run: from the
      current weights AND the optimizer's state (Adam's moments and step count, the momentum
      velocity), the learning-rate schedule's position and the shuffling RNG; so k calls with
      ``max_iter=1`` equal one call with ``max_iter=k``. ``max_iter`` bounds the epochs of each
      call (``n_iter_ <= max_iter``); ``loss_curve_`` and ``t_`` accumulate over the run, and
      each call gets its own ``n_iter_no_change`` patience. Changing a solver parameter between
      calls (solver, learning rates, momentum, betas, epsilon, schedule, optimizer) starts a new
      optimizer state; the data-side ones (batch_size, alpha, dropout, clip_norm, shuffle) simply
      apply to the next epochs.
    - ``partial_fit`` is exactly one epoch over the data it is given and continues the run the
      same way (also after ``fit``); it never stops early and never warns about convergence,
      so n calls of ``partial_fit`` on the same data equal ``fit`` with ``max_iter=n``.
      It is not available with "lbfgs" and refuses ``early_stopping``.
    - A ``fit`` call that runs all ``max_iter`` epochs without meeting the ``tol`` rule emits
      scikit-learn's ``ConvergenceWarning``.

    Against scikit-learn's MLP: the same initial weights for the same ``random_state``, the
    same update rules (scikit-learn's Adam and momentum SGD, see ``backprop.sklearn._optimizers``)
    and the same stopping rule, so on one full batch (at most 200 examples with
    batch_size="auto") training follows MLPClassifier/MLPRegressor update for update; with
    mini-batches only the shuffling order differs. For several regression outputs the reported
    loss is ½Σ over the outputs (scikit-learn divides its report by the number of outputs while
    following the same gradient), so ``tol`` compares against that sum.
"""
