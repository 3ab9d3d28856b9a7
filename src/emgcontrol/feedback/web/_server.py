"""The feedback web server: aiohttp, one page, one WebSocket, run in a background thread.

Imported only when a web display starts (``import emgcontrol`` stays light).

Messages to the page are JSON text frames: ``config`` (channels, zones, rules,
plain names), ``s`` (a state: values, status, active channels; the newest,
older ones are dropped for a slow client), ``ev`` (a feedback event),
``msg`` (a status line), ``hb`` (heartbeat every 0.5 s with the age of the
last state), ``pong``, ``end``.  The page sends ``cmd`` (clinician controls),
``ping`` (clock offset) and ``lat`` (its sample-to-screen latencies).

Safety: the server binds to the given host (127.0.0.1 by default); when a token
is set every request must carry it (``?token=`` or the cookie set by the first
page load), compared in constant time; WebSocket upgrades from another origin
(a web page elsewhere in the same browser) are refused.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

__all__ = ["FeedbackServer"]

STATIC = Path(__file__).with_name("static")
_COOKIE = "emgcontrol_token"


class _Client:
    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.queue: deque[str] = deque(maxlen=5000)  # a stuck page cannot grow memory
        self.state: str | None = None
        self.wake = asyncio.Event()


class FeedbackServer:
    """aiohttp server of the feedback page in its own thread and event loop.

    Parameters
    ----------
    host : str
        Address to bind.
    port : int
        Port (0: a free one).
    token : str or None
        Access token every request must carry (None: no check; loopback only).
    on_command : callable, optional
        ``on_command(name, arg)`` for clinician commands from the page (called in
        the server thread; it must not block).
    retain : int
        Events and messages kept for pages that connect later.
    """

    def __init__(self, host: str, port: int, token: str | None,
                 on_command: Callable[[str, Any], Any] | None = None,
                 retain: int = 200) -> None:
        self.host = host
        self.port = int(port)
        self.token = token
        self.on_command = on_command
        self._clients: set[_Client] = set()
        self._config: str | None = None
        self._retained: deque[str] = deque(maxlen=retain)
        self._last_state_wall: float | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.latency_reports: list[dict[str, Any]] = []
        self.n_connections = 0

    # ------------------------------------------------------------ lifecycle
    def start(self, timeout: float = 10.0) -> int:
        """Start serving; return the bound port."""
        self._thread = threading.Thread(target=self._run, name="emgcontrol-web", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the feedback web server did not start")
        if self._error is not None:
            raise self._error
        return self.port

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            app = self._app()
            runner = web.AppRunner(app, access_log=None, handle_signals=False)
            loop.run_until_complete(runner.setup())
            site = web.TCPSite(runner, self.host, self.port)
            loop.run_until_complete(site.start())
            self._runner = runner
            addrs = runner.addresses
            if addrs:
                self.port = int(addrs[0][1])
            hb = loop.create_task(self._heartbeat())
        except BaseException as err:  # noqa: BLE001 - handed to the starting thread
            self._error = err
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            hb.cancel()
            for c in list(self._clients):
                loop.run_until_complete(c.ws.close())
            loop.run_until_complete(runner.cleanup())
            loop.close()

    def stop(self) -> None:
        """Close the connections and stop the server thread."""
        loop = self._loop
        if loop is None or self._thread is None:
            return
        if loop.is_running():
            loop.call_soon_threadsafe(loop.stop)
        self._thread.join(10.0)
        self._thread = None

    # ------------------------------------------------------------- publish
    def publish(self, msg: dict[str, Any], *, retain: bool = True) -> None:
        """Send a message to every page (in order); keep it for later pages."""
        text = json.dumps(msg, separators=(",", ":"), allow_nan=False, default=_json)
        if msg.get("t") == "config":
            self._config = text
            self._retained.clear()
        elif retain:
            self._retained.append(text)
        self._call(self._fanout, text)

    def publish_state(self, text: str) -> None:
        """Send a state frame (JSON text); a page that is behind gets only the newest."""
        self._last_state_wall = time.time()
        self._call(self._fanout_state, text)

    def _call(self, fn: Callable[..., Any], *args: Any) -> None:
        loop = self._loop
        if loop is not None and loop.is_running():
            try:
                loop.call_soon_threadsafe(fn, *args)
            except RuntimeError:  # loop closing
                pass

    def _fanout(self, text: str) -> None:
        for c in self._clients:
            c.queue.append(text)
            c.wake.set()

    def _fanout_state(self, text: str) -> None:
        for c in self._clients:
            c.state = text
            c.wake.set()

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(0.5)
            now = time.time()
            age = None if self._last_state_wall is None else now - self._last_state_wall
            self._fanout(json.dumps({"t": "hb", "now": now, "age": age}))

    # ---------------------------------------------------------------- http
    def _app(self) -> web.Application:
        app = web.Application(middlewares=[self._guard])
        app.router.add_get("/", self._page)
        app.router.add_get("/clinician", self._page)
        app.router.add_get("/ws", self._ws)
        app.router.add_static("/static/", STATIC, follow_symlinks=False)
        return app

    def _token_ok(self, request: web.Request) -> bool:
        if self.token is None:
            return True
        given = request.query.get("token") or request.cookies.get(_COOKIE) or ""
        return secrets.compare_digest(given.encode(), self.token.encode())

    @web.middleware
    async def _guard(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if not self._token_ok(request):
            return web.Response(status=403, text="emgcontrol live feedback: this address needs "
                                "the access token printed by `emgcontrol live` (?token=...)\n")
        resp = await handler(request)
        if self.token is not None and request.query.get("token"):
            resp.set_cookie(_COOKIE, self.token, httponly=True, samesite="Strict")
        if not isinstance(resp, web.WebSocketResponse):
            resp.headers["Cache-Control"] = "no-store"
            resp.headers["X-Content-Type-Options"] = "nosniff"
            resp.headers["Referrer-Policy"] = "no-referrer"
        return resp

    async def _page(self, request: web.Request) -> web.StreamResponse:
        resp = web.FileResponse(STATIC / "index.html")
        resp.headers["Content-Security-Policy"] = (
            "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
            "style-src 'self'; script-src 'self'")
        return resp

    async def _ws(self, request: web.Request) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if origin is not None:
            from yarl import URL

            o = URL(origin)
            if o.host is None or f"{o.host}:{o.port}" != _host_port(request):
                return web.Response(status=403, text="cross-origin WebSocket refused\n")
        ws = web.WebSocketResponse(heartbeat=None, max_msg_size=1 << 16)
        await ws.prepare(request)
        client = _Client(ws)
        self.n_connections += 1
        if self._config is not None:
            client.queue.append(self._config)
        client.queue.extend(self._retained)
        client.wake.set()
        self._clients.add(client)
        sender = asyncio.get_running_loop().create_task(self._send(client))
        try:
            async for m in ws:
                if m.type != WSMsgType.TEXT:
                    continue
                try:
                    msg = json.loads(m.data)
                except ValueError:
                    continue
                if not isinstance(msg, dict):
                    continue
                kind = msg.get("t")
                if kind == "ping":
                    client.queue.append(json.dumps({"t": "pong", "c": msg.get("c"),
                                                    "s": time.time()}))
                    client.wake.set()
                elif kind == "lat" and isinstance(msg.get("data"), dict):
                    self.latency_reports.append(msg["data"])
                    del self.latency_reports[:-50]
                elif kind == "cmd" and self.on_command is not None:
                    name = str(msg.get("cmd", ""))
                    try:
                        reply = self.on_command(name, msg.get("arg"))
                    except Exception as err:  # noqa: BLE001 - reported to the page
                        reply = f"{name}: {err}"
                    if reply:
                        client.queue.append(json.dumps({"t": "msg", "text": str(reply)}))
                        client.wake.set()
        finally:
            self._clients.discard(client)
            sender.cancel()
        return ws

    async def _send(self, c: _Client) -> None:
        try:
            while not c.ws.closed:
                await c.wake.wait()
                c.wake.clear()
                while c.queue:
                    await c.ws.send_str(c.queue.popleft())
                if c.state is not None:
                    text, c.state = c.state, None
                    await c.ws.send_str(text)
        except (ConnectionError, RuntimeError):
            pass


def _host_port(request: web.Request) -> str:
    host = request.host  # "127.0.0.1:8765"
    if ":" not in host.rsplit("]", 1)[-1]:
        host += ":443" if request.secure else ":80"
    return host.strip("[]").replace("[", "").replace("]", "")


def _json(obj: Any) -> Any:
    try:
        import numpy as np

        if isinstance(obj, np.generic):
            return obj.item()
        if isinstance(obj, np.ndarray):
            return obj.tolist()
    except ImportError:  # pragma: no cover
        pass
    return str(obj)
