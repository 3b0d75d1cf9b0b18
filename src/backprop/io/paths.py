"""The files a command reads and writes: what may be read, what may be replaced, and that no output is an input.

Three rules, shared by the library's readers and writers and by every ``backprop`` command:

- **Inputs are regular files.** :func:`check_input_file` refuses, before anything is opened,
  a directory, a named pipe (FIFO: ``open()`` would wait forever for a writer), a device
  (``/dev/zero`` and ``/dev/urandom`` never end) or a socket; :func:`open_input` opens
  without blocking and checks the opened file again, so a FIFO swapped in between the check
  and the ``open`` is refused too. Every later read is bounded by the file's size.
- **Outputs replace a regular file or nothing.** :func:`check_output_file` refuses, before
  any work is done, an output that is a directory, a device, a FIFO or a socket, unless the
  caller streams (predictions to ``-``, ``/dev/stdout``, a pipe or a terminal:
  :func:`is_stream`). A symbolic link to a regular file is followed: the file it points to
  is replaced and the link stays (:func:`write_target`).
- **No output is an input.** :func:`check_distinct` refuses, with one line naming both, an
  output that is the same file as one of the command's inputs, however it is spelled
  (``./data.csv``, a symbolic link, a hard link, another case on a case-insensitive file
  system: files are compared by device and inode), and two outputs that are one file.
"""

from __future__ import annotations

import errno
import os
import socket
import stat
from collections.abc import Iterable, Sequence
from typing import IO, Any, Union

from ..core.validation import InputTypeError, ValidationError, describe

__all__ = [
    "STDOUT_NAMES",
    "PathSpec",
    "check_distinct",
    "check_input_file",
    "check_output_file",
    "describe_kind",
    "is_stream",
    "open_input",
    "remove_stale_temporaries",
    "temporary_prefix",
    "write_target",
]

PathLike = Union[str, os.PathLike]

#: Output names that mean this process's standard output.
STDOUT_NAMES = ("-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1")

#: ``(option, path)``: a command-line option (or argument name) and the path it names.
PathSpec = tuple[str, Any]


def _as_path(path: Any, name: str) -> str:
    if isinstance(path, (bool, int)) or not isinstance(path, (str, os.PathLike)):
        raise InputTypeError(f"{name}: expected a file path (str or os.PathLike), received {describe(path)}")
    path = os.fspath(path)
    if not isinstance(path, str):
        raise InputTypeError(f"{name}: expected a text path, received {describe(path)}")
    if not path:
        raise ValidationError(f"{name}: expected a file path, received an empty string")
    if "\x00" in path:
        raise ValidationError(f"{name}: expected a file path, received one with a NUL character: {path!r}")
    return path


def describe_kind(mode: int) -> str:
    """What a file of this ``st_mode`` is, in words: 'a named pipe (FIFO)', 'a character device', …"""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISREG(mode):
        return "a regular file"
    return "not a regular file"


def _refuse_kind(name: str, path: str, mode: int, what: str) -> Exception:
    if stat.S_ISDIR(mode):
        return IsADirectoryError(f"{name}: expected {what}, received the directory {path!r}")
    return ValidationError(f"{name}: expected {what} (a regular file), received {describe_kind(mode)}: {path!r}")


def check_input_file(path: Any, name: str = "path", what: str = "a file") -> str:
    """``path`` as a str, after checking that it names an existing regular file (symbolic links followed).

    Raises InputTypeError (not a path), FileNotFoundError, IsADirectoryError, or
    ValidationError for a named pipe, a device or a socket (reading one would block or never end).
    """
    path = _as_path(path, name)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise FileNotFoundError(f"{name}: no such file: {path!r}") from None
    except NotADirectoryError:
        raise FileNotFoundError(f"{name}: no such file (a part of the path is not a directory): {path!r}") from None
    except PermissionError:
        raise PermissionError(f"{name}: permission denied: {path!r}") from None
    except OSError as exc:
        raise OSError(exc.errno, f"{name}: cannot read {path!r} ({exc.strerror or exc})") from None
    if not stat.S_ISREG(mode):
        raise _refuse_kind(name, path, mode, what)
    return path


def open_input(path: Any, name: str = "path", what: str = "a file") -> IO[bytes]:
    """Open a regular file for reading in binary mode, never blocking on a FIFO swapped in after the check."""
    path = check_input_file(path, name, what)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except PermissionError:
        raise PermissionError(f"{name}: permission denied: {path!r}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise _refuse_kind(name, path, mode, what)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def is_stream(path: Any) -> bool:
    """True for outputs written by streaming, not by replacing a file: ``-``, ``/dev/stdout``, an
    existing character device (a terminal, ``/dev/null``) or a FIFO."""
    if not isinstance(path, (str, os.PathLike)):
        return False
    path = os.fspath(path)
    if not isinstance(path, str):
        return False
    if path in STDOUT_NAMES:
        return True
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def write_target(path: Any, name: str = "path") -> str:
    """The regular file a write to ``path`` replaces: ``path``, or the file its symbolic links lead to.

    Raises IsADirectoryError for a directory and ValidationError for anything that is not a
    regular file and not nothing (a device, a FIFO, a socket: replacing ``/dev/null`` by a
    regular file would break the system) or for a chain of links that loops.
    """
    path = _as_path(path, name)
    if path in STDOUT_NAMES[:1]:
        raise ValidationError(f"{name}: '-' (standard output) is not a file; give a file name")
    target = os.path.realpath(path) if os.path.islink(path) else path
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        if os.path.islink(target):  # realpath gave up on a loop
            raise ValidationError(f"{name}: the symbolic links of {path!r} form a loop") from None
        return target
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ValidationError(f"{name}: the symbolic links of {path!r} form a loop") from None
        raise
    if stat.S_ISREG(mode):
        return target
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(f"{name}: expected a file name, received the directory {path!r}")
    raise ValidationError(f"{name}: {path!r} is {describe_kind(mode)}, not a regular file; refusing to replace it "
                          "with one (give a file name)")


def check_output_file(path: Any, name: str, *, stream: bool = False) -> str:
    """Check, before any work, that ``path`` can be written: a regular file or nothing, in a writable directory.

    ``stream=True``: also accept what :func:`is_stream` accepts (the output is then written
    by streaming). Returns ``path``. Raises ValidationError (a usage error: exit status 2).
    """
    path = _as_path(path, name)
    if stream and is_stream(path):
        return path
    try:
        target = write_target(path, name)
    except IsADirectoryError:
        raise ValidationError(f"{name}: expected a file name, received the directory {path!r}") from None
    directory = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(directory):
        raise ValidationError(f"{name}: the directory {directory!r} does not exist, received {path!r}")
    if not os.access(directory, os.W_OK):
        raise ValidationError(f"{name}: the directory {directory!r} is not writable, received {path!r}")
    return path


def _identity(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_dev, st.st_ino)


def _same(a: str, b: str) -> bool:
    ida, idb = _identity(a), _identity(b)
    if ida is not None and idb is not None:
        return ida == idb
    return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def check_distinct(inputs: Iterable[PathSpec], outputs: Iterable[PathSpec]) -> None:
    """Refuse an output that is one of the inputs, or two outputs that are one file (one line naming both).

    ``inputs`` and ``outputs``: ``(option, path)`` pairs; a ``None`` path (option not given)
    is skipped, and so are inputs that are not files (a data set's name). Files are compared
    by device and inode when both exist (so ``./x``, links and case variants are found), else
    by their resolved, case-normalised paths. Streams (``-``, ``/dev/stdout``, devices, pipes)
    are never the same as a file.
    """
    ins = [(option, os.fspath(p)) for option, p in inputs if isinstance(p, (str, os.PathLike))]
    ins = [(option, p) for option, p in ins if isinstance(p, str) and os.path.isfile(p)]
    outs = [(option, os.fspath(p)) for option, p in outputs if isinstance(p, (str, os.PathLike))]
    outs = [(option, p) for option, p in outs if isinstance(p, str) and p and not is_stream(p)]
    for out_option, out in outs:
        for in_option, source in ins:
            if _same(out, source):
                spelled = "" if out == source else f" ({out!r} is {source!r})"
                raise ValidationError(
                    f"{out_option}: refusing to overwrite the input {in_option} {source!r}{spelled}; "
                    "write to another file"
                )
    for i, (first_option, first) in enumerate(outs):
        for second_option, second in outs[i + 1:]:
            if _same(first, second):
                raise ValidationError(f"{second_option}: {second!r} is the same file as {first_option} {first!r}; "
                                      "give each output its own file")


# --------------------------------------------------------------------------- temporaries of atomic writes

_HOST = "".join(c if c.isalnum() or c in "-_" else "_" for c in socket.gethostname())[:32] or "host"


def temporary_prefix(target: str) -> str:
    """The name prefix of this process's temporaries for ``target``: ``.NAME.HOST.PID.`` (then random, ``.tmp``)."""
    return f".{os.path.basename(target)}.{_HOST}.{os.getpid()}."


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    except OSError:
        return True
    return True


def remove_stale_temporaries(target: str, names: Sequence[str] | None = None) -> list[str]:
    """Remove the temporaries of ``target`` left by killed writers on this host; the paths removed.

    A temporary is ``.NAME.HOST.PID.RANDOM.tmp`` beside the target (:func:`temporary_prefix`);
    it is stale when its host is this one and no process ``PID`` exists. Temporaries of
    live processes, of other hosts (a shared file system) and every other file are kept.
    """
    directory = os.path.dirname(os.path.abspath(target))
    head = f".{os.path.basename(target)}.{_HOST}."
    try:
        names = os.listdir(directory) if names is None else names
    except OSError:
        return []
    removed = []
    for entry in names:
        if not (entry.startswith(head) and entry.endswith(".tmp")):
            continue
        pid_text, _, rest = entry[len(head):].partition(".")
        if not pid_text.isdigit() or not rest or "." in rest[:-4] or int(pid_text) == os.getpid():
            continue
        if _alive(int(pid_text)):
            continue
        full = os.path.join(directory, entry)
        try:
            if stat.S_ISREG(os.lstat(full).st_mode):
                os.unlink(full)
                removed.append(full)
        except OSError:
            pass
    return removed
