"""How SupabaseEpisodeStore translates foreign failures at its edge.

Transient (the workflow retries): no answer, 5xx. Permanent: 4xx such as a bad key or a schema
mismatch. Messages never carry the API key.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chalicelib.domain import new_episode_id
from chalicelib.errors import ConfigurationError, StoreRejected, StoreUnavailable
from chalicelib.stores.supabase_store import SupabaseEpisodeStore

# A well-formed JWT for PostgREST, signed with a secret the stack does not use.
SECRET_LOOKING_KEY = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.c2VjcmV0LXNpZ25hdHVyZQ"


def _jwt(secret: bytes, claims: dict) -> str:
    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(claims).encode())
    signature = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(signature)}"


class _Canned(BaseHTTPRequestHandler):
    """Answers every request with the server's canned status, headers and body."""

    def _answer(self) -> None:
        status, content_type, body = self.server.canned
        body = body.replace("{authorization}", self.headers.get("Authorization", ""))
        payload = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_HEAD = _answer

    def log_message(self, *args) -> None:  # keep test output quiet
        pass


@pytest.fixture
def canned_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Canned)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()

    def answer(status: int, body: str, content_type: str = "application/json") -> str:
        server.canned = (status, content_type, body)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield answer
    server.shutdown()
    server.server_close()


def _store(url: str, key: str = SECRET_LOOKING_KEY) -> SupabaseEpisodeStore:
    # retry=False: supabase-py would otherwise retry GETs on 503 after 1, 2 and 4 s sleeps.
    return SupabaseEpisodeStore.from_settings(url, key, timeout=5.0, retry=False)


def test_an_unreachable_url_is_unavailable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    store = _store(f"http://127.0.0.1:{port}")
    with pytest.raises(StoreUnavailable) as caught:
        store.get_episode(new_episode_id())
    assert "ConnectError" in str(caught.value)
    with pytest.raises(StoreUnavailable):
        store.claim(new_episode_id(), "exec-1")


@pytest.mark.parametrize(
    "status,body,content_type",
    [
        (503, '{"message": "upstream down"}', "application/json"),  # a gateway's JSON, no code
        (502, "<html><body>Bad Gateway</body></html>", "text/html"),
        (500, '{"code": "XX000", "message": "internal error"}', "application/json"),
        (429, '{"message": "rate limited"}', "application/json"),
    ],
)
def test_server_side_failures_are_unavailable(canned_server, status, body, content_type):
    store = _store(canned_server(status, body, content_type))
    with pytest.raises(StoreUnavailable) as caught:
        store.claim(new_episode_id(), "exec-1")
    assert f"HTTP {status}" in str(caught.value)


def test_a_schema_mismatch_is_rejected_with_postgrest_code(canned_server):
    body = '{"code": "PGRST205", "message": "Could not find the table public.episodes"}'
    store = _store(canned_server(404, body))
    with pytest.raises(StoreRejected) as caught:
        store.get_podcast("p1")
    assert "PGRST205" in str(caught.value)


def test_a_key_echoed_by_the_server_is_kept_out_of_the_message(canned_server):
    body = '{"code": "PGRST301", "message": "bad token {authorization}"}'
    store = _store(canned_server(401, body))
    with pytest.raises(StoreRejected) as caught:
        store.get_podcast("p1")
    assert "PGRST301" in str(caught.value)
    assert SECRET_LOOKING_KEY not in str(caught.value)
    assert "<key>" in str(caught.value)


def test_a_wrong_key_is_rejected_by_the_real_stack_without_showing_the_key(supabase_stack):
    wrong_key = _jwt(b"not-the-stack-secret-" * 3, {"role": "service_role"})
    store = _store(supabase_stack.url, wrong_key)
    with pytest.raises(StoreRejected) as caught:
        store.list_podcasts()
    assert "HTTP 401" in str(caught.value)
    assert wrong_key not in str(caught.value)
    assert wrong_key.split(".")[2] not in str(caught.value)


def test_a_malformed_url_is_a_configuration_error():
    with pytest.raises(ConfigurationError) as caught:
        SupabaseEpisodeStore.from_settings("ftp://example.invalid", SECRET_LOOKING_KEY)
    assert SECRET_LOOKING_KEY not in str(caught.value)
