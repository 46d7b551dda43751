"""The production episode store: Supabase, through its PostgREST client (postgrest-py).

The schema (``supabase/migrations``) enforces the status rules in the database, writes the
history rows and the timestamps; this adapter adds the compare-and-set writes, the idempotent
repeats and the translation of foreign errors:

- no answer, a timeout, HTTP 5xx, 408 or 429 -> ``StoreUnavailable`` (the workflow retries);
- HTTP 401/403 (a key that is no JWT, a wrong signature, the anon key) -> ``StoreRejected``
  naming SUPABASE_KEY;
- any other refusal (a schema mismatch, a constraint) -> ``StoreRejected``;
- a malformed SUPABASE_URL or SUPABASE_KEY -> ``ConfigurationError`` when the store is built.

Messages carry PostgREST's code and message, never the key nor any part of it.

One round trip per write on the happy path: each status change is a single
``PATCH ... ?id=eq.X&status=eq.<expected>`` returning the row; an empty answer means the
episode was not in ``expected`` and only then is the current status read.
"""
from __future__ import annotations

import re
import threading
from datetime import datetime, timezone
from urllib.parse import urlsplit

import httpx
from postgrest.exceptions import APIError
from pydantic import ValidationError

from chalicelib.domain import COMPLETED, IN_FLIGHT, PENDING, Window
from chalicelib.errors import (
    AlreadyExists,
    ConfigurationError,
    NotFound,
    StatusConflict,
    StoreRejected,
    StoreUnavailable,
)
from chalicelib.stores.episodes import Episode, Podcast
from chalicelib.stores.rows import (
    PODCAST_COLUMNS,
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

_UNIQUE_VIOLATION = "23505"
# Rows asked for per page: at most what hosted Supabase answers by default (max_rows 1,000).
_PAGE = 1000
_FOREIGN_KEY_VIOLATION = "23503"
# PostgREST's own "cannot reach the database" codes, for answers that lost their HTTP status.
_UNAVAILABLE_CODES = {"PGRST000", "PGRST001", "PGRST002", "PGRST003"}
# PostgREST's JWT complaints (missing, malformed, bad signature, expired, unknown role) and
# "permission denied" (a key of the wrong role), for answers that lost their HTTP status.
_KEY_REFUSED_CODES = {"PGRST300", "PGRST301", "PGRST302", "PGRST303", "42501"}
# Shorter dot-separated key parts (none in a JWT) could match ordinary words of a message.
_MIN_REDACTED_PART = 8
# A key goes into HTTP headers: visible ASCII only, so a stray newline or accent fails here,
# as configuration, not as a transport error the workflow would retry.
_KEY_SHAPE = re.compile(r"[\x21-\x7e]+")


class SupabaseEpisodeStore:
    """``EpisodeStore`` on Supabase's PostgREST client (``postgrest.SyncPostgrestClient``), the
    table client supabase-py's ``Client`` hands every ``table()`` and ``rpc()`` call to.

    Built without the rest of ``supabase.create_client``: a client made that way also builds
    the auth and realtime clients and imports auth, storage, realtime and functions (anyio,
    PyJWT...), none of which the store uses. In a fresh Lambda that took ~100-150 ms of every
    first call that reads the store (bench/bench_cold_start.py).
    """

    # Rows per request for the coverage reads and writes: Supabase's default max_rows.
    page_size = 1000

    def __init__(self, client, key: str | None = None):
        self._client = client
        self._key = key or None
        # postgrest-py drops the HTTP status of a JSON error body; remember it per thread (one
        # client serves concurrent callers) so 5xx and 4xx can be told apart.
        self._last = threading.local()
        client.session.event_hooks["response"].append(self._remember_status)

    @classmethod
    def from_settings(
        cls, url: str, key: str, *, timeout: float = 10.0, retry: bool = True
    ) -> "SupabaseEpisodeStore":
        """Build the client the production way. ``timeout`` bounds each request (connect,
        read, write), ``retry`` lets postgrest-py retry idempotent GETs on 503/520 (it never
        retries writes, nor timeouts).

        Errors name SUPABASE_URL or SUPABASE_KEY, never their values."""
        from postgrest import SyncPostgrestClient

        _check_url(url)
        _check_key(key)
        # The timeout lives on the HTTP client: postgrest-py deprecates its own timeout option.
        http = httpx.Client(timeout=timeout, follow_redirects=True)
        client = SyncPostgrestClient(
            url.rstrip("/") + "/rest/v1",  # where supabase-py points it (Supabase's API gateway)
            # The headers supabase-py's client sends: the key as the API key and as the bearer
            # token (its role, service_role, is what PostgREST runs the requests as).
            headers={"apiKey": key, "Authorization": f"Bearer {key}"},
            http_client=http,
            retry_enabled=retry,
        )
        return cls(client, key)

    # --- plumbing ---------------------------------------------------------------------------
    def _remember_status(self, response: httpx.Response) -> None:
        self._last.status = response.status_code

    def _table(self, name: str):
        return self._client.table(name)

    def _send(self, request, what: str):
        """Run a request; transport failures become ``StoreUnavailable``, ``APIError`` passes."""
        self._last.status = None
        try:
            return request.execute()
        except httpx.HTTPError as exc:
            raise StoreUnavailable(
                f"the episode store is unreachable ({what}): {type(exc).__name__}"
            ) from exc
        except (ValidationError, ValueError) as exc:
            raise StoreRejected(
                f"the episode store answered something that is not PostgREST ({what})"
            ) from exc

    def _run(self, request, what: str) -> list[dict]:
        try:
            return self._send(request, what).data
        except APIError as exc:
            raise self._refusal(exc, what) from exc

    def _refusal(self, exc: APIError, what: str) -> Exception:
        status = getattr(self._last, "status", None)
        text = self._redacted(f"{exc.code}: {exc.message}" if exc.code else str(exc.message))
        transient = (
            status >= 500 or status in (408, 429)
            if status is not None
            else exc.code in _UNAVAILABLE_CODES or (str(exc.code).isdigit() and int(exc.code) >= 500)
        )
        if transient:
            return StoreUnavailable(f"the episode store failed to {what} (HTTP {status}; {text})")
        if status in (401, 403) or exc.code in _KEY_REFUSED_CODES:
            # Not a JWT, a wrong signature, an expired token, or the anon key where the
            # service_role key belongs: an operator must fix SUPABASE_KEY, retrying cannot help.
            return StoreRejected(
                f"the episode store refused SUPABASE_KEY to {what} (HTTP {status}; {text}): "
                "is it the project's service_role key?"
            )
        return StoreRejected(f"the episode store refused to {what} (HTTP {status}; {text})")

    def _redacted(self, text: str) -> str:
        """``text`` without the key, nor any dot-separated part of it (a JWT's signature or
        claims), which a gateway may echo back in its complaint."""
        if not self._key:
            return text
        text = text.replace(self._key, "<key>")
        for part in self._key.split("."):
            if len(part) >= _MIN_REDACTED_PART:
                text = text.replace(part, "<key>")
        return text

    def _episode(self, episode_id: str) -> Episode | None:
        rows = self._run(
            self._table("episodes").select("*").eq("id", episode_id).limit(1), "read an episode"
        )
        return episode_from_row(rows[0]) if rows else None

    def _existing(self, episode_id: str | None, raw_id: str) -> Episode:
        episode = self._episode(episode_id) if episode_id is not None else None
        if episode is None:
            raise NotFound(f"episode {raw_id} does not exist")
        return episode

    # --- podcasts ---------------------------------------------------------------------------
    def put_podcast(self, podcast: Podcast) -> None:
        row = _podcast_row(check_podcast(podcast))
        for name in ("version", "archived_at", "created_at", "updated_at"):
            row.pop(name)
        self._run(self._table("podcasts").upsert(row, on_conflict="id"), "save a podcast")

    def create_podcast(self, podcast: Podcast) -> Podcast:
        row = {**_podcast_row(check_podcast(podcast)), "version": 1, "archived_at": None}
        for name in ("created_at", "updated_at"):
            row.pop(name)
        try:
            rows = self._send(self._table("podcasts").insert(row), "create a podcast").data
        except APIError as exc:
            if exc.code == _UNIQUE_VIOLATION:
                raise AlreadyExists(f"a podcast with id {podcast.id!r} exists already") from None
            raise self._refusal(exc, "create a podcast") from exc
        return _podcast(rows[0])

    def get_podcast(self, podcast_id: str) -> Podcast | None:
        rows = self._run(
            self._table("podcasts").select("*").eq("id", podcast_id).limit(1), "read a podcast"
        )
        return _podcast(rows[0]) if rows else None

    def list_podcasts(self, *, include_archived: bool = False) -> list[Podcast]:
        # Keyset pages by id: hosted Supabase caps every answer (1,000 rows by default), and a
        # list cut there would look complete.
        podcasts: list[Podcast] = []
        while True:
            request = self._table("podcasts").select("*")
            if not include_archived:
                request = request.is_("archived_at", "null")
            if podcasts:
                request = request.gt("id", podcasts[-1].id)
            rows = self._run(request.order("id").limit(_PAGE), "list podcasts")
            podcasts.extend(_podcast(row) for row in rows)
            if len(rows) < _PAGE:
                return podcasts

    def update_podcast(self, podcast: Podcast, *, expected_version: int | None = None) -> Podcast:
        row = _podcast_row(check_podcast(podcast))
        current = self.get_podcast(podcast.id)
        if current is None:
            raise NotFound(f"podcast {podcast.id!r} does not exist")
        version = current.version if expected_version is None else expected_version
        for name in ("id", "archived_at", "created_at", "updated_at"):
            row.pop(name)
        # PostgREST has no "version = version + 1": the compare-and-set on the version read
        # makes the new value safe to compute here.
        row["version"] = version + 1
        rows = self._run(
            self._table("podcasts").update(row).eq("id", podcast.id).eq("version", version),
            "update a podcast",
        )
        if rows:
            return _podcast(rows[0])
        found = self.get_podcast(podcast.id)
        if found is None:
            raise NotFound(f"podcast {podcast.id!r} does not exist")
        if expected_version is None:
            raise StoreUnavailable(f"podcast {podcast.id!r} changed during the update; try again")
        raise stale(found, expected_version)

    def set_archived(self, podcast_id: str, archived: bool) -> Podcast:
        for _ in range(3):  # the version is a compare-and-set; concurrent edits are rare
            current = self.get_podcast(podcast_id)
            if current is None:
                raise NotFound(f"podcast {podcast_id!r} does not exist")
            rows = self._run(
                self._table("podcasts").update({
                    "archived_at": utc_iso(datetime.now(timezone.utc)) if archived else None,
                    "version": current.version + 1,
                }).eq("id", podcast_id).eq("version", current.version),
                "archive a podcast",
            )
            if rows:
                return _podcast(rows[0])
        raise StoreUnavailable(f"podcast {podcast_id!r} kept changing; try again")

    def due_podcasts(self, now: datetime, *, limit: int) -> list[Podcast]:
        rows = self._run(
            self._table("podcasts").select("*").lte("next_run_at", run_at(now))
            .eq("paused", False).is_("archived_at", "null").order("next_run_at").limit(limit),
            "list due podcasts",
        )
        return [_podcast(row) for row in rows]

    def advance_schedule(self, podcast_id: str, *, expected: str | None, next_run_at: str | None) -> bool:
        request = self._table("podcasts").update({"next_run_at": next_run_at}).eq("id", podcast_id)
        request = request.is_("next_run_at", "null") if expected is None else request.eq("next_run_at", expected)
        return bool(self._run(request, "advance a schedule"))

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
        row = {
            "podcast_id": podcast_id,
            "language": language,
            "format": format,
            "window_start": bounds["start"],
            "window_end": bounds["end"],
            "idempotency_key": idempotency_key,
            "request_fingerprint": request_fingerprint,
        }
        if episode_id is not None:
            row["id"] = episode_id
        # Insert first: the database's unique and foreign keys answer "already there?" and
        # "podcast exists?" in the same round trip, with no window for a racing creator.
        try:
            rows = self._send(self._table("episodes").insert(row), "create an episode").data
        except APIError as exc:
            if exc.code == _FOREIGN_KEY_VIOLATION:
                raise NotFound(f"podcast {podcast_id} does not exist") from None
            if exc.code != _UNIQUE_VIOLATION:
                raise self._refusal(exc, "create an episode") from exc
            existing = self._episode(episode_id) if episode_id is not None else None
            if existing is None and idempotency_key is not None:
                found = self._run(
                    self._table("episodes").select("*").eq("podcast_id", podcast_id)
                    .eq("idempotency_key", idempotency_key).limit(1),
                    "read an episode",
                )
                existing = episode_from_row(found[0]) if found else None
            if existing is None:
                raise self._refusal(exc, "create an episode") from exc
            return existing, False
        return episode_from_row(rows[0]), True

    def get_episode(self, episode_id: str) -> Episode | None:
        canonical = canonical_episode_id(episode_id)
        return self._episode(canonical) if canonical is not None else None

    def claim(self, episode_id: str, execution_id: str) -> Episode:
        canonical = canonical_episode_id(episode_id)
        if canonical is not None:
            rows = self._run(
                self._table("episodes").update({"execution_id": execution_id})
                .eq("id", canonical).eq("status", PENDING).is_("execution_id", "null"),
                "claim an episode",
            )
            if rows:
                return episode_from_row(rows[0])
        episode = self._existing(canonical, episode_id)
        if episode.status == PENDING and episode.execution_id == execution_id:
            return episode  # the same execution claiming again (a retried Lambda)
        if episode.status == PENDING:
            raise StatusConflict(
                f"episode {episode_id} is already claimed by another execution",
                current=episode.status,
            )
        raise StatusConflict(
            f"episode {episode_id} cannot be claimed: it is {episode.status}", current=episode.status
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
        canonical = canonical_episode_id(episode_id)
        if not is_legal_move(expected, to):
            raise conflict(episode_id, expected, to, self._existing(canonical, episode_id).status)
        if canonical is None:
            raise NotFound(f"episode {episode_id} does not exist")
        # status_detail rides along so the history trigger records this move's detail.
        values = {"status": to, "status_detail": detail, **fields}
        if execution_id is not None:
            values["execution_id"] = execution_id
        request = self._table("episodes").update(values).eq("id", canonical).eq("status", expected)
        if execution_id is not None:
            # An execution may move an unclaimed episode or its own, never another's.
            request = request.or_(f"execution_id.is.null,execution_id.eq.{_quoted(execution_id)}")
        rows = self._run(request, "move an episode")
        if rows:
            return episode_from_row(rows[0])
        episode = self._existing(canonical, episode_id)
        if execution_id is not None and self._run(
            self._table("episode_status_history").select("id").eq("episode_id", canonical)
            .eq("from_status", expected).eq("to_status", to).eq("execution_id", execution_id)
            .limit(1),
            "read an episode's history",
        ):
            return episode  # a retried Lambda repeating its own move
        if episode.status == expected:
            raise StatusConflict(
                f"episode {episode_id} belongs to another execution", current=episode.status
            )
        raise conflict(episode_id, expected, to, episode.status)

    def retry(self, episode_id: str, *, detail: str | None = None) -> Episode:
        canonical = canonical_episode_id(episode_id)
        if canonical is not None:
            rows = self._run(
                self._client.rpc("retry_episode", {"p_episode_id": canonical, "p_detail": detail}),
                "retry an episode",
            )
            if rows:
                return episode_from_row(rows[0])
        episode = self._existing(canonical, episode_id)
        raise StatusConflict(
            f"episode {episode_id} can be retried only when failed, it is {episode.status}",
            current=episode.status,
        )

    def unfinished(self, *, updated_before: datetime, limit: int) -> list[Episode]:
        rows = self._run(
            self._table("episodes").select("*").in_("status", list(IN_FLIGHT))
            .lt("updated_at", updated_before.isoformat()).order("updated_at").order("id").limit(limit),
            "list unfinished episodes",
        )
        return [episode_from_row(row) for row in rows]

    def count_unfinished(self) -> int:
        # count="exact": PostgREST answers the count in Content-Range; one row at most is sent.
        request = self._table("episodes").select("id", count="exact").in_("status", list(IN_FLIGHT)).limit(1)
        try:
            return self._send(request, "count unfinished episodes").count or 0
        except APIError as exc:
            raise self._refusal(exc, "count unfinished episodes") from exc
    def list_episodes(self, podcast_id: str, *, limit: int, before: tuple[str, str] | None = None) -> list[Episode]:
        request = self._table("episodes").select("*").eq("podcast_id", podcast_id)
        if before is not None:
            at, episode_id = before
            request = request.or_(
                f"created_at.lt.{_quoted(at)},and(created_at.eq.{_quoted(at)},id.lt.{_quoted(episode_id)})")
        rows = self._run(
            request.order("created_at", desc=True).order("id", desc=True).limit(limit), "list episodes")
        return [episode_from_row(row) for row in rows]

    def episodes_in_flight(self, podcast_id: str) -> int:
        rows = self._run(
            self._table("episodes").select("id").eq("podcast_id", podcast_id)
            .in_("status", list(IN_FLIGHT)),
            "count episodes in flight",
        )
        return len(rows)

    def completed_episodes(self, podcast_id: str, *, limit: int) -> list[Episode]:
        rows = self._run(
            self._table("episodes").select("*").eq("podcast_id", podcast_id).eq("status", COMPLETED)
            .order("completed_at", desc=True).order("id", desc=True).limit(limit),
            "list completed episodes",
        )
        return [episode_from_row(row) for row in rows]

    def last_completed_end(self, podcast_id: str) -> str | None:
        rows = self._run(
            self._table("episodes").select("window_end").eq("podcast_id", podcast_id)
            .eq("status", COMPLETED).not_.is_("window_end", "null")
            .order("window_end", desc=True).limit(1),
            "read the last completed episode",
        )
        return utc_iso(rows[0]["window_end"]) if rows else None

    def record_messages(self, episode_id: str, messages) -> int:
        canonical = canonical_episode_id(episode_id)
        if canonical is None:
            raise NotFound(f"episode {episode_id} does not exist")
        rows = [{"channel": str(channel), "message_id": int(message_id), "message_date": utc_iso(date)}
                for channel, message_id, date in messages]
        # In chunks, so no request body grows with MAX_MESSAGES; the first chunk (even an empty
        # one) replaces what an earlier collection of this episode recorded.
        written = 0
        for first in range(0, max(len(rows), 1), self.page_size):
            count = self._run(
                self._client.rpc("record_episode_messages", {
                    "p_episode_id": canonical, "p_messages": rows[first:first + self.page_size],
                    "p_replace": first == 0}),
                "record an episode's messages",
            )
            if count is None:
                raise NotFound(f"episode {episode_id} does not exist")
            written += count
        return written

    def covered_messages(self, podcast_id: str, *, window: Window, exclude_episode_id: str) -> set[tuple[str, int]]:
        bounds = window.to_json()
        covered: set[tuple[str, int]] = set()
        after: dict = {"p_after_date": None, "p_after_channel": None, "p_after_id": None}
        # Keyset pages in (date, channel, id) order until an empty one: PostgREST may cap an
        # answer below page_size (Supabase's max_rows), so a short page proves nothing.
        while True:
            rows = self._run(
                self._client.rpc("covered_messages", {
                    "p_podcast_id": podcast_id,
                    "p_exclude": canonical_episode_id(exclude_episode_id),
                    "p_start": bounds["start"], "p_end": bounds["end"],
                    "p_limit": self.page_size, **after,
                }),
                "read the messages completed episodes covered",
            )
            if not rows:
                return covered
            covered.update((row["channel"], row["message_id"]) for row in rows)
            last = rows[-1]
            after = {"p_after_date": last["message_date"], "p_after_channel": last["channel"],
                     "p_after_id": last["message_id"]}

    def covered_elsewhere(self, episode_id: str) -> int:
        canonical = canonical_episode_id(episode_id)
        if canonical is None:
            return 0
        return int(self._run(
            self._client.rpc("episode_messages_covered_elsewhere", {"p_episode_id": canonical}),
            "read whether an episode's messages were covered since",
        ) or 0)

    def history(self, episode_id: str) -> list[dict]:
        canonical = canonical_episode_id(episode_id)
        if canonical is None:
            return []
        rows = self._run(
            self._table("episode_status_history").select("*").eq("episode_id", canonical)
            .order("id"),
            "read an episode's history",
        )
        return [history_from_row(row) for row in rows]


def _check_url(url: object) -> None:
    """An ``http(s)://host[:port][/path]`` URL, or a ConfigurationError naming SUPABASE_URL."""
    problem = "SUPABASE_URL must be the project URL, http(s)://host[:port]"
    if not isinstance(url, str) or not url:
        raise ConfigurationError("SUPABASE_URL is not set")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is no number
        httpx.URL(url)
    except (ValueError, httpx.InvalidURL):
        raise ConfigurationError(problem) from None
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise ConfigurationError(problem)


def _check_key(key: object) -> None:
    if not isinstance(key, str) or not key:
        raise ConfigurationError("SUPABASE_KEY is not set")
    if not _KEY_SHAPE.fullmatch(key):
        raise ConfigurationError(
            "SUPABASE_KEY must be the project's service_role key (printable ASCII, no spaces or line breaks)"
        )


def _quoted(value: str) -> str:
    """A value inside a PostgREST logic filter: double quotes keep ``,.:()`` (ARNs) literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _podcast(row: dict) -> Podcast:
    values = {name: row.get(name) for name in PODCAST_COLUMNS}
    for name in ("archived_at", "created_at", "updated_at"):
        values[name] = utc_iso(values[name])
    if values["next_run_at"] is not None:
        values["next_run_at"] = run_at(datetime.fromisoformat(utc_iso(values["next_run_at"]).replace("Z", "+00:00")))
    return Podcast(**values)


def _podcast_row(podcast: Podcast) -> dict:
    return podcast.to_json()
