"""What the Supabase schema (supabase/migrations) grants, on the real local stack.

The status rules themselves are checked for every store by tests/contract; these are the
Postgres-only guarantees: roles, grants, row level security and the retry RPC.
"""
from __future__ import annotations

import httpx
import pytest
from postgrest.exceptions import APIError
from supabase import ClientOptions, create_client

from chalicelib.domain import Window
from chalicelib.stores.episodes import Podcast
from chalicelib.stores.supabase_store import SupabaseEpisodeStore


def _options() -> ClientOptions:
    return ClientOptions(httpx_client=httpx.Client(timeout=10.0))


@pytest.fixture(scope="module")
def service(supabase_stack):
    return create_client(supabase_stack.url, supabase_stack.key, _options())


@pytest.fixture(scope="module")
def anon(supabase_stack):
    return create_client(supabase_stack.url, supabase_stack.anon_key, _options())


@pytest.fixture(scope="module")
def failed_episode(supabase_stack):
    store = SupabaseEpisodeStore.from_settings(supabase_stack.url, supabase_stack.key)
    store.put_podcast(Podcast(id="schema-test", title="Schema test", sources=["@schema_test"]))
    episode, _ = store.create_episode(
        podcast_id="schema-test", language="en", format="dialogue", window=Window(None, None)
    )
    return store.transition(episode.id, expected="pending", to="failed", error="Boom")


def test_the_service_role_cannot_write_history(service, failed_episode):
    with pytest.raises(APIError) as caught:
        service.table("episode_status_history").insert(
            {"episode_id": failed_episode.id, "from_status": "failed", "to_status": "completed"}
        ).execute()
    assert caught.value.code == "42501"
    with pytest.raises(APIError):
        service.table("episode_status_history").delete().eq("episode_id", failed_episode.id).execute()
    assert len(service.table("episode_status_history").select("id")
               .eq("episode_id", failed_episode.id).execute().data) == 2


@pytest.mark.parametrize("table", ["podcasts", "episodes", "episode_status_history", "episode_messages"])
def test_anon_reads_nothing(anon, table):
    with pytest.raises(APIError) as caught:
        anon.table(table).select("*").execute()
    assert caught.value.code == "42501"


def test_anon_cannot_call_the_retry_rpc(anon, service, failed_episode):
    with pytest.raises(APIError) as caught:
        anon.rpc("retry_episode", {"p_episode_id": failed_episode.id}).execute()
    assert caught.value.code == "42501"
    row = service.table("episodes").select("status").eq("id", failed_episode.id).execute().data[0]
    assert row["status"] == "failed"


def test_the_service_role_cannot_revive_without_the_rpc_even_counting_the_attempt(
    service, failed_episode
):
    with pytest.raises(APIError) as caught:
        service.table("episodes").update({"status": "pending", "attempt_count": 2}).eq(
            "id", failed_episode.id
        ).execute()
    assert caught.value.code == "23514"


# --- episode_messages: written only through record_episode_messages() --------------------------
def test_the_service_role_cannot_write_episode_messages_directly(service, failed_episode):
    # Only the function writes them, copying the podcast id from the episode: no client can
    # file a message under another podcast, and so hide it from (or force it on) a series.
    with pytest.raises(APIError) as caught:
        service.table("episode_messages").insert({
            "podcast_id": "schema-test", "channel": "@x", "message_id": 1,
            "episode_id": failed_episode.id, "message_date": "2026-11-02T00:00:00Z"}).execute()
    assert caught.value.code == "42501"


def test_recorded_messages_take_the_podcast_of_their_episode(service, failed_episode):
    service.rpc("record_episode_messages", {
        "p_episode_id": failed_episode.id,
        "p_messages": [{"channel": "@x", "message_id": 1, "message_date": "2026-11-02T00:00:00Z",
                        "podcast_id": "another-podcast"}],
    }).execute()

    rows = service.table("episode_messages").select("*").eq("episode_id", failed_episode.id).execute().data
    assert [(r["podcast_id"], r["channel"], r["message_id"]) for r in rows] == [("schema-test", "@x", 1)]


@pytest.mark.parametrize("function, args", [
    ("record_episode_messages", {"p_episode_id": "6f1c1d7e-8a51-4a8e-9d0e-70646361737f", "p_messages": []}),
    ("covered_messages", {"p_podcast_id": "schema-test", "p_exclude": "6f1c1d7e-8a51-4a8e-9d0e-70646361737f",
                          "p_start": None, "p_end": None}),
    ("episode_messages_covered_elsewhere", {"p_episode_id": "6f1c1d7e-8a51-4a8e-9d0e-70646361737f"}),
])
def test_anon_cannot_call_the_coverage_functions(anon, function, args):
    with pytest.raises(APIError) as caught:
        anon.rpc(function, args).execute()
    assert caught.value.code == "42501"
