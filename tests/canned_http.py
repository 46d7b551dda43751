"""A loopback HTTP server with canned answers, optionally in front of a real upstream.

``CannedServer`` answers every request with one canned status and body. With ``upstream`` it
forwards every request to that server, except the ones ``intercept(method, path, body)`` picks,
which get the canned answer instead: "this one PATCH fails, everything else is the real
Supabase". In a canned body, ``{authorization}`` echoes the request's Authorization header,
``{signature}`` the last dot-separated part of its token, and ``{header:<name>}`` any request
header (Gemini's ``x-goog-api-key``, say), as a careless gateway might.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

# Hop-by-hop and length headers are the proxy's own business, not the upstream's.
_NOT_FORWARDED = {"host", "content-length", "connection", "keep-alive", "transfer-encoding"}


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        canned: CannedServer = self.server.canned
        if canned.upstream is None or canned.intercept(self.command, self.path, body):
            canned.answered.append((self.command, self.path))
            self._canned(canned)
        else:
            self._forward(canned, body)

    def _canned(self, canned: "CannedServer") -> None:
        canned.released.wait(canned.delay)
        authorization = self.headers.get("Authorization", "")
        text = canned.body.replace("{authorization}", authorization)
        text = text.replace("{signature}", authorization.rsplit(".", 1)[-1])
        text = re.sub(r"\{header:([A-Za-z0-9-]+)\}", lambda m: self.headers.get(m[1], ""), text)
        self._send(canned.status, {"Content-Type": canned.content_type}, text.encode())

    def _forward(self, canned: "CannedServer", body: bytes) -> None:
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _NOT_FORWARDED}
        answer = canned.http.request(self.command, canned.upstream + self.path, headers=headers,
                                     content=body)
        kept = {k: v for k, v in answer.headers.items()
                if k.lower() not in _NOT_FORWARDED | {"content-encoding"}}
        self._send(answer.status_code, kept, answer.content)

    def _send(self, status: int, headers: dict, payload: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_HEAD = do_DELETE = _answer

    def log_message(self, *args) -> None:  # keep test output quiet
        pass


class _Server(ThreadingHTTPServer):
    canned: "CannedServer"


class CannedServer:
    def __init__(
        self,
        *,
        upstream: str | None = None,
        intercept: Callable[[str, str, bytes], bool] = lambda method, path, body: True,
    ):
        self.upstream = upstream.rstrip("/") if upstream else None
        self.intercept = intercept
        self.status, self.content_type, self.body, self.delay = 200, "application/json", "[]", 0.0
        self.answered: list[tuple[str, str]] = []  # the requests given the canned answer
        self.released = threading.Event()  # set at stop: no delayed answer outlives the test
        self.http = httpx.Client(timeout=30.0)
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.canned = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def answer(self, status: int, body: str, content_type: str = "application/json", *,
               delay: float = 0.0) -> str:
        """Set the canned answer; returns the server's URL."""
        self.status, self.body, self.content_type, self.delay = status, body, content_type, delay
        return self.url

    def __enter__(self) -> "CannedServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.released.set()
        self._server.shutdown()
        self._server.server_close()
        self.http.close()


def key_parts(key: str) -> list[str]:
    """The key and each dot-separated part of it (a JWT's header, claims, signature)."""
    return [part for part in (key, *key.split(".")) if part]


def leaked(key: str, text: str) -> list[str]:
    """The parts of ``key`` found in ``text``: an empty list means none leaked."""
    return [part for part in key_parts(key) if part in text]
