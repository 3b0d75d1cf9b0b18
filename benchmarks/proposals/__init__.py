"""Measured prototypes for the engine (not part of the library); see ENGINE.md."""
