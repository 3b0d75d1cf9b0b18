"""Output that never costs a model: a closed standard output, a non-UTF-8 one, warnings, bounded history.

- :class:`GuardedStream` wraps ``sys.stdout``/``sys.stderr`` for one command: when the
  reader goes away (``backprop train … | head -1``) further output is dropped (the file
  descriptor is pointed at the null device) and the command carries on, so ``train``
  still saves its model; ``closed_early`` tells the command afterwards. A character the
  stream's encoding cannot write (``→``, ``²``, ``α`` on cp1252 or ASCII) is written as
  ASCII (``->``, ``^2``, ``alpha``; ``?`` for anything else).
- :func:`cli_warnings` prints library warnings as ``backprop: warning: …`` lines on stderr.
- :func:`bounded_history` keeps a model file's history small (every epoch up to a limit,
  then a thinned, evenly spaced sample plus the last epoch).
"""

from __future__ import annotations

import contextlib
import errno
import os
import unicodedata
import warnings
from collections.abc import Iterator
from typing import Any

__all__ = ["GuardedStream", "ascii_fallback", "bounded_history", "kept_epochs", "cli_warnings", "guarded_output"]

_ASCII = {
    "→": "->", "←": "<-", "↔": "<->", "⇒": "=>", "²": "^2", "³": "^3", "¹": "^1", "⁻": "^-", "·": "*",
    "×": "x", "÷": "/", "−": "-", "–": "-", "—": "--", "…": "...", "≤": "<=", "≥": ">=", "≠": "!=",
    "≈": "~", "±": "+/-", "∑": "sum", "Σ": "sum", "∂": "d", "∇": "grad", "√": "sqrt", "∞": "inf",
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "eps", "η": "eta", "θ": "theta",
    "λ": "lambda", "μ": "mu", "σ": "sigma", "Δ": "Delta", "ŷ": "y_hat", "ȳ": "y_bar", "‖": "||",
    "“": '"', "”": '"', "‘": "'", "’": "'", "•": "*", "✓": "ok", "✗": "x", "█": "#", "▏": "|",
    "▎": "|", "▍": "|", "▌": "|", "▋": "|", "▊": "|", "▉": "|", "░": ".", "▒": ":", "▓": "#",
    "│": "|", "─": "-", "┌": "+", "┐": "+", "└": "+", "┘": "+", "├": "+", "┤": "+", "┬": "+", "┴": "+", "┼": "+",
    "ᵀ": "^T", "⊙": "*", "∘": "o", "⁰": "^0", "ᵢ": "_i", "ₗ": "_l", "₀": "_0", "₁": "_1", "₂": "_2",
}


def ascii_fallback(text: str, encoding: str) -> str:
    """``text`` with every character that ``encoding`` cannot write replaced by ASCII."""
    out = []
    for ch in text:
        try:
            ch.encode(encoding)
            out.append(ch)
        except (UnicodeEncodeError, LookupError):
            if ch in _ASCII:
                out.append(_ASCII[ch])
            else:
                plain = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode("ascii")
                out.append(plain or "?")
    return "".join(out)


class GuardedStream:
    """A text stream that survives a closed reader and an encoding that lacks some characters."""

    def __init__(self, stream: Any):
        self._stream = stream
        self.closed_early = False

    def _drop(self) -> None:
        self.closed_early = True
        try:
            fd = self._stream.fileno()
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, fd)  # the interpreter's final flush then writes nowhere, silently
            os.close(null)
        except (OSError, ValueError, AttributeError):
            pass

    @contextlib.contextmanager
    def _reader_may_be_gone(self) -> Iterator[None]:
        """A reader that went away (EPIPE, or EINVAL on some platforms) drops the stream; other errors raise."""
        try:
            yield
        except OSError as exc:  # BrokenPipeError included
            if not isinstance(exc, BrokenPipeError) and exc.errno not in (errno.EPIPE, errno.EINVAL):
                raise
            self._drop()

    def write(self, text: str) -> int:
        if self.closed_early:
            return len(text)
        with self._reader_may_be_gone():
            try:
                return self._stream.write(text)
            except UnicodeEncodeError:
                encoding = getattr(self._stream, "encoding", None) or "ascii"
                return self._stream.write(ascii_fallback(text, encoding))
        return len(text)

    def flush(self) -> None:
        if self.closed_early:
            return
        with self._reader_may_be_gone():
            self._stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def guarded_output() -> Iterator[tuple[GuardedStream, GuardedStream]]:
    """Guard ``sys.stdout`` and ``sys.stderr`` for the duration (restored afterwards)."""
    import sys

    saved = sys.stdout, sys.stderr
    out, err = GuardedStream(sys.stdout), GuardedStream(sys.stderr)
    sys.stdout, sys.stderr = out, err  # type: ignore[assignment]
    try:
        yield out, err
    finally:
        try:
            out.flush()
        finally:
            sys.stdout, sys.stderr = saved


@contextlib.contextmanager
def cli_warnings() -> Iterator[None]:
    """Warnings raised while a command runs print as one ``backprop: warning: …`` line each on stderr."""
    import sys

    def show(message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
        print(f"backprop: warning: {message}", file=sys.stderr)

    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = show
        yield


def kept_epochs(n: int, limit: int) -> tuple[list[int], int]:
    """(indices of at most about ``limit`` of ``n`` epochs, evenly spaced, the last included; the spacing)."""
    if n <= limit:
        return list(range(n)), 1
    step = -(-n // limit)  # ceil
    keep = list(range(0, n, step))
    if keep[-1] != n - 1:
        keep.append(n - 1)
    return keep, step


def bounded_history(history: dict[str, Any], limit: int = 2000) -> dict[str, Any]:
    """A history dict (``History.to_dict``) with at most about ``limit`` epochs: evenly spaced ones and the last.

    The result says what it is: ``"summarised": {"epochs": N, "kept": k, "every": s}``;
    short histories come back unchanged.
    """
    epochs = history.get("epoch") or []
    n = len(epochs)
    if n <= limit:
        return history
    keep, step = kept_epochs(n, limit)

    def thin(values: Any) -> Any:
        return [values[i] for i in keep] if isinstance(values, list) and len(values) == n else values

    out = {key: ({k: thin(v) for k, v in value.items()} if isinstance(value, dict) else thin(value))
           for key, value in history.items()}
    out["summarised"] = {"epochs": n, "kept": len(keep), "every": step}
    return out
