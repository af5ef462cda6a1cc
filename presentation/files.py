"""Writing results: atomically, all files of a result or none.

Everything is rendered in memory first; files are then written each to a temporary name in
the target folder and moved into place with os.replace, so a reader never sees half a file
and a failed run leaves no result behind.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def write_atomically(directory: Path, files: dict[str, str | bytes]) -> list[Path]:
    """Write every file into `directory` (created if needed), each replaced atomically."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in files.items():
        target = directory / name
        mode = "wb" if isinstance(content, bytes) else "w"
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, mode, **({} if mode == "wb" else {"encoding": "utf-8", "newline": ""})) as stream:
                stream.write(content)
            os.chmod(temporary, 0o666 & ~_UMASK)  # mkstemp makes 0600; results are ordinary files
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        written.append(target)
    return written
