"""Test helpers for pictures and pages: a PNG that really shows something, and an HTML page
rendered in a real headless Chromium (Debian's chromium package; `.ci/run` installs it).

Without chromium the browser check is skipped, unless `CI` is set: then it fails.
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image


def assert_real_png(data: bytes, min_size=(800, 400)) -> Image.Image:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(data))
    image.load()  # decodes every pixel: a truncated file fails here
    assert image.size[0] >= min_size[0] and image.size[1] >= min_size[1], image.size
    pixels = np.asarray(image.convert("RGB"), dtype=np.uint32).reshape(-1, 3)
    colours = len(np.unique(pixels[:, 0] << 16 | pixels[:, 1] << 8 | pixels[:, 2]))
    assert colours > 50, f"only {colours} colours: an empty plot?"
    assert (pixels < 200).any(axis=1).mean() > 0.01, "almost nothing drawn"
    return image


def screenshot_in_chromium(page: Path, work_dir: Path, size: tuple[int, int] = (1280, 2000)) -> Image.Image:
    """Open `page` in headless Chromium, assert it logs no console message (errors, CSP
    violations, uncaught exceptions) and that its screenshot shows something; return it."""
    chromium = shutil.which("chromium")
    if chromium is None:
        message = "chromium is not installed (apt-get install chromium); the browser test of the report needs it"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    screenshot = work_dir / f"{page.stem}.screenshot.png"
    completed = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={work_dir / 'profile'}", f"--screenshot={screenshot}", f"--window-size={size[0]},{size[1]}",
         "--enable-logging=stderr", "--v=0", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    # Chromium logs every console message of the page (errors, CSP violations, uncaught
    # exceptions) as a CONSOLE line; the pages have no scripts, so there must be none
    console = [line for line in completed.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]
    assert not console, "\n".join(console)
    image = assert_real_png(screenshot.read_bytes())
    assert image.size == size
    return image
