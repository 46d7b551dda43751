"""Every error podcasto raises on purpose, and what the workflow does with it.

Lambda reports an exception to Step Functions by its class name (``errorType``), so each class
name below *is* the ASL error name that ``statemachine.asl.json`` retries or catches.
Foreign errors (botocore, Telethon, PostgREST, ...) are translated into these at the adapter
that meets them, once, with ``raise ... from exc``.

PodcastoError
 ├── TransientError              worth retrying: the same call may succeed later (ASL Retry)
 │    ├── ContentNotReady        the uploaded object is not (yet) visible with the ETag we wrote
 │    ├── SourceUnavailable      the content source timed out, dropped, or asked us to wait
 │    ├── StoreUnavailable       the episode store (SQLite locked, Supabase 5xx/timeout)
 │    ├── ObjectStoreUnavailable S3 throttled or answered 5xx
 │    ├── SpeechThrottled        a speech/LLM provider answered 429 or timed out
 │    ├── FeedOutdated           episodes kept completing while the feed was rendered; render again
 │    ├── WorkflowUnavailable    Step Functions could not start an execution (or read its history) right now
 │    └── TooManyRequests        admission control: MAX_EPISODES_IN_FLIGHT episodes are unfinished
 └── PermanentError              retrying cannot help: the episode fails with the reason recorded
      ├── InvalidInput           the execution input or request names a bad field
      ├── Unauthorized           the admin API key is missing or wrong
      ├── NotFound               podcast or episode does not exist
      ├── StatusConflict         a compare-and-set status transition matched no row
      ├── IdempotencyKeyReused   an Idempotency-Key already used for another request (HTTP 422)
      ├── AlreadyExists          a podcast id is taken (HTTP 409)
      ├── PreconditionFailed     an If-Match version is stale: someone else wrote first (HTTP 412)
      ├── NoContent              the window holds nothing new: the episode is skipped, not failed
      ├── SourceFailed           the content source refused for good (private channel, bad export)
      ├── TelegramSessionInvalid the Telegram login session is revoked or no longer authorised
      ├── ConfigurationError     a setting is missing or malformed (names the variable, never its value)
      ├── ScriptRejected         the written script failed validation before any speech was paid for
      ├── AudioRejected          synthesised audio failed a quality gate (silent, truncated, empty)
      ├── StoreRejected          the episode store refused the request (4xx: bad key, schema mismatch)
      └── ObjectStoreRejected    S3 refused the request for good (access denied, no such bucket)
"""
from __future__ import annotations


class PodcastoError(Exception):
    """Base of every deliberate podcasto error. ``str(err)`` is safe to show a user."""


class TransientError(PodcastoError):
    """Retry with backoff: the failure is expected to pass."""


class PermanentError(PodcastoError):
    """Do not retry: record the reason on the episode and stop."""


class ContentNotReady(TransientError):
    """HeadObject did not find the uploaded object with the ETag the upload returned."""


class SourceUnavailable(TransientError):
    """The content source is temporarily unreachable (network, flood wait beyond our bound)."""


class StoreUnavailable(TransientError):
    """The episode store is temporarily unreachable (timeouts, 5xx, a locked database)."""


class ObjectStoreUnavailable(TransientError):
    """S3 throttled us or failed on its side."""


class FeedOutdated(TransientError):
    """The podcast's completed episodes changed after each of several feed renders: the feed
    may lack the newest one, so PublishFeed is retried."""


class SpeechThrottled(TransientError):
    """A speech or script provider throttled us (429) or timed out."""


class WorkflowUnavailable(TransientError):
    """Step Functions refused or failed to start an execution (throttled, 5xx, unreachable)."""


class TooManyRequests(TransientError):
    """Admission control refused to start one more episode (HTTP 429 with Retry-After)."""

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class InvalidInput(PermanentError):
    """Input that names a bad or missing field; the message names the field."""


class Unauthorized(PermanentError):
    """The admin API key is missing or wrong (HTTP 401; nothing is done)."""


class NotFound(PermanentError):
    """The podcast or episode does not exist."""


class StatusConflict(PermanentError):
    """A status transition found the episode in another status than expected."""

    def __init__(self, message: str, *, current: str | None = None):
        super().__init__(message)
        self.current = current


class AlreadyExists(PermanentError):
    """A podcast with that id exists already (archived ones included)."""


class PreconditionFailed(PermanentError):
    """The podcast changed since the version the caller read (``If-Match``)."""


class IdempotencyKeyReused(PermanentError):
    """The Idempotency-Key came before with a different request (the IETF draft's 422)."""


class NoContent(PermanentError):
    """The content window holds no usable message (none at all, or none that another episode
    of the podcast did not already tell or is telling). Raised by CollectContent, caught by the state machine into
    MarkSkipped: the episode ends ``skipped`` with the outcome ``nothing_new`` and the execution
    succeeds, since an empty slot is no fault to page anyone about."""


class SourceFailed(PermanentError):
    """The content source refused for good: a private channel, a malformed export, ..."""


class TelegramSessionInvalid(PermanentError):
    """The Telegram session string no longer logs in: an operator must make a new one."""


class ConfigurationError(PermanentError):
    """A setting is missing or malformed. Names the variable, never prints its value."""


class ScriptRejected(PermanentError):
    """The script failed validation (unknown speaker, empty turn, wrong length)."""


class AudioRejected(PermanentError):
    """Synthesised audio failed a quality gate: empty, silent or truncated."""


class StoreRejected(PermanentError):
    """The episode store refused the request for good (4xx: bad key, schema mismatch)."""


class ObjectStoreRejected(PermanentError):
    """S3 refused the request for good: access denied, no such bucket, ..."""
