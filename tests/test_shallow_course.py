"""backprop.shallow against the course's printed numbers: layer_sizes, and the honest note on nn_model."""

import numpy as np
import pytest

from backprop import shallow
from backprop.data import planar_flower


def test_layer_sizes_is_the_courses():
    X, Y = np.zeros((5, 3)), np.zeros((2, 3))
    assert shallow.layer_sizes(X, Y) == (5, 4, 2)  # the course's test case: (5, 4, 2)
    Xf, y = planar_flower()
    assert shallow.layer_sizes(Xf.T, y.reshape(1, -1)) == (2, 4, 1)
    assert shallow.layer_sizes(X, Y, n_h=7) == (5, 7, 2)


@pytest.mark.parametrize("X, Y, match", [
    (np.zeros(3), np.zeros((1, 3)), r"X: expected shape \(n_x, m\)"),
    (np.zeros((2, 3)), np.zeros(3), r"Y: expected shape \(n_y, m\)"),
    (np.zeros((2, 3)), np.zeros((1, 4)), "Y: expected 3 columns"),
])
def test_layer_sizes_names_bad_input(X, Y, match):
    with pytest.raises(ValueError, match=match):
        shallow.layer_sizes(X, Y)


def test_the_note_on_agreement_with_the_course_is_where_a_student_looks():
    # the numbers themselves are checked by tests/test_shallow.py::test_nn_model_learns_the_flower
    assert "0.219454" in shallow.__doc__ and "0.219406" in shallow.__doc__ and "4th digit" in shallow.nn_model.__doc__
