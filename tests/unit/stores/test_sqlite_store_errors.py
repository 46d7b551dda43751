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


# The tables as a podcasto before the skipped status wrote them (the status CHECK is inside
# CREATE TABLE, which CREATE TABLE IF NOT EXISTS never changes), with one episode of each kind.
_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
OLDER_FILE = f"""
CREATE TABLE podcasts (
    id             TEXT PRIMARY KEY,
    title          TEXT NOT NULL,
    language       TEXT NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'he')),
    format         TEXT NOT NULL DEFAULT 'dialogue' CHECK (format IN ('dialogue', 'narrator')),
    hosts          TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(hosts)),
    sources        TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(sources)),
    days_back      INTEGER CHECK (days_back IS NULL OR days_back > 0),
    paused         INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    created_at     TEXT NOT NULL DEFAULT ({_NOW}),
    updated_at     TEXT NOT NULL DEFAULT ({_NOW})
);
CREATE TABLE episodes (
    id               TEXT PRIMARY KEY,
    podcast_id       TEXT NOT NULL REFERENCES podcasts (id),
    status           TEXT NOT NULL DEFAULT 'pending' CHECK (
                         status IN ('pending', 'content_collected', 'processing', 'completed', 'failed')),
    language         TEXT NOT NULL CHECK (language IN ('en', 'he')),
    format           TEXT NOT NULL CHECK (format IN ('dialogue', 'narrator')),
    window_start     TEXT,
    window_end       TEXT,
    content_key      TEXT,
    content_etag     TEXT,
    audio_key        TEXT,
    duration_seconds REAL CHECK (duration_seconds IS NULL OR duration_seconds >= 0),
    transcript_key   TEXT,
    execution_id     TEXT,
    error            TEXT,
    cause            TEXT,
    failed_state     TEXT,
    attempt_count    INTEGER NOT NULL DEFAULT 1 CHECK (attempt_count >= 1),
    idempotency_key  TEXT,
    status_detail    TEXT,
    created_at       TEXT NOT NULL DEFAULT ({_NOW}),
    updated_at       TEXT NOT NULL DEFAULT ({_NOW}),
    UNIQUE (podcast_id, idempotency_key)
);
CREATE TABLE episode_status_history (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    episode_id   TEXT NOT NULL REFERENCES episodes (id) ON DELETE CASCADE,
    from_status  TEXT,
    to_status    TEXT NOT NULL,
    at           TEXT NOT NULL DEFAULT ({_NOW}),
    execution_id TEXT,
    detail       TEXT
);
INSERT INTO podcasts (id, title, sources) VALUES ('older', 'Older', '["@channel_one"]');
INSERT INTO episodes (id, podcast_id, status, language, format, window_end, audio_key)
VALUES ('11111111-1111-4111-8111-111111111111', 'older', 'completed', 'en', 'dialogue',
        '2026-11-09T07:00:00Z', 'podcasts/older/1/audio/podcast.mp3');
INSERT INTO episodes (id, podcast_id, status, language, format)
VALUES ('22222222-2222-4222-8222-222222222222', 'older', 'pending', 'en', 'dialogue');
"""
DONE, WAITING = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"


def _older_file(tmp_path) -> str:
    path = str(tmp_path / "older.sqlite3")
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.executescript(OLDER_FILE)
        with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint"):
            conn.execute(f"UPDATE episodes SET status = 'skipped' WHERE id = '{WAITING}'")
    finally:
        conn.close()
    return path


def _schema(path: str) -> str:
    conn = sqlite3.connect(path)
    try:
        (sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'episodes'").fetchone()
        return sql
    finally:
        conn.close()


def test_a_file_made_before_the_skipped_status_takes_it_when_opened_and_keeps_its_rows(tmp_path):
    path = _older_file(tmp_path)

    store = SqliteEpisodeStore(path)
    skipped = store.transition(WAITING, expected="pending", to="skipped", detail="nothing_new: x",
                               outcome="nothing_new")

    assert (skipped.status, skipped.outcome) == ("skipped", "nothing_new")
    done = store.get_episode(DONE)
    assert (done.status, done.audio_key) == ("completed", "podcasts/older/1/audio/podcast.mp3")
    assert store.last_completed_end("older") == "2026-11-09T07:00:00Z"
    sql = _schema(path)
    assert "'failed', 'skipped'" in sql and "outcome" in sql
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        conn.close()


def test_the_widened_status_check_still_refuses_an_unknown_status(tmp_path):
    path = _older_file(tmp_path)
    SqliteEpisodeStore(path)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("DROP TRIGGER episodes_status_forward")  # leave only the CHECK to refuse
        with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint"):
            conn.execute(f"UPDATE episodes SET status = 'cancelled' WHERE id = '{WAITING}'")
    finally:
        conn.close()


def test_opening_an_upgraded_file_again_leaves_its_table_as_it_is(tmp_path):
    path = _older_file(tmp_path)
    SqliteEpisodeStore(path).close()
    before = _schema(path)

    SqliteEpisodeStore(path).close()

    assert _schema(path) == before
