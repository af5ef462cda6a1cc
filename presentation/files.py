"""Writing results: all the files of a result, or none of them.

Everything is rendered in memory first. Then every problem with the folder is found before
any file is touched (it cannot be made, it is a file, it is read-only, a result file's name is
taken by a folder); each file is written to a temporary name in the target folder; only when
all of them are written are they moved into place with os.replace, one after another. A reader
never sees half a file, and a failure leaves the previous result as it was.

The command line prints before it writes (`printed_then_written`): its files stay temporaries
until what it prints has gone out, so a standard output that cannot take the text (a full
disk, `> /dev/full`) leaves no result behind either.
"""
from __future__ import annotations

import contextlib
import errno
import io
import os
import sys
import tempfile
from pathlib import Path
from typing import Callable

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
    if _holding:  # the folders this makes, so that a result not written leaves none behind
        missing = directory
        while not missing.parent.exists() and missing.parent != missing:
            missing = missing.parent
        if not missing.exists():
            _holding[-1].made.append(missing)
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
    if _holding:
        _holding[-1].staged.extend(staged)  # moved into place once the printed output has gone out
    else:
        _commit(staged)
    return [target for _, target in staged]


def _commit(staged: list[tuple[str, Path]]) -> None:
    for temporary, target in staged:
        os.replace(temporary, target)


def _discard(staged: list[tuple[str, Path]]) -> None:
    for temporary, _ in staged:
        Path(temporary).unlink(missing_ok=True)


class _Held:
    def __init__(self) -> None:
        self.staged: list[tuple[str, Path]] = []
        self.made: list[Path] = []  # the first folder of each path made for the result

    def discard(self) -> None:
        _discard(self.staged)
        for top in self.made:  # the folders made for it, if nothing else went in
            for folder in sorted((p for p in top.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)) + [top]:
                with contextlib.suppress(OSError):
                    folder.rmdir()


_holding: list[_Held] = []


def printed_then_written(command: Callable[[], int], interrupted: tuple[int, ...] = (130, 143)) -> int:
    """Run `command` (which returns an exit code) with what it prints to stdout held in memory
    and the result files it writes held as temporaries; then print, then move the files into
    place. Standard output that cannot take the text (`> /dev/full`, a full disk) is one line on
    stderr, exit code 2 and no file written; a reader that stops reading (`| head`) is not an
    error: the results are written. An `interrupted` exit code writes nothing."""
    held = _Held()
    _holding.append(held)
    buffer = io.StringIO()
    try:
        with contextlib.redirect_stdout(buffer):
            code = command()
    except BaseException:
        held.discard()
        sys.stdout.write(buffer.getvalue())
        raise
    finally:
        _holding.remove(held)
    if code in interrupted:
        held.discard()
        return code
    try:
        sys.stdout.write(buffer.getvalue())
        sys.stdout.flush()
    except BrokenPipeError:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - the interpreter's last flush must not fail again
    except OSError as exc:
        held.discard()
        sys.stderr.write(f"callsim: error: cannot print to standard output: {_reason(exc)}; nothing was written "
                         "(send the output to a file or device that can take it)\n")
        return 2
    _commit(held.staged)
    return code
