"""Test helpers for the web app: serve it on a free loopback port, and drive headless Chromium
(Debian's chromium package) over the DevTools protocol on loopback: load a page, read text,
type into an input, click, take screenshots, and collect every console error.

Everything is bounded in time and stays on 127.0.0.1. The DevTools websocket is spoken with
the `websockets` client (installed with Streamlit), so the helpers need nothing beyond the app extra.
"""
from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 2.0) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # loopback only
        return response.read().decode()


@contextlib.contextmanager
def served_app(timeout_s: float = 60.0):
    """`streamlit run app/main.py` on 127.0.0.1:<free port>, headless; yields the base URL."""
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(REPO))
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(REPO / "app" / "main.py"), "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--global.developmentMode", "false", "--client.toolbarMode", "minimal"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if _get(base + "/_stcore/health").strip() == "ok":
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the app did not start: {process.stdout.read()[-2000:]}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


class Browser:
    """Headless Chromium on loopback, one page, driven over the DevTools protocol."""

    def __init__(self, work_dir: Path, size: tuple[int, int] = (1400, 1800)):
        chromium = shutil.which("chromium")
        if chromium is None:
            raise FileNotFoundError("chromium")
        profile = work_dir / "profile"
        self.process = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", f"--user-data-dir={profile}",
             f"--window-size={size[0]},{size[1]}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.close()
                raise RuntimeError("chromium did not open its DevTools port")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        targets = json.loads(_get(f"http://127.0.0.1:{port}/json/list"))
        page = next(t for t in targets if t["type"] == "page")
        self.loop = asyncio.new_event_loop()
        self.errors: list[str] = []
        self._id = 0
        self._pending: dict[int, asyncio.Future] = {}
        self.loop.run_until_complete(self._connect(page["webSocketDebuggerUrl"]))
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable")

    async def _connect(self, url: str) -> None:
        import websockets

        self.ws = await websockets.connect(url, max_size=256 * 1024 * 1024, proxy=None, open_timeout=30)
        self.reader = self.loop.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            data = json.loads(message)
            if "id" in data and data["id"] in self._pending:
                self._pending.pop(data["id"]).set_result(data)
            elif data.get("method") == "Runtime.exceptionThrown":
                self.errors.append("exception: " + json.dumps(data["params"]["exceptionDetails"])[:500])
            elif data.get("method") == "Runtime.consoleAPICalled" and data["params"]["type"] in ("error", "assert"):
                self.errors.append("console: " + json.dumps(data["params"]["args"])[:500])
            elif data.get("method") == "Log.entryAdded" and data["params"]["entry"]["level"] == "error":
                self.errors.append("log: " + data["params"]["entry"].get("text", "")[:500])

    def send(self, method: str, timeout_s: float = 30.0, **params) -> dict:
        self._id += 1
        future = self.loop.create_future()
        self._pending[self._id] = future
        message = json.dumps({"id": self._id, "method": method, "params": params})
        data = self.loop.run_until_complete(self._exchange(message, future, timeout_s))
        if "error" in data:
            raise RuntimeError(f"{method}: {data['error']}")
        return data.get("result", {})

    async def _exchange(self, message: str, future: asyncio.Future, timeout_s: float) -> dict:
        await self.ws.send(message)
        return await asyncio.wait_for(future, timeout_s)

    def pump(self, seconds: float) -> None:
        """Let the page run (and events arrive) for `seconds`."""
        self.loop.run_until_complete(asyncio.sleep(seconds))

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:80]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout_s: float = 30.0, what: str = ""):
        """Poll a JavaScript expression until it is truthy; its value."""
        deadline = time.monotonic() + timeout_s
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited {timeout_s:g} s for {what or expression[:100]}")
            self.pump(0.2)

    def goto(self, url: str) -> None:
        self.send("Page.navigate", url=url)

    def click_at(self, x: float, y: float) -> None:
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def centre_of(self, selector_js: str) -> tuple[float, float]:
        box = self.wait_for(f"(() => {{ const e = {selector_js}; if (!e) return null; e.scrollIntoView({{block: 'center'}});"
                            " const r = e.getBoundingClientRect(); return r.width ? [r.x + r.width / 2, r.y + r.height / 2] : null; })()",
                            what=selector_js)
        return box[0], box[1]

    def type_into(self, selector_js: str, text: str) -> None:
        """Click an input, select what it holds, type `text` and press Enter (as a person does)."""
        x, y = self.centre_of(selector_js)
        self.click_at(x, y)
        self.evaluate(f"{selector_js}.select()")
        self.send("Input.insertText", text=text)
        for kind in ("keyDown", "keyUp"):
            self.send("Input.dispatchKeyEvent", type=kind, key="Enter", code="Enter", windowsVirtualKeyCode=13,
                      nativeVirtualKeyCode=13)

    def screenshot(self, path: Path) -> bytes:
        data = base64.b64decode(self.send("Page.captureScreenshot", format="png", captureBeyondViewport=False)["data"])
        path.write_bytes(data)
        return data

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.loop.run_until_complete(self.ws.close())
        with contextlib.suppress(Exception):
            self.reader.cancel()
            self.loop.run_until_complete(asyncio.sleep(0.05))
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
