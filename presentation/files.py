"""Writing results: all the files of a result, or none of them.

Everything is rendered in memory first. Then every problem with the folder is found before
any file is touched (it cannot be made, it is a file, it is read-only, a result file's name is
taken by a folder); each file is written to a temporary name in the target folder; only when
all of them are written are they moved into place with os.replace, one after another. A reader
never sees half a file, and a failure leaves the previous result as it was.
"""
from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from simulator.errors import UserError


class OutputError(UserError):
    """The results folder cannot take the result; nothing was written."""


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()
# what an error says to choose instead: the commands that write results take -o; `callsim report`
# writes into the folder it reads and passes its own advice
INSTEAD = "another output folder with -o"


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENAMETOOLONG:
        return "the name is too long"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "permission denied (a read-only folder?)"
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    return exc.strerror or exc.__class__.__name__


def check_folder(directory: Path, instead: str = INSTEAD) -> Path:
    """The results folder, checked before any work is done: every part of the path that exists
    is a folder, no part of the name is too long, and the folder can be made or written in.
    Raises OutputError (one line, ending "choose `instead`"); returns `directory`."""
    directory = Path(directory)
    for part in directory.parts:
        if len(part.encode()) > 255:
            raise OutputError(f"{directory}: the name {part[:20]}... is too long (over 255 bytes); choose {instead}")
    probe = directory
    while True:
        try:
            exists = probe.exists()
        except OSError as exc:
            raise OutputError(f"{directory}: cannot use this results folder: {_reason(exc)}; choose {instead}") from None
        if exists:
            break
        if probe.parent == probe:
            break
        probe = probe.parent
    if exists and not probe.is_dir():
        raise OutputError(f"{directory}: {probe} is a file, not a folder; choose {instead}")
    if exists and not os.access(probe, os.W_OK | os.X_OK):
        raise OutputError(f"{directory}: {probe} is read-only (permission denied); choose {instead}")
    return directory


def _ready_folder(directory: Path, instead: str) -> None:
    check_folder(directory, instead)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise OutputError(f"{directory}: is a file, or lies under one, not a folder; choose another output folder "
                          "with -o") from None
    except OSError as exc:
        raise OutputError(f"{directory}: cannot make the results folder: {_reason(exc)}; choose {instead}") from None
    if not directory.is_dir():
        raise OutputError(f"{directory}: is not a folder; choose {instead}")


def write_atomically(directory: Path, files: dict[str, str | bytes], instead: str = INSTEAD) -> list[Path]:
    """Write every file into `directory` (created if needed): all of them, or none (OutputError
    whose advice is to choose `instead`)."""
    directory = Path(directory)
    _ready_folder(directory, instead)
    for name in files:
        if (directory / name).is_dir():
            raise OutputError(f"{directory / name}: is a folder, so the result file {name} cannot replace it; move "
                              f"it away or choose {instead}")
    staged: list[tuple[str, Path]] = []
    try:
        for name, content in files.items():
            mode = "wb" if isinstance(content, bytes) else "w"
            handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
            staged.append((temporary, directory / name))
            with os.fdopen(handle, mode, **({} if mode == "wb" else {"encoding": "utf-8", "newline": ""})) as stream:
                stream.write(content)
            os.chmod(temporary, 0o666 & ~_UMASK)  # mkstemp makes 0600; results are ordinary files
    except BaseException as exc:
        for temporary, _ in staged:
            Path(temporary).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise OutputError(f"{directory}: cannot write the results: {_reason(exc)}; nothing was written") from None
        raise
    for temporary, target in staged:
        os.replace(temporary, target)
    return [target for _, target in staged]
