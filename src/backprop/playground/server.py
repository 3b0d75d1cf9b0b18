"""The playground's local web server: the standard library's ThreadingHTTPServer and a JSON API.

Routes (all JSON unless said otherwise):

- ``GET /`` the page; ``GET /static/NAME`` its script, style sheet and icon (shipped in the package);
- ``GET /api/state?since=N&data_version=V`` everything the page draws (see :meth:`Session.snapshot`);
- ``POST /api/frame`` ``{"epochs": k, "iterations": n, "since", "data_version", "select"}``: train, then
  the state (with the equation panel for ``select`` when given);
- ``POST /api/config`` a configuration (new data and network); ``POST /api/reset`` the same network
  re-initialised; ``POST /api/point`` ``{"x", "y", "label"}`` or ``{"x", "y", "remove": true, "radius"}``;
- ``POST /api/csv`` ``{"text", "target"}`` an uploaded CSV; ``POST /api/stepthrough`` ``{"action"}``;
- ``GET /api/model.npz`` the model file; ``GET /api/script.py`` the Python script.

Errors answer ``{"error": "one line"}`` with status 400.
"""

from __future__ import annotations

import json
import mimetypes
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlparse

from ..core.validation import BackpropError
from .exports import model_bytes, python_script
from .session import Session

__all__ = ["PlaygroundServer", "make_server", "serve_in_thread", "limit_blas_threads"]

MAX_BODY = 25_000_000


def _static(name: str) -> bytes | None:
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return None
    item = resources.files("backprop.playground").joinpath("static", name)
    try:
        return item.read_bytes()
    except (FileNotFoundError, IsADirectoryError, OSError):
        return None


class Handler(BaseHTTPRequestHandler):
    server: "PlaygroundServer"
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Small replies back to back: without TCP_NODELAY, Nagle's algorithm and the browser's delayed
        # ACK hold each reply ~40 ms, capping the page at ~15 frames a second.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        if self.server.verbose:
            super().log_message(format, *args)

    # ----------------------------------------------------------------- replies
    def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self._headers_buffer.append(b"\r\n")  # end_headers(), with the body in the same write
        if self.command != "HEAD":
            self._headers_buffer.append(body)
        self.flush_headers()

    def _json(self, payload: Any, status: int = 200) -> None:
        body = json.dumps(payload, allow_nan=False, separators=(",", ":")).encode("utf-8")
        self._send(status, body, "application/json")

    def _error(self, message: str, status: int = 400) -> None:
        self._json({"error": " ".join(str(message).split())}, status)

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError(f"request: expected at most {MAX_BODY // 1_000_000} MB, received {length / 1e6:.1f} MB")
        raw = self.rfile.read(length) if length else b"{}"
        try:
            data = json.loads(raw or b"{}")
        except json.JSONDecodeError as exc:
            raise ValueError(f"request: expected JSON, received invalid JSON ({exc.msg})") from None
        if not isinstance(data, dict):
            raise ValueError("request: expected a JSON object")
        return data

    # ----------------------------------------------------------------- routes
    def do_HEAD(self) -> None:  # noqa: N802 - http.server's name
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802
        url = urlparse(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        session = self.server.session
        try:
            if url.path in ("/", "/index.html"):
                self._send(200, _static("index.html") or b"", "text/html; charset=utf-8")
            elif url.path.startswith("/static/"):
                name = url.path[len("/static/"):]
                body = _static(name)
                if body is None:
                    self._error(f"no such file: {name}", 404)
                    return
                ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
                if ctype.startswith("text/") or ctype.endswith("javascript"):
                    ctype += "; charset=utf-8"
                self._send(200, body, ctype)
            elif url.path == "/api/state":
                self._json(session.snapshot(int(query.get("since", 0)), int(query.get("data_version", -1))))
            elif url.path == "/api/model.npz":
                self._send(200, model_bytes(session), "application/octet-stream",
                           {"Content-Disposition": 'attachment; filename="playground-model.npz"'})
            elif url.path == "/api/script.py":
                self._send(200, python_script(session).encode("utf-8"), "text/x-python; charset=utf-8",
                           {"Content-Disposition": 'attachment; filename="playground_train.py"'})
            elif url.path == "/favicon.ico":
                self._send(204, b"", "image/x-icon")
            else:
                self._error(f"no such page: {url.path}", 404)
        except (ValueError, TypeError, BackpropError) as exc:
            self._error(str(exc))

    def do_POST(self) -> None:  # noqa: N802
        url = urlparse(self.path)
        session = self.server.session
        try:
            body = self._body()
            since, version, select = body.get("since", 0), body.get("data_version", -1), body.get("select")
            if url.path == "/api/frame":
                epochs, iterations = int(body.get("epochs", 0)), int(body.get("iterations", 0))
                if not (0 <= epochs <= 10_000 and 0 <= iterations <= 100_000):
                    raise ValueError(f"frame: expected 0 ≤ epochs ≤ 10000 and 0 ≤ iterations ≤ 100000, received {epochs}, {iterations}")
                if epochs or iterations:
                    session.train(epochs=epochs, iterations=iterations, budget=0.04 if epochs else None)
            elif url.path == "/api/config":
                session.configure(body.get("config", {}), keep_data=bool(body.get("keep_data", False)))
                since = 0
            elif url.path == "/api/reset":
                with session.lock:
                    session.configure(session.config, keep_data=True)
                since = 0
            elif url.path == "/api/point":
                if body.get("remove"):
                    session.remove_point(body.get("x"), body.get("y"), body.get("radius", 0.2))
                else:
                    session.add_point(body.get("x"), body.get("y"), body.get("label", 0))
            elif url.path == "/api/csv":
                session.load_csv(body.get("text", ""), body.get("target") or None)
                since = 0
            elif url.path == "/api/stepthrough":
                session.stepthrough_action(body.get("action", "next"))
            else:
                self._error(f"no such endpoint: {url.path}", 404)
                return
            self._json(session.snapshot(since, version, select))
        except (ValueError, TypeError, BackpropError) as exc:
            self._error(str(exc))


class PlaygroundServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer holding one :class:`Session`."""

    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, address: tuple[str, int], session: Session, verbose: bool = False):
        self.session = session
        self.verbose = verbose
        super().__init__(address, Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        shown = host if host not in ("0.0.0.0", "") else "127.0.0.1"
        if ":" in shown:
            shown = f"[{shown}]"
        return f"http://{shown}:{port}/"


def limit_blas_threads() -> bool:
    """One BLAS thread for this process, when threadpoolctl is installed; True if it was limited.

    The playground's products are small (at most 64 units, a few thousand points): a threaded BLAS
    gains nothing on them, and on a busy machine its threads wait for each other (a 1024-column
    forward pass of 8 × 32 units took 110 ms with two OpenBLAS threads beside other work, 3 ms
    with one). Only the `backprop playground` process calls this: it does nothing else.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return False
    threadpool_limits(1, user_api="blas")
    return True


def make_server(host: str = "127.0.0.1", port: int = 8000, session: Session | None = None,
                verbose: bool = False) -> PlaygroundServer:
    """A server bound to (host, port) (``port=0``: a free one); raises OSError when the port is busy."""
    return PlaygroundServer((host, port), session or Session(), verbose=verbose)


def serve_in_thread(server: PlaygroundServer) -> threading.Thread:
    """Serve in a daemon thread (tests, notebooks); stop with ``server.shutdown()``."""
    thread = threading.Thread(target=server.serve_forever, name="backprop-playground", daemon=True)
    thread.start()
    return thread
