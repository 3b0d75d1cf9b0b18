"""Atomic file writing: a temporary file beside the target, fsynced, then renamed over it (a regular file or nothing)."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from typing import Any, Union

from ..core.validation import InputTypeError, describe
from .paths import STDOUT_NAMES, is_stream, remove_stale_temporaries, temporary_prefix, write_target

__all__ = ["PathLike", "atomic_write", "write_output"]

PathLike = Union[str, os.PathLike]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_directory(directory: str) -> None:
    """Make the rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: PathLike, write: Callable[[Any], None]) -> str:
    """Call ``write(file)`` on a temporary file beside ``path``, fsync it, then rename it over ``path``.

    Only a regular file (or nothing) is ever replaced: a symbolic link to a regular file is
    followed (the file it points to is replaced, the link stays), and a directory, a device
    (``/dev/null``), a FIFO or a socket is refused (:func:`backprop.io.paths.write_target`).
    On any failure the temporary file is removed and an existing ``path`` is left as it was.
    The temporary is named ``.NAME.HOST.PID.RANDOM.tmp``; those of the same target left by
    killed writers on this host are removed first (:func:`~backprop.io.paths.remove_stale_temporaries`).
    """
    if isinstance(path, (bool, int)) or not isinstance(path, (str, os.PathLike)):
        raise InputTypeError(f"path: expected a file path (str or os.PathLike), received {describe(path)}")
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"path: expected a file name, received the directory {path!r}")
    target = write_target(path, "path")
    directory = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"path: the directory {directory!r} does not exist, received {path!r}")
    remove_stale_temporaries(target)
    fd, tmp = tempfile.mkstemp(prefix=temporary_prefix(target), suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        try:  # mkstemp makes the file private (0600); give it the usual permissions
            mode = os.stat(target).st_mode & 0o777 if os.path.exists(target) else 0o666 & ~_umask()
            os.chmod(tmp, mode)
        except OSError:
            pass
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_directory(directory)
    return path


def write_output(path: PathLike, write: Callable[[Any], None], name: str = "path") -> str:
    """Write an output that may also be streamed (predictions): ``write(binary_file)``.

    ``-``, ``/dev/stdout``, a character device (a terminal, ``/dev/null``), a FIFO or a socket
    is written by streaming into it (standard output for the first two); anything else by
    :func:`atomic_write` (a regular file or nothing is replaced). Returns ``path``.
    """
    if isinstance(path, (bool, int)) or not isinstance(path, (str, os.PathLike)):
        raise InputTypeError(f"{name}: expected a file path (str or os.PathLike), received {describe(path)}")
    path = os.fspath(path)
    if not is_stream(path):
        return atomic_write(path, write)
    if path in STDOUT_NAMES:
        sys.stdout.flush()
        stream = getattr(sys.stdout, "buffer", None)
        if stream is None:  # a text-only stdout (a notebook, a test's capture)
            import io as _io

            buffer = _io.BytesIO()
            write(buffer)
            sys.stdout.write(buffer.getvalue().decode("utf-8"))
        else:
            write(stream)
            stream.flush()
        return path
    with open(path, "wb") as handle:  # a device, a FIFO (waits for its reader, as `cat > fifo` does), a socket
        write(handle)
    return path
