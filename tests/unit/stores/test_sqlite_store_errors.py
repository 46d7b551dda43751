"""SQLite-specific edges of the embedded episode store (the shared contract is in tests/contract)."""
from __future__ import annotations

import sqlite3

import pytest

from chalicelib.domain import Window
from chalicelib.errors import StoreUnavailable
from chalicelib.stores.episodes import Podcast
from chalicelib.stores.sqlite_store import SqliteEpisodeStore


def test_the_parent_directory_is_created(tmp_path):
    path = tmp_path / "a" / "b" / "episodes.sqlite3"
    SqliteEpisodeStore(str(path)).put_podcast(Podcast(id="p1", title="t"))
    assert path.exists()


def test_a_database_locked_beyond_the_busy_timeout_is_unavailable(tmp_path):
    path = str(tmp_path / "episodes.sqlite3")
    store = SqliteEpisodeStore(path, busy_timeout=0.05)
    store.put_podcast(Podcast(id="p1", title="t"))
    episode, _ = store.create_episode(
        podcast_id="p1", language="en", format="dialogue", window=Window(None, None)
    )
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        with pytest.raises(StoreUnavailable):
            store.claim(episode.id, "exec-1")
    finally:
        holder.rollback()
        holder.close()
    assert store.claim(episode.id, "exec-1").execution_id == "exec-1"
