"""Files and folders callsim reads, checked before they are opened.

A path the user gives may name nothing, a folder, a pipe that blocks a reader forever, a device
that never ends (/dev/zero), or be longer than the system takes (255 bytes a name): each is one
line naming the path and what to give instead, raised as a `UserError`, never an OSError.
"""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from .errors import UserError

MAX_NAME_BYTES = 255  # a file or folder name on Linux, macOS and Windows file systems


class InputFileError(UserError):
    """A path given to read that cannot be read; `str()` is one line."""


def status_of(path: Path, what: str) -> os.stat_result | None:
    """os.stat of `path`, None if nothing is there; an InputFileError for a path the system refuses."""
    for part in path.parts:
        if len(part.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
            raise InputFileError(f"{str(path)[:60]}...: the name {part[:20]}... is too long (over {MAX_NAME_BYTES} "
                                 f"bytes), so it cannot be {what}; check the path")
    try:
        return path.stat()
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
        reason = "the path is too long" if exc.errno == errno.ENAMETOOLONG else (exc.strerror or type(exc).__name__)
        raise InputFileError(f"{path}: cannot read it ({reason}); check the path") from None


def readable_file(path: str | Path, what: str, hint: str, max_bytes: int | None = None) -> Path:
    """`path` as a Path, checked to be a regular file of at most `max_bytes` (`what` it is, e.g.
    "a scenario file"; `hint` says where such files are or what to give)."""
    file = Path(path)
    info = status_of(file, f"{what}")
    if info is None:
        raise InputFileError(f"{path}: no such file; {hint}")
    if stat.S_ISDIR(info.st_mode):
        raise InputFileError(f"{path}: is a folder, not {what}; {hint}")
    if not stat.S_ISREG(info.st_mode):
        raise InputFileError(f"{path}: is not a regular file (a device, a pipe, ...), so it is not {what}; {hint}")
    if max_bytes is not None and info.st_size > max_bytes:
        raise InputFileError(f"{path}: the file is {info.st_size / 2**20:.1f} MiB; {what} is at most "
                             f"{max_bytes / 2**20:g} MiB: is this the right file?")
    return file


def readable_folder(path: str | Path, what: str, hint: str) -> Path:
    """`path` as a Path, checked to be a folder (`what` it is; `hint` what to give)."""
    folder = Path(path)
    info = status_of(folder, what)
    if info is None:
        raise InputFileError(f"{path}: no such folder; {hint}")
    if not stat.S_ISDIR(info.st_mode):
        raise InputFileError(f"{path}: is a file, not {what}; {hint}")
    return folder
