"""The math of backpropagation; imports numpy only."""
