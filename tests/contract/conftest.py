"""Store fixtures for the episode-store contract suite: every implementation, one suite.

Each fixture yields a ``StoreHarness``: the store under test plus a back door (``raw_update``)
that writes the database directly, so the suite can check that the database itself, not only
the store's Python, refuses illegal statuses and moves.
"""
from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from chalicelib.stores.episodes import EpisodeStore, Podcast
from chalicelib.stores.sqlite_store import SqliteEpisodeStore
from chalicelib.stores.supabase_store import SupabaseEpisodeStore


@dataclass
class StoreHarness:
    store: EpisodeStore
    # Writes ``values`` on episode ``episode_id`` bypassing the store; raises one of ``refused``
    # when the database rejects the write.
    raw_update: Callable[[str, dict], None]
    # Inserts the episode row ``values`` bypassing the store, likewise.
    raw_insert: Callable[[dict], None]
    # Writes a podcast row (insert, or update when the id exists) bypassing the store.
    raw_podcast: Callable[[dict], None]
    refused: tuple[type[BaseException], ...]

    def new_podcast(self, **overrides) -> Podcast:
        """A fresh podcast with a unique id, so stores shared between tests never collide."""
        values = {"id": f"pod-{uuid.uuid4().hex[:12]}", "title": "Contract test podcast",
                  "sources": ["@contract_channel"]}
        values.update(overrides)
        podcast = Podcast(**values)
        self.store.put_podcast(podcast)
        return podcast


def _sqlite_harness(tmp_path) -> StoreHarness:
    path = str(tmp_path / "state" / "episodes.sqlite3")
    store = SqliteEpisodeStore(path)

    def raw_update(episode_id: str, values: dict) -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            assignments = ", ".join(f"{name} = ?" for name in values)
            conn.execute(
                f"UPDATE episodes SET {assignments} WHERE id = ?", (*values.values(), episode_id)
            )
        finally:
            conn.close()

    def raw_insert(values: dict) -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute(
                f"INSERT INTO episodes ({', '.join(values)}) VALUES ({', '.join('?' for _ in values)})",
                tuple(values.values()),
            )
        finally:
            conn.close()

    def raw_podcast(values: dict) -> None:
        # A connection of this store's (it has the rules' SQL function; a foreign connection
        # could not write a podcast at all), writing SQL the store would never write.
        conn = store._open()
        try:
            values = {k: json.dumps(v) if isinstance(v, (list, dict)) else v for k, v in values.items()}
            conn.execute(
                f"INSERT INTO podcasts ({', '.join(values)}) VALUES ({', '.join('?' for _ in values)}) "
                f"ON CONFLICT (id) DO UPDATE SET {', '.join(f'{k} = excluded.{k}' for k in values)}",
                tuple(values.values()),
            )
        finally:
            conn.close()

    return StoreHarness(
        store=store, raw_update=raw_update, raw_insert=raw_insert, raw_podcast=raw_podcast,
        refused=(sqlite3.IntegrityError,),
    )


@pytest.fixture(scope="session")
def _supabase_store(supabase_stack) -> SupabaseEpisodeStore:
    # One store for the session, like one per Lambda container; tests use unique podcast ids.
    return SupabaseEpisodeStore.from_settings(supabase_stack.url, supabase_stack.key)


def _supabase_harness(store: SupabaseEpisodeStore) -> StoreHarness:
    from postgrest.exceptions import APIError

    raw = store._client  # the service_role client, used directly: no store rules in the way

    def raw_update(episode_id: str, values: dict) -> None:
        raw.table("episodes").update(values).eq("id", episode_id).execute()

    def raw_insert(values: dict) -> None:
        raw.table("episodes").insert(values).execute()

    def raw_podcast(values: dict) -> None:
        raw.table("podcasts").upsert(values, on_conflict="id").execute()

    return StoreHarness(store=store, raw_update=raw_update, raw_insert=raw_insert,
                        raw_podcast=raw_podcast, refused=(APIError,))


STORE_KINDS = ["sqlite", "supabase"]


@pytest.fixture(params=STORE_KINDS)
def harness(request, tmp_path) -> StoreHarness:
    if request.param == "sqlite":
        return _sqlite_harness(tmp_path)
    if request.param == "supabase":
        # Requested lazily so a run of only the SQLite cases never starts the stack.
        return _supabase_harness(request.getfixturevalue("_supabase_store"))
    raise AssertionError(f"unknown store kind {request.param}")
