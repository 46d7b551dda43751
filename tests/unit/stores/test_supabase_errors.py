"""How SupabaseEpisodeStore translates foreign failures at its edge.

Transient (the workflow retries): no answer, a timeout, 5xx. Permanent: 4xx such as a bad key
or a schema mismatch. Messages name SUPABASE_URL / SUPABASE_KEY and never carry the key.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import time

import pytest

from chalicelib.config import Settings
from chalicelib.domain import new_episode_id
from chalicelib.errors import ConfigurationError, StoreRejected, StoreUnavailable
from chalicelib.factory import Services
from chalicelib.stores.supabase_store import SupabaseEpisodeStore
from tests.canned_http import CannedServer, leaked

# A well-formed JWT for PostgREST, signed with a secret the stack does not use.
SECRET_LOOKING_KEY = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.c2VjcmV0LXNpZ25hdHVyZQ"


def _jwt(secret: bytes, claims: dict) -> str:
    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(claims).encode())
    signature = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(signature)}"


@pytest.fixture
def canned_server():
    with CannedServer() as server:
        yield server.answer


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
    assert leaked(SECRET_LOOKING_KEY, str(caught.value)) == []
    assert "<key>" in str(caught.value)


@pytest.mark.parametrize(
    "status,body",
    [
        (401, '{"code": "PGRST301", "message": "JWSError JWSInvalidSignature"}'),
        (401, '{"message": "Invalid API key"}'),  # the hosted gateway's answer, no code
        (403, '{"code": "42501", "message": "permission denied for table podcasts"}'),
        (401, '{"code": "PGRST301", "message": "signature {signature} does not verify"}'),
    ],
)
def test_a_refused_key_is_rejected_naming_supabase_key_and_no_part_of_it(canned_server, status, body):
    store = _store(canned_server(status, body))
    with pytest.raises(StoreRejected) as caught:
        store.list_podcasts()
    message = str(caught.value)
    assert "SUPABASE_KEY" in message and f"HTTP {status}" in message
    assert leaked(SECRET_LOOKING_KEY, message) == []


def test_a_wrong_key_is_rejected_by_the_real_stack_without_showing_the_key(supabase_stack):
    wrong_key = _jwt(b"not-the-stack-secret-" * 3, {"role": "service_role"})
    store = _store(supabase_stack.url, wrong_key)
    with pytest.raises(StoreRejected) as caught:
        store.list_podcasts()
    assert "HTTP 401" in str(caught.value)
    assert "SUPABASE_KEY" in str(caught.value)
    assert leaked(wrong_key, str(caught.value)) == []


@pytest.mark.parametrize(
    "kind", ["no JWT at all", "the anon key", "a JWT of an unknown role"]
)
def test_keys_the_real_stack_refuses_name_supabase_key_and_no_part_of_it(supabase_stack, kind):
    key = {
        "no JWT at all": "sb_secret_not-a-jwt-0123456789abcdef",
        "the anon key": supabase_stack.anon_key,
        "a JWT of an unknown role": _jwt(b"irrelevant", {"role": "postgres-superuser"}),
    }[kind]
    store = _store(supabase_stack.url, key)
    with pytest.raises(StoreRejected) as caught:
        store.list_podcasts()
    message = str(caught.value)
    assert "SUPABASE_KEY" in message and ("HTTP 401" in message or "HTTP 403" in message)
    assert leaked(key, message) == []


@pytest.mark.parametrize(
    "url",
    ["ftp://example.invalid", "example.supabase.co", "https://", "http://[::1",
     "http://db.example:notaport", "http://exa mple.co", "http://example.co\n", ""],
)
def test_a_malformed_url_is_a_configuration_error_naming_supabase_url(url):
    with pytest.raises(ConfigurationError) as caught:
        SupabaseEpisodeStore.from_settings(url, SECRET_LOOKING_KEY)
    assert "SUPABASE_URL" in str(caught.value)
    assert not url or url not in str(caught.value)
    assert SECRET_LOOKING_KEY not in str(caught.value)


@pytest.mark.parametrize(
    "key", ["", "a key with spaces", "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl\n", "clé-secrète-0123"]
)
def test_a_key_that_cannot_be_sent_is_a_configuration_error_naming_supabase_key(key):
    # Caught before any request: as a transport error it would be retried as transient.
    with pytest.raises(ConfigurationError) as caught:
        SupabaseEpisodeStore.from_settings("http://127.0.0.1:1", key)
    assert "SUPABASE_KEY" in str(caught.value)
    assert leaked(key.strip(), str(caught.value)) == []


def test_a_server_answering_too_slowly_is_unavailable_within_the_timeout(canned_server):
    url = canned_server(200, "[]", delay=5.0)
    store = SupabaseEpisodeStore.from_settings(url, SECRET_LOOKING_KEY, timeout=0.2)
    started = time.monotonic()
    with pytest.raises(StoreUnavailable) as caught:
        store.get_podcast("p1")
    assert time.monotonic() - started < 2.0  # supabase-py does not retry a timeout
    assert "Timeout" in str(caught.value)


def test_a_write_answered_too_slowly_is_unavailable(canned_server):
    url = canned_server(200, "[]", delay=5.0)
    store = SupabaseEpisodeStore.from_settings(url, SECRET_LOOKING_KEY, timeout=0.2, retry=False)
    with pytest.raises(StoreUnavailable):
        store.transition(new_episode_id(), expected="pending", to="content_collected")


def test_supabase_timeout_seconds_bounds_each_request_of_the_built_store(canned_server):
    url = canned_server(200, "[]", delay=5.0)
    settings = Settings(environ={
        "EPISODE_STORE": "supabase", "SUPABASE_URL": url, "SUPABASE_KEY": SECRET_LOOKING_KEY,
        "SUPABASE_TIMEOUT_SECONDS": "0.2",
    })
    store = Services(settings).episodes
    started = time.monotonic()
    with pytest.raises(StoreUnavailable):
        store.list_podcasts()
    assert time.monotonic() - started < 2.0


def test_a_malformed_supabase_timeout_is_a_configuration_error_naming_it():
    settings = Settings(environ={
        "EPISODE_STORE": "supabase", "SUPABASE_URL": "http://127.0.0.1:1",
        "SUPABASE_KEY": SECRET_LOOKING_KEY, "SUPABASE_TIMEOUT_SECONDS": "ten",
    })
    with pytest.raises(ConfigurationError) as caught:
        Services(settings).episodes  # noqa: B018 - building the store is the test
    assert "SUPABASE_TIMEOUT_SECONDS" in str(caught.value)
