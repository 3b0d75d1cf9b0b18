"""backprop: feed-forward neural networks with explicit, readable backpropagation."""

__version__ = "0.1.0"
