"""The embedded episode store: one SQLite file, safe across threads and processes.

The database itself enforces the status rules, so a stray client (a shell, a test, a future
tool) cannot break them either:

- ``status`` has a CHECK constraint on the statuses of ``chalicelib.domain`` (widened in place in
  files made by older versions, see ``_widen_status_check``), and an episode is born ``pending``;
- a BEFORE UPDATE trigger refuses any status change that is not a forward move. ``failed ->
  pending`` (with ``attempt_count = attempt_count + 1``) is the one way back, and only
  ``retry()`` can take it, as only Postgres' ``retry_episode()`` can: the trigger lets it pass
  only while a row for that episode is in ``episode_retry_grants``, and a grant can be written
  only by a connection that registered the SQL function ``podcasto_retry_grant()`` — this
  store's connections. ``retry()`` writes the grant, revives the episode and deletes the grant
  in one transaction, so no other connection ever sees one. A plain UPDATE, counting the
  attempt or not, is refused; ``attempt_count`` cannot change in any other statement.
  SQLite has no roles: a program that registers a function of that name itself can still
  forge a grant, where Postgres would check the caller's role;
- AFTER triggers write one ``episode_status_history`` row per status change (creation included)
  and own ``created_at`` / ``updated_at``. The history ``detail`` comes from ``episodes.status_detail``,
  which every write of this store sets together with the status.

Every write runs in ``BEGIN IMMEDIATE`` (one writer at a time, waiting up to ``busy_timeout``),
on a connection per thread, so threads never share one. The file runs in WAL mode so readers
do not block the writer.
"""
from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

from chalicelib.domain import (
    COVERING,
    FORWARD_TRANSITIONS,
    IN_FLIGHT,
    OUTCOMES,
    PENDING,
    SPEECH_PROVIDERS,
    STATUSES,
    Window,
    new_episode_id,
)
from chalicelib.errors import (
    AlreadyExists,
    NotFound,
    StatusConflict,
    StoreRejected,
    StoreUnavailable,
)
from chalicelib.stores.episodes import Episode, Podcast
from chalicelib.stores.rows import (
    canonical_episode_id,
    check_fields,
    check_new_episode,
    check_podcast,
    conflict,
    episode_from_row,
    history_from_row,
    is_legal_move,
    run_at,
    stale,
    utc_iso,
)

_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
_RETRYING = """OLD.status = 'failed' AND NEW.status = 'pending'
        AND NEW.attempt_count = OLD.attempt_count + 1
        AND EXISTS (SELECT 1 FROM episode_retry_grants WHERE episode_id = OLD.id)"""
_FORWARD = ", ".join(f"'{a}>{b}'" for a, b in sorted(FORWARD_TRANSITIONS))
_STATUS_LIST = ", ".join(f"'{status}'" for status in STATUSES)

SCHEMA = f"""
BEGIN IMMEDIATE;
CREATE TABLE IF NOT EXISTS podcasts (
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

CREATE TABLE IF NOT EXISTS episodes (
    id               TEXT PRIMARY KEY,
    podcast_id       TEXT NOT NULL REFERENCES podcasts (id),
    status           TEXT NOT NULL DEFAULT 'pending' CHECK (
                         status IN ({_STATUS_LIST})),
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

CREATE TABLE IF NOT EXISTS episode_status_history (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    episode_id   TEXT NOT NULL REFERENCES episodes (id) ON DELETE CASCADE,
    from_status  TEXT,
    to_status    TEXT NOT NULL,
    at           TEXT NOT NULL DEFAULT ({_NOW}),
    execution_id TEXT,
    detail       TEXT
);
CREATE INDEX IF NOT EXISTS episode_status_history_episode ON episode_status_history (episode_id, id);
-- The sweeper's and admission control's queries: episodes not yet completed or failed.
CREATE INDEX IF NOT EXISTS episodes_status ON episodes (status, updated_at);

-- A revival in progress: present only inside retry()'s own transaction.
CREATE TABLE IF NOT EXISTS episode_retry_grants (
    episode_id TEXT PRIMARY KEY REFERENCES episodes (id) ON DELETE CASCADE
);

-- Triggers are dropped and made again on every open, so a file made by an older version of
-- this store gets today's rules (SQLite has no CREATE OR REPLACE TRIGGER).
DROP TRIGGER IF EXISTS retry_grants_only_by_the_store;
DROP TRIGGER IF EXISTS episodes_born_pending;
DROP TRIGGER IF EXISTS episodes_status_forward;
DROP TRIGGER IF EXISTS episodes_attempts_only_on_retry;
DROP TRIGGER IF EXISTS episodes_history_created;
DROP TRIGGER IF EXISTS episodes_history_moved;
DROP TRIGGER IF EXISTS episodes_touch;
DROP TRIGGER IF EXISTS podcasts_touch;

-- A connection without the store's function cannot even prepare this insert ("no such
-- function"); the store's function answers 1.
CREATE TRIGGER retry_grants_only_by_the_store BEFORE INSERT ON episode_retry_grants
WHEN podcasto_retry_grant() IS NOT 1
BEGIN SELECT RAISE(ABORT, 'only the store may retry an episode'); END;

CREATE TRIGGER episodes_born_pending BEFORE INSERT ON episodes
WHEN NEW.status IS NOT 'pending' OR NEW.attempt_count IS NOT 1
BEGIN SELECT RAISE(ABORT, 'an episode starts pending, attempt 1'); END;

CREATE TRIGGER episodes_status_forward BEFORE UPDATE OF status ON episodes
WHEN NEW.status IS NOT OLD.status AND NOT (
    OLD.status || '>' || NEW.status IN ({_FORWARD})
    OR ({_RETRYING})
)
BEGIN SELECT RAISE(ABORT, 'illegal status transition'); END;

CREATE TRIGGER episodes_attempts_only_on_retry BEFORE UPDATE OF attempt_count ON episodes
WHEN NEW.attempt_count IS NOT OLD.attempt_count AND NOT ({_RETRYING})
BEGIN SELECT RAISE(ABORT, 'attempt_count changes only with a retry'); END;

CREATE TRIGGER episodes_history_created AFTER INSERT ON episodes
BEGIN
    INSERT INTO episode_status_history (episode_id, from_status, to_status, at, execution_id, detail)
    VALUES (NEW.id, NULL, NEW.status, NEW.created_at, NEW.execution_id, NEW.status_detail);
END;

CREATE TRIGGER episodes_history_moved AFTER UPDATE OF status ON episodes
WHEN NEW.status IS NOT OLD.status
BEGIN
    INSERT INTO episode_status_history (episode_id, from_status, to_status, execution_id, detail)
    VALUES (NEW.id, OLD.status, NEW.status, NEW.execution_id, NEW.status_detail);
END;

-- The database owns the timestamps, whatever a client writes. (The trigger's own UPDATE does
-- not fire it again: SQLite leaves recursive_triggers off.)
CREATE TRIGGER episodes_touch AFTER UPDATE ON episodes
BEGIN
    UPDATE episodes SET created_at = OLD.created_at, updated_at = {_NOW} WHERE id = NEW.id;
END;

CREATE TRIGGER podcasts_touch AFTER UPDATE ON podcasts
BEGIN
    UPDATE podcasts SET created_at = OLD.created_at, updated_at = {_NOW} WHERE id = NEW.id;
END;
COMMIT;
"""

_SELECT_EPISODE = "SELECT * FROM episodes WHERE id = ?"
_PODCAST_COLUMNS = (
    "id", "title", "language", "format", "hosts", "sources", "days_back", "paused",
    "speech_provider", "description", "author", "category", "explicit", "image", "script_style",
    "target_minutes", "schedule", "next_run_at", "archived_at", "version",
)
_PODCAST_ROW = "json_object({})".format(", ".join(f"'{c}', NEW.{c}" for c in _PODCAST_COLUMNS))
_NOW_SECONDS = "%Y-%m-%dT%H:%M:%SZ"
_IN_FLIGHT = "({})".format(", ".join(f"'{status}'" for status in IN_FLIGHT))
# The statuses whose episode's kept messages another episode of the podcast must not tell again
# (chalicelib.domain.COVERING).
_COVERING = "({})".format(", ".join(f"'{status}'" for status in COVERING))

# Columns added after a release, added on every open where missing: to a new file just made
# from SCHEMA and to one made by an older podcasto (~/.podcasto/podcasto.db) alike, so each
# is declared once. CREATE TABLE IF NOT EXISTS alone would leave an old file without them.
_ADDED_COLUMNS = {
    "episodes": {
        "title": "TEXT",
        "show_notes": "TEXT CHECK (show_notes IS NULL OR json_valid(show_notes))",
        "audio_bytes": "INTEGER CHECK (audio_bytes IS NULL OR audio_bytes > 0)",
        "completed_at": "TEXT",  # %Y-%m-%dT%H:%M:%S.%fZ, so text order is time order
        "outcome": "TEXT CHECK (outcome IS NULL OR outcome IN ({}))".format(
            ", ".join(f"'{name}'" for name in OUTCOMES)),
        "request_fingerprint": "TEXT",
    },
    "podcasts": {
        "speech_provider": "TEXT CHECK (speech_provider IS NULL OR speech_provider IN ({}))".format(
            ", ".join(f"'{name}'" for name in SPEECH_PROVIDERS)),
        "description": "TEXT NOT NULL DEFAULT ''",
        "author": "TEXT NOT NULL DEFAULT ''",
        "category": "TEXT NOT NULL DEFAULT 'News'",
        "explicit": "INTEGER NOT NULL DEFAULT 0 CHECK (explicit IN (0, 1))",
        "image": "TEXT",
        "script_style": "TEXT",
        "target_minutes": "INTEGER",
        "schedule": "TEXT CHECK (schedule IS NULL OR json_valid(schedule))",
        "next_run_at": "TEXT",  # %Y-%m-%dT%H:%M:%SZ, so text order is time order
        "archived_at": "TEXT",
        "version": "INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1)",
    },
}

# Made after the columns exist (older files get them first). The podcast rules are the Python
# validator's own (chalicelib.podcasts), registered on this store's connections as
# podcasto_podcast_problem(): a client without it cannot write a podcast at all.
_PODCAST_RULES = f"""
BEGIN IMMEDIATE;
CREATE INDEX IF NOT EXISTS podcasts_due ON podcasts (next_run_at)
    WHERE next_run_at IS NOT NULL AND paused = 0 AND archived_at IS NULL;
CREATE INDEX IF NOT EXISTS episodes_podcast_created ON episodes (podcast_id, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS episodes_podcast_completed ON episodes (podcast_id, completed_at DESC, id DESC)
    WHERE status = 'completed';
DROP TRIGGER IF EXISTS podcasts_valid_insert;
DROP TRIGGER IF EXISTS podcasts_valid_update;
CREATE TRIGGER podcasts_valid_insert BEFORE INSERT ON podcasts
WHEN podcasto_podcast_problem({_PODCAST_ROW}) IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'the podcast breaks a rule of chalicelib.podcasts'); END;
CREATE TRIGGER podcasts_valid_update BEFORE UPDATE ON podcasts
WHEN podcasto_podcast_problem({_PODCAST_ROW}) IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'the podcast breaks a rule of chalicelib.podcasts'); END;
COMMIT;
"""

# The messages each episode's bundle kept, so a later episode of the podcast can leave out what
# a completed one already told. podcast_id is copied from the episode by the insert itself
# (record_messages), never given by a caller. Keyed by (podcast, channel, message, episode): a
# message is looked up across the podcast's episodes by its key's prefix; the window's query
# reads (podcast_id, message_date); a re-collection deletes by episode_id.
_COVERAGE = """
BEGIN IMMEDIATE;
CREATE TABLE IF NOT EXISTS episode_messages (
    podcast_id   TEXT NOT NULL,
    channel      TEXT NOT NULL,
    message_id   INTEGER NOT NULL,
    episode_id   TEXT NOT NULL REFERENCES episodes (id) ON DELETE CASCADE,
    message_date TEXT NOT NULL,  -- _message_time's format: text order is time order
    PRIMARY KEY (podcast_id, channel, message_id, episode_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS episode_messages_episode ON episode_messages (episode_id);
CREATE INDEX IF NOT EXISTS episode_messages_podcast_date ON episode_messages (podcast_id, message_date);
COMMIT;
"""
_STATUS_CHECK_RE = re.compile(r"status\s+IN\s*\(([^)]*)\)", re.IGNORECASE)


def _widen_status_check(conn: sqlite3.Connection) -> None:
    """Give a file made by an older podcasto today's status CHECK (``skipped`` came later).

    SQLite cannot alter a CHECK constraint, and CREATE TABLE IF NOT EXISTS leaves an existing
    table as it was. This is SQLite's documented in-place procedure for such a change
    (https://www.sqlite.org/lang_altertable.html, "Making Other Kinds Of Table Schema Changes"):
    in one transaction, rewrite the table's CREATE statement in sqlite_schema under
    writable_schema, bump schema_version so every connection re-reads the schema, and check
    the file's integrity before committing. Safe here because the list only grows: every row
    satisfies the wider constraint, so no row needs rewriting. A file whose list is not a
    subset of ours (made by a newer podcasto) is left alone.
    """
    def statuses_in(sql: str) -> tuple[re.Match | None, set[str]]:
        match = _STATUS_CHECK_RE.search(sql)
        return match, set(re.findall(r"'([^']*)'", match.group(1))) if match else set()

    conn.execute("BEGIN IMMEDIATE")
    try:
        (sql,) = conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'episodes'").fetchone()
        match, present = statuses_in(sql)
        if match is None or present == set(STATUSES) or not present <= set(STATUSES):
            conn.rollback()
            return
        widened = sql[:match.start(1)] + _STATUS_LIST + sql[match.end(1):]
        (version,) = conn.execute("PRAGMA schema_version").fetchone()
        conn.execute("PRAGMA writable_schema = ON")
        conn.execute(
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'episodes'", (widened,))
        conn.execute(f"PRAGMA schema_version = {int(version) + 1}")
        conn.execute("PRAGMA writable_schema = OFF")
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise sqlite3.DatabaseError(f"integrity check after widening the status check: {problems[:3]}")
        conn.commit()
    except BaseException:
        if conn.in_transaction:
            conn.rollback()
        raise


def _message_time(moment: datetime) -> str:
    """A message date or window bound as episode_messages keeps it: UTC, microseconds, ``Z``."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _podcast_problem(row_json: str) -> str | None:
    """What is wrong with a podcast row about to be written, or None (SQL function)."""
    from chalicelib.podcasts import validate_podcast

    try:
        validate_podcast(_podcast(json.loads(row_json)))
    except Exception as exc:  # noqa: BLE001 - any problem is an answer, never a crash in SQLite
        return str(exc) or type(exc).__name__
    return None


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    for table, columns in _ADDED_COLUMNS.items():
        present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        for name, declaration in columns.items():
            if name not in present:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {declaration}")


class SqliteEpisodeStore:
    """``EpisodeStore`` on a SQLite file; the parent directory is created when missing."""

    def __init__(self, path: str, *, busy_timeout: float = 5.0):
        self.path = path
        self.busy_timeout = busy_timeout
        self._local = threading.local()
        parent = os.path.dirname(os.path.abspath(path))
        os.makedirs(parent, exist_ok=True)
        with self._connection() as conn:
            self._call(lambda: conn.execute("PRAGMA journal_mode = WAL"))
            try:
                self._call(lambda: conn.executescript(SCHEMA))
                self._call(lambda: _widen_status_check(conn))
                self._call(lambda: _add_missing_columns(conn))
                self._call(lambda: conn.executescript(_PODCAST_RULES))
                self._call(lambda: conn.executescript(_COVERAGE))
            finally:
                if conn.in_transaction:  # the script failed half-way: keep the file as it was
                    conn.rollback()

    # --- plumbing ---------------------------------------------------------------------------
    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection, opened on first use and kept: closing the last connection
        to a WAL database checkpoints it, which would cost ~1 ms on every call."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._open()
        yield conn

    def _open(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self.path,
                timeout=self.busy_timeout,
                isolation_level=None,  # we issue BEGIN ourselves
                check_same_thread=False,
            )
            conn.row_factory = sqlite3.Row
            # The key to episode_retry_grants (see the module docstring).
            conn.create_function("podcasto_retry_grant", 0, lambda: 1, deterministic=True)
            conn.create_function("podcasto_podcast_problem", 1, _podcast_problem, deterministic=True)
            conn.execute("PRAGMA foreign_keys = ON")
            # WAL + NORMAL: a commit never corrupts the file; only a power loss can undo the
            # last commits, and fsync on every status move buys nothing for this store.
            conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot open the episode database: {exc}") from exc
        return conn

    def close(self) -> None:
        """Close this thread's connection (others close when their thread ends)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            self._local.conn = None
            conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction: committed on success, rolled back on any exception."""
        with self._connection() as conn:
            self._call(lambda: conn.execute("BEGIN IMMEDIATE"))
            try:
                yield conn
                self._call(conn.commit)
            except BaseException:
                # The connection is kept for the next call: never leave it inside a transaction.
                if conn.in_transaction:
                    conn.rollback()
                raise

    @staticmethod
    def _call(fn):
        try:
            return fn()
        except sqlite3.OperationalError as exc:
            # "database is locked" after busy_timeout, "disk I/O error", ...: may pass.
            raise StoreUnavailable(f"the episode database is unavailable: {exc}") from exc
        except sqlite3.DatabaseError as exc:
            raise StoreRejected(f"the episode database refused the write: {exc}") from exc

    def _query(self, conn: sqlite3.Connection, sql: str, params: tuple = ()) -> list[dict]:
        return [dict(row) for row in self._call(lambda: conn.execute(sql, params).fetchall())]

    def _execute(self, conn: sqlite3.Connection, sql: str, params: tuple = ()) -> int:
        return self._call(lambda: conn.execute(sql, params).rowcount)

    def _episode(self, conn: sqlite3.Connection, episode_id: str) -> Episode | None:
        rows = self._query(conn, _SELECT_EPISODE, (episode_id,))
        return episode_from_row(rows[0]) if rows else None

    def _existing(self, conn: sqlite3.Connection, episode_id: str) -> Episode:
        episode = self._episode(conn, episode_id)
        if episode is None:
            raise NotFound(f"episode {episode_id} does not exist")
        return episode

    # --- podcasts ---------------------------------------------------------------------------
    def put_podcast(self, podcast: Podcast) -> None:
        podcast = check_podcast(podcast)
        values = _podcast_values(podcast)
        names = [n for n in _PODCAST_COLUMNS if n not in ("version",)]
        with self._write() as conn:
            # An upsert, not INSERT OR REPLACE: replacing deletes the row its episodes point at.
            self._execute(
                conn,
                f"""INSERT INTO podcasts ({", ".join(names)}) VALUES ({", ".join("?" for _ in names)})
                    ON CONFLICT (id) DO UPDATE SET
                    {", ".join(f"{n} = excluded.{n}" for n in names if n != "id")},
                    version = podcasts.version + 1""",
                tuple(values[n] for n in names),
            )

    def create_podcast(self, podcast: Podcast) -> Podcast:
        podcast = check_podcast(podcast)
        values = {**_podcast_values(podcast), "version": 1, "archived_at": None}
        with self._write() as conn:
            if self._query(conn, "SELECT 1 FROM podcasts WHERE id = ?", (podcast.id,)):
                raise AlreadyExists(f"a podcast with id {podcast.id!r} exists already")
            self._execute(
                conn,
                f"INSERT INTO podcasts ({', '.join(_PODCAST_COLUMNS)}) "
                f"VALUES ({', '.join('?' for _ in _PODCAST_COLUMNS)})",
                tuple(values[n] for n in _PODCAST_COLUMNS),
            )
            return self._podcast(conn, podcast.id)

    def get_podcast(self, podcast_id: str) -> Podcast | None:
        with self._connection() as conn:
            return self._podcast(conn, podcast_id)

    def _podcast(self, conn: sqlite3.Connection, podcast_id: str) -> Podcast | None:
        rows = self._query(conn, "SELECT * FROM podcasts WHERE id = ?", (podcast_id,))
        return _podcast(rows[0]) if rows else None

    def list_podcasts(self, *, include_archived: bool = False) -> list[Podcast]:
        where = "" if include_archived else "WHERE archived_at IS NULL"
        with self._connection() as conn:
            rows = self._query(conn, f"SELECT * FROM podcasts {where} ORDER BY id")
        return [_podcast(row) for row in rows]

    def update_podcast(self, podcast: Podcast, *, expected_version: int | None = None) -> Podcast:
        podcast = check_podcast(podcast)
        values = _podcast_values(podcast)
        names = [n for n in _PODCAST_COLUMNS if n not in ("id", "archived_at", "version")]
        with self._write() as conn:
            moved = self._execute(
                conn,
                f"""UPDATE podcasts SET {", ".join(f"{n} = ?" for n in names)}, version = version + 1
                    WHERE id = ? AND (? IS NULL OR version = ?)""",
                (*(values[n] for n in names), podcast.id, expected_version, expected_version),
            )
            found = self._podcast(conn, podcast.id)
            if found is None:
                raise NotFound(f"podcast {podcast.id!r} does not exist")
            if not moved:
                raise stale(found, expected_version)
            return found

    def set_archived(self, podcast_id: str, archived: bool) -> Podcast:
        with self._write() as conn:
            self._execute(
                conn,
                f"""UPDATE podcasts SET archived_at = CASE WHEN ? THEN strftime('{_NOW_SECONDS}', 'now')
                    END, version = version + 1 WHERE id = ?""",
                (int(archived), podcast_id),
            )
            found = self._podcast(conn, podcast_id)
            if found is None:
                raise NotFound(f"podcast {podcast_id!r} does not exist")
            return found

    def due_podcasts(self, now: datetime, *, limit: int) -> list[Podcast]:
        with self._connection() as conn:
            rows = self._query(
                conn,
                """SELECT * FROM podcasts
                   WHERE next_run_at IS NOT NULL AND paused = 0 AND archived_at IS NULL
                     AND next_run_at <= ? ORDER BY next_run_at LIMIT ?""",
                (run_at(now), limit),
            )
        return [_podcast(row) for row in rows]

    def advance_schedule(self, podcast_id: str, *, expected: str | None, next_run_at: str | None) -> bool:
        with self._write() as conn:
            return bool(self._execute(
                conn,
                "UPDATE podcasts SET next_run_at = ? WHERE id = ? AND next_run_at IS ?",
                (next_run_at, podcast_id, expected),
            ))

    # --- episodes ---------------------------------------------------------------------------
    def create_episode(
        self,
        *,
        podcast_id: str,
        language: str,
        format: str,
        window: Window,
        episode_id: str | None = None,
        idempotency_key: str | None = None,
        request_fingerprint: str | None = None,
    ) -> tuple[Episode, bool]:
        episode_id = check_new_episode(podcast_id, language, format, episode_id)
        bounds = window.to_json()
        with self._write() as conn:
            if not self._query(conn, "SELECT 1 FROM podcasts WHERE id = ?", (podcast_id,)):
                raise NotFound(f"podcast {podcast_id} does not exist")
            if episode_id is not None and (found := self._episode(conn, episode_id)):
                return found, False
            if idempotency_key is not None:
                rows = self._query(
                    conn,
                    "SELECT * FROM episodes WHERE podcast_id = ? AND idempotency_key = ?",
                    (podcast_id, idempotency_key),
                )
                if rows:
                    return episode_from_row(rows[0]), False
            episode_id = episode_id or new_episode_id()
            self._execute(
                conn,
                """INSERT INTO episodes (id, podcast_id, status, language, format, window_start,
                                         window_end, idempotency_key, request_fingerprint)
                   VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, ?)""",
                (episode_id, podcast_id, language, format, bounds["start"], bounds["end"],
                 idempotency_key, request_fingerprint),
            )
            return self._existing(conn, episode_id), True

    def get_episode(self, episode_id: str) -> Episode | None:
        episode_id = canonical_episode_id(episode_id) or episode_id
        with self._connection() as conn:
            return self._episode(conn, episode_id)

    def claim(self, episode_id: str, execution_id: str) -> Episode:
        episode_id = canonical_episode_id(episode_id) or episode_id
        with self._write() as conn:
            won = self._execute(
                conn,
                """UPDATE episodes SET execution_id = ?
                   WHERE id = ? AND status = 'pending' AND execution_id IS NULL""",
                (execution_id, episode_id),
            )
            episode = self._existing(conn, episode_id)
            if won or (episode.status == PENDING and episode.execution_id == execution_id):
                return episode
            if episode.status == PENDING:
                raise StatusConflict(
                    f"episode {episode_id} is already claimed by another execution",
                    current=episode.status,
                )
            raise StatusConflict(
                f"episode {episode_id} cannot be claimed: it is {episode.status}",
                current=episode.status,
            )

    def transition(
        self,
        episode_id: str,
        *,
        expected: str,
        to: str,
        execution_id: str | None = None,
        detail: str | None = None,
        **fields,
    ) -> Episode:
        check_fields(fields)
        episode_id = canonical_episode_id(episode_id) or episode_id
        with self._write() as conn:
            if not is_legal_move(expected, to):
                current = self._existing(conn, episode_id).status
                raise conflict(episode_id, expected, to, current)
            names = list(fields)
            assignments = "".join(f", {name} = ?" for name in names)
            moved = self._execute(
                conn,
                f"""UPDATE episodes
                    SET status = ?, status_detail = ?, execution_id = COALESCE(?, execution_id)
                        {assignments}
                    WHERE id = ? AND status = ?
                      AND (? IS NULL OR execution_id IS NULL OR execution_id = ?)""",
                (to, detail, execution_id, *(fields[n] for n in names), episode_id, expected,
                 execution_id, execution_id),
            )
            episode = self._existing(conn, episode_id)
            if moved:
                return episode
            if execution_id is not None and self._query(
                conn,
                """SELECT 1 FROM episode_status_history
                   WHERE episode_id = ? AND from_status = ? AND to_status = ? AND execution_id = ?""",
                (episode_id, expected, to, execution_id),
            ):
                return episode  # a retried Lambda repeating its own move
            if episode.status == expected:
                raise StatusConflict(
                    f"episode {episode_id} belongs to another execution", current=episode.status
                )
            raise conflict(episode_id, expected, to, episode.status)

    def retry(self, episode_id: str, *, detail: str | None = None) -> Episode:
        episode_id = canonical_episode_id(episode_id) or episode_id
        with self._write() as conn:
            # The grant lives and dies inside this transaction: nobody else ever sees it.
            self._execute(
                conn,
                "INSERT INTO episode_retry_grants (episode_id) "
                "SELECT id FROM episodes WHERE id = ? AND status = 'failed'",
                (episode_id,),
            )
            moved = self._execute(
                conn,
                """UPDATE episodes
                   SET status = 'pending', attempt_count = attempt_count + 1,
                       error = NULL, cause = NULL, failed_state = NULL, execution_id = NULL,
                       status_detail = ?
                   WHERE id = ? AND status = 'failed'""",
                (detail, episode_id),
            )
            self._execute(conn, "DELETE FROM episode_retry_grants WHERE episode_id = ?", (episode_id,))
            episode = self._existing(conn, episode_id)
            if not moved:
                raise StatusConflict(
                    f"episode {episode_id} can be retried only when failed, it is {episode.status}",
                    current=episode.status,
                )
            return episode

    def unfinished(self, *, updated_before: datetime, limit: int) -> list[Episode]:
        # The triggers write updated_at as '%Y-%m-%dT%H:%M:%fZ' (milliseconds): text that
        # sorts as time, so the bound is written the same way.
        bound = updated_before.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        with self._connection() as conn:
            rows = self._query(
                conn,
                f"""SELECT * FROM episodes WHERE status IN {_IN_FLIGHT} AND updated_at < ?
                    ORDER BY updated_at, id LIMIT ?""",
                (bound, limit),
            )
        return [episode_from_row(row) for row in rows]

    def count_unfinished(self) -> int:
        with self._connection() as conn:
            rows = self._query(conn, f"SELECT count(*) AS n FROM episodes WHERE status IN {_IN_FLIGHT}")
        return rows[0]["n"]

    def list_episodes(self, podcast_id: str, *, limit: int, before: tuple[str, str] | None = None) -> list[Episode]:
        after_sql, params = "", ()
        if before is not None:
            # created_at is written by the database in one fixed format: text order is time order.
            after_sql, params = "AND (created_at < ? OR (created_at = ? AND id < ?))", (
                _sqlite_time(before[0]), _sqlite_time(before[0]), before[1])
        with self._connection() as conn:
            rows = self._query(
                conn,
                f"""SELECT * FROM episodes WHERE podcast_id = ? {after_sql}
                    ORDER BY created_at DESC, id DESC LIMIT ?""",
                (podcast_id, *params, limit),
            )
        return [episode_from_row(row) for row in rows]

    def episodes_in_flight(self, podcast_id: str) -> int:
        with self._connection() as conn:
            rows = self._query(
                conn, f"SELECT count(*) AS n FROM episodes WHERE podcast_id = ? AND status IN {_IN_FLIGHT}",
                (podcast_id,))
        return rows[0]["n"]

    def completed_episodes(self, podcast_id: str, *, limit: int) -> list[Episode]:
        with self._connection() as conn:
            rows = self._query(
                conn,
                """SELECT * FROM episodes WHERE podcast_id = ? AND status = 'completed'
                   ORDER BY completed_at DESC, id DESC LIMIT ?""",
                (podcast_id, limit),
            )
        return [episode_from_row(row) for row in rows]

    def last_completed_end(self, podcast_id: str) -> str | None:
        with self._connection() as conn:
            rows = self._query(
                conn,
                "SELECT window_end FROM episodes WHERE podcast_id = ? AND status = 'completed' "
                "AND window_end IS NOT NULL",
                (podcast_id,),
            )
        # Compared as instants: window bounds are written by Window.to_json, with or without
        # fractions of a second.
        ends = [utc_iso(row["window_end"]) for row in rows]
        return max(ends, key=lambda end: datetime.fromisoformat(end.replace("Z", "+00:00")), default=None)

    def record_messages(self, episode_id: str, messages) -> int:
        episode_id = canonical_episode_id(episode_id) or episode_id
        rows = [(str(channel), int(message_id), _message_time(date), episode_id)
                for channel, message_id, date in messages]
        with self._write() as conn:
            self._existing(conn, episode_id)
            self._execute(conn, "DELETE FROM episode_messages WHERE episode_id = ?", (episode_id,))
            self._call(lambda: conn.executemany(
                """INSERT OR IGNORE INTO episode_messages
                       (podcast_id, channel, message_id, episode_id, message_date)
                   SELECT podcast_id, ?, ?, id, ? FROM episodes WHERE id = ?""",
                rows,
            ))
        return len(rows)

    def covered_messages(self, podcast_id: str, *, window: Window, exclude_episode_id: str) -> set[tuple[str, int]]:
        exclude = canonical_episode_id(exclude_episode_id) or exclude_episode_id
        # Only the bounds the window has: "(? IS NULL OR date >= ?)" would keep SQLite from
        # using the index's date range and read the podcast's whole history.
        bounds, params = "", [podcast_id, exclude]
        if window.start is not None:
            bounds += " AND m.message_date >= ?"
            params.append(_message_time(window.start))
        if window.end is not None:
            bounds += " AND m.message_date < ?"
            params.append(_message_time(window.end))
        covered: set[tuple[str, int]] = set()
        with self._connection() as conn:
            cursor = self._call(lambda: conn.execute(
                f"""SELECT m.channel, m.message_id FROM episode_messages AS m
                    JOIN episodes AS e ON e.id = m.episode_id
                    WHERE m.podcast_id = ? AND e.status IN {_COVERING} AND m.episode_id <> ?{bounds}""",
                tuple(params),
            ))
            # Streamed row by row into the set: no list of every row besides it.
            for channel, message_id in self._call(lambda: iter(cursor)):
                covered.add((channel, message_id))
        return covered

    def covered_elsewhere(self, episode_id: str) -> int:
        episode_id = canonical_episode_id(episode_id) or episode_id
        with self._connection() as conn:
            rows = self._query(
                conn,
                f"""SELECT count(*) AS n FROM episode_messages AS m
                   WHERE m.episode_id = ? AND EXISTS (
                       SELECT 1 FROM episode_messages AS o JOIN episodes AS e ON e.id = o.episode_id
                       WHERE o.podcast_id = m.podcast_id AND o.channel = m.channel
                         AND o.message_id = m.message_id AND o.episode_id <> m.episode_id
                         AND e.status IN {_COVERING})""",
                (episode_id,),
            )
        return rows[0]["n"]

    def history(self, episode_id: str) -> list[dict]:
        episode_id = canonical_episode_id(episode_id) or episode_id
        with self._connection() as conn:
            rows = self._query(
                conn,
                "SELECT * FROM episode_status_history WHERE episode_id = ? ORDER BY id",
                (episode_id,),
            )
        return [history_from_row(row) for row in rows]


def _sqlite_time(iso: str) -> str:
    """An ISO instant in the format this store's database writes (``_NOW``)."""
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _podcast_values(podcast: Podcast) -> dict:
    """A podcast as this store's columns hold it (JSON as text, booleans as 0/1)."""
    return {
        "id": podcast.id, "title": podcast.title, "language": podcast.language,
        "format": podcast.format, "hosts": json.dumps(podcast.hosts, ensure_ascii=False),
        "sources": json.dumps(podcast.sources, ensure_ascii=False), "days_back": podcast.days_back,
        "paused": int(bool(podcast.paused)), "speech_provider": podcast.speech_provider,
        "description": podcast.description, "author": podcast.author, "category": podcast.category,
        "explicit": int(bool(podcast.explicit)), "image": podcast.image,
        "script_style": podcast.script_style, "target_minutes": podcast.target_minutes,
        "schedule": json.dumps(podcast.schedule) if podcast.schedule is not None else None,
        "next_run_at": podcast.next_run_at, "archived_at": podcast.archived_at,
        "version": podcast.version,
    }


def _podcast(row: dict) -> Podcast:
    def loads(value):
        return json.loads(value) if isinstance(value, str) else value

    return Podcast(
        id=row["id"],
        title=row["title"],
        language=row["language"],
        format=row["format"],
        hosts=loads(row["hosts"]),
        sources=loads(row["sources"]),
        days_back=row["days_back"],
        paused=bool(row["paused"]),
        speech_provider=row["speech_provider"],
        description=row["description"],
        author=row["author"],
        category=row["category"],
        explicit=bool(row["explicit"]),
        image=row["image"],
        script_style=row["script_style"],
        target_minutes=row["target_minutes"],
        schedule=loads(row["schedule"]),
        next_run_at=row["next_run_at"],
        archived_at=utc_iso(row["archived_at"]),
        version=row["version"],
        created_at=utc_iso(row.get("created_at")),
        updated_at=utc_iso(row.get("updated_at")),
    )
