"""SQLite-specific edges of the embedded episode store (the shared contract is in tests/contract)."""
from __future__ import annotations

import sqlite3

import pytest

from chalicelib.domain import Window
from chalicelib.errors import StatusConflict, StoreUnavailable
from chalicelib.stores.episodes import Podcast
from chalicelib.stores.sqlite_store import SqliteEpisodeStore


def test_the_parent_directory_is_created(tmp_path):
    path = tmp_path / "a" / "b" / "episodes.sqlite3"
    SqliteEpisodeStore(str(path)).put_podcast(Podcast(id="p1", title="t", sources=["@channel_one"]))
    assert path.exists()


def test_a_database_locked_beyond_the_busy_timeout_is_unavailable(tmp_path):
    path = str(tmp_path / "episodes.sqlite3")
    store = SqliteEpisodeStore(path, busy_timeout=0.05)
    store.put_podcast(Podcast(id="p1", title="t", sources=["@channel_one"]))
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


def _failed_episode(store: SqliteEpisodeStore):
    store.put_podcast(Podcast(id="p1", title="t", sources=["@channel_one"]))
    episode, _ = store.create_episode(
        podcast_id="p1", language="en", format="dialogue", window=Window(None, None)
    )
    return store.transition(episode.id, expected="pending", to="failed", error="Boom")


def _revive(path: str, episode_id: str) -> None:
    """What a stray client would write to revive an episode the way retry() does."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute(
            "UPDATE episodes SET status = 'pending', attempt_count = attempt_count + 1 WHERE id = ?",
            (episode_id,),
        )
    finally:
        conn.close()


def test_another_client_cannot_forge_a_retry_grant(tmp_path):
    path = str(tmp_path / "episodes.sqlite3")
    episode = _failed_episode(SqliteEpisodeStore(path))
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        with pytest.raises(sqlite3.OperationalError, match="podcasto_retry_grant"):
            conn.execute("INSERT INTO episode_retry_grants (episode_id) VALUES (?)", (episode.id,))
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(
                "UPDATE episodes SET status = 'pending', attempt_count = 2 WHERE id = ?", (episode.id,)
            )
    finally:
        conn.rollback()
        conn.close()


def test_retry_leaves_no_grant_behind(tmp_path):
    path = str(tmp_path / "episodes.sqlite3")
    store = SqliteEpisodeStore(path)
    episode = _failed_episode(store)
    assert store.retry(episode.id).attempt_count == 2
    with pytest.raises(StatusConflict):
        store.retry(episode.id)  # pending now: nothing to revive
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT count(*) FROM episode_retry_grants").fetchone() == (0,)
    finally:
        conn.close()
    store.transition(episode.id, expected="pending", to="failed", error="Again")
    with pytest.raises(sqlite3.IntegrityError):
        _revive(path, episode.id)


def test_a_file_made_by_an_older_store_gets_the_retry_rule_when_opened(tmp_path):
    path = str(tmp_path / "episodes.sqlite3")
    episode = _failed_episode(SqliteEpisodeStore(path))
    conn = sqlite3.connect(path, isolation_level=None)
    try:  # the trigger of the previous version: any client counting the attempt could revive
        conn.executescript("""
            DROP TRIGGER episodes_status_forward;
            CREATE TRIGGER episodes_status_forward BEFORE UPDATE OF status ON episodes
            WHEN NEW.status IS NOT OLD.status AND NOT (
                OLD.status = 'failed' AND NEW.status = 'pending'
                AND NEW.attempt_count = OLD.attempt_count + 1)
            BEGIN SELECT RAISE(ABORT, 'illegal status transition'); END;
            DROP TRIGGER episodes_attempts_only_on_retry;
            CREATE TRIGGER episodes_attempts_only_on_retry BEFORE UPDATE OF attempt_count ON episodes
            WHEN NEW.attempt_count IS NOT OLD.attempt_count AND NOT (
                OLD.status = 'failed' AND NEW.status = 'pending'
                AND NEW.attempt_count = OLD.attempt_count + 1)
            BEGIN SELECT RAISE(ABORT, 'attempt_count changes only with a retry'); END;
            DROP TRIGGER retry_grants_only_by_the_store;
            DROP TABLE episode_retry_grants;
        """)
    finally:
        conn.close()

    reopened = SqliteEpisodeStore(path)

    with pytest.raises(sqlite3.IntegrityError):
        _revive(path, episode.id)
    assert reopened.get_episode(episode.id).status == "failed"
    assert reopened.retry(episode.id).status == "pending"
