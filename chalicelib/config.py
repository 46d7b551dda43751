"""Configuration: every setting's name, its default, and how it is read — in one place.

Rules (see DESIGN.md "Configuration rules"):
- Nothing is read at import time (``chalice package`` imports app.py). ``Settings`` reads the
  environment when a value is asked for, and an explicit override beats the environment.
- Defaults live here, not in ``.chalice/config.json``: the ``local`` stage sets only
  ``PODCASTO_STAGE``, so locally the process environment always wins.
- A secret has one name. Locally it is given as ``NAME``; on AWS as ``NAME_SECRET_ARN``
  (Secrets Manager) or ``NAME_PARAMETER`` (SSM, SecureString). It is resolved once and cached;
  errors name the variable, never its value.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

from chalicelib import redact
from chalicelib.errors import ConfigurationError

# name: (default, description) — the README's configuration table is generated from this.
SETTINGS: dict[str, tuple[str | None, str]] = {
    "PODCASTO_STAGE": ("local", "Stage marker set by .chalice/config.json: local, dev or prod."),
    "PODCASTO_HOME": ("~/.podcasto", "Runtime state: the SQLite file and the local engine's objects (s3/). Outside the source tree, so chalice local never reloads on it."),
    "EPISODE_STORE": (None, "sqlite or supabase. Default: sqlite on the local stage, supabase on AWS stages."),
    "SQLITE_PATH": (None, "SQLite episode store file. Default: $PODCASTO_HOME/podcasto.db."),
    "SUPABASE_URL": (None, "Supabase project URL (EPISODE_STORE=supabase)."),
    "SUPABASE_KEY": (None, "Supabase service-role key. Secret: also SUPABASE_KEY_SECRET_ARN / SUPABASE_KEY_PARAMETER."),
    "SUPABASE_TIMEOUT_SECONDS": ("10", "Longest wait for one Supabase request (connect, send, answer); a timeout is StoreUnavailable, retried by Step Functions."),
    "CONTENT_BUCKET": ("podcasto-local", "S3 bucket for content bundles, audio and transcripts."),
    "S3_ENDPOINT_URL": (None, "S3 endpoint override (e.g. a MinIO or moto server). The local engine builds its own S3 client instead."),
    "AWS_REGION": ("us-east-1", "AWS region for S3, Step Functions and providers."),
    "TELEGRAM_API_ID": (None, "Telegram API id (my.telegram.org), for live channels."),
    "TELEGRAM_API_HASH": (None, "Telegram API hash. Secret: also TELEGRAM_API_HASH_SECRET_ARN / _PARAMETER."),
    "TELEGRAM_SESSION": (None, "Telethon StringSession from `make telegram-session`. Secret: also TELEGRAM_SESSION_SECRET_ARN / _PARAMETER."),
    "MAX_MESSAGES_PER_CHANNEL": ("1000", "Cap on messages read from one live channel per episode (what is left out is recorded)."),
    "MAX_MESSAGES_PER_EPISODE": ("3000", "Cap on messages read from all live channels per episode."),
    "FLOOD_WAIT_MAX_SECONDS": ("30", "Telegram flood waits up to this long are waited out; longer ones become SourceUnavailable, retried by Step Functions."),
    "FLOOD_WAIT_BUDGET_SECONDS": ("60", "Total flood-wait sleeping one collection may do across all its channels; a wait that would pass it becomes SourceUnavailable, retried by Step Functions."),
    "PODCASTO_API_KEY": (None, "Admin API key (X-Api-Key or Authorization: Bearer). Secret: also PODCASTO_API_KEY_SECRET_ARN / _PARAMETER. The local stage defaults to `podcasto-local-key`; AWS stages have no default."),
    "STATE_MACHINE_ARN": (None, "The workflow the admin API starts (injected by the deploy template; set by `make local`)."),
    "SFN_ENDPOINT_URL": (None, "Step Functions endpoint override; `make local` points it at the local engine."),
    "SWEEP_GRACE_SECONDS": ("120", "The sweeper leaves alone an unfinished episode written less than this long ago (one just created, or claimed and not yet started)."),
    "SWEEP_BATCH_SIZE": ("100", "At most this many unfinished episodes are checked per sweep (least recently written first)."),
    "SWEEP_INTERVAL_SECONDS": ("30", "How often `make local`'s engine sweeps (on AWS a schedule runs sweep_episodes every 5 minutes)."),
    "MAX_EPISODES_IN_FLIGHT": ("10", "Admission bound: a start or retry when this many episodes are unfinished is answered 429 with Retry-After."),
    "ADMISSION_RETRY_AFTER_SECONDS": ("30", "The Retry-After of a 429 answered by admission control."),
    "AUDIO_URL_EXPIRES_SECONDS": ("3600", "Lifetime of the presigned (SigV4) audio_url made on each read of an episode: 60 to 604800 (7 days)."),
    "PUBLIC_AUDIO_BASE_URL": (None, "If set, audio_url is this base URL + the S3 key (e.g. a CDN) instead of a presigned URL."),
    "PUBLIC_BASE_URL": (None, "Public address of the bucket's published files (a CDN such as the stack's CloudFront distribution, or a custom domain): the feed's URLs are this + the S3 key. Locally: the local S3 server's bucket URL."),
    "LOG_LEVEL": ("INFO", "Level of the JSON log lines."),
    "SCRIPT_WRITER": ("offline", "Script writer: offline (deterministic), gemini or bedrock."),
    "GEMINI_API_KEY": (None, "Gemini API key (script writer and TTS). Secret: also GEMINI_API_KEY_SECRET_ARN / _PARAMETER."),
    "GEMINI_SCRIPT_MODEL": ("gemini-2.5-flash", "Gemini model that writes scripts (SCRIPT_WRITER=gemini)."),
    "BEDROCK_MODEL_ID": ("anthropic.claude-3-5-haiku-20241022-v1:0", "Bedrock model (Converse API) that writes scripts (SCRIPT_WRITER=bedrock)."),
    "SCRIPT_TEMPERATURE": ("0.7", "Sampling temperature of the LLM script writers."),
    "SCRIPT_STYLE": (None, "House style added to the LLM writers' instructions (tone, recurring segments, sign-off), e.g. 'Keep it light; end with a question for listeners.'"),
    "SCRIPT_MAX_OUTPUT_TOKENS": ("8000", "Cap on the tokens an LLM writer may answer with (a longer answer is rejected, never cut)."),
    "SPEECH_PROVIDER": (None, "Speech engine for every language: espeak (offline, never on AWS), polly (English only) or gemini. Default: espeak locally; on AWS polly for English, gemini for Hebrew."),
    "SPEECH_PROVIDER_EN": (None, "Speech engine for English episodes; beats SPEECH_PROVIDER."),
    "SPEECH_PROVIDER_HE": (None, "Speech engine for Hebrew episodes; beats SPEECH_PROVIDER."),
    "GEMINI_TTS_MODEL": ("gemini-3.8-flash-tts", "Gemini text-to-speech model (model names change often)."),
    "POLLY_ENGINE": ("neural", "Amazon Polly engine: standard, neural, long-form or generative."),
    "SEGMENT_CONCURRENCY": ("4", "How many segments the Map state synthesises at once."),
    "MIN_TEXT_LENGTH": ("0", "Drop text-only messages shorter than this many characters."),
    "BLOCKED_DOMAINS": ("", "Comma-separated link domains whose messages are dropped."),
    "MAX_MESSAGES": ("2000", "Cap on messages kept in one episode's bundle (the rest are recorded as over_cap)."),
    "MAX_BUNDLE_BYTES": ("5000000", "Cap on a content bundle's serialised size."),
    "UPLOAD_PHOTOS": ("false", "true: CollectContent stores each kept photo at podcasts/<podcast>/<episode>/media/<channel>-<id>.jpg and names the key in its media entry."),
    "TARGET_SECONDS": (None, "Target episode length in seconds for podcasts without their own target_minutes; "
                             "unset: 1200 (20 minutes, DEFAULT_TARGET_SECONDS in chalicelib/script/stories.py). "
                             "The writers choose whole stories to land within 15% of it when the window has "
                             "that much material."),
    "MP3_BITRATE_KBPS": ("64", "MP3 bitrate."),
    "SCHEDULER_BATCH": ("100", "Most podcasts one scheduler tick starts episodes for; the rest are due on the next tick (every 5 minutes on AWS)."),
    "SCHEDULER_TICK_SECONDS": ("60", "How often `make local` runs the scheduler tick (AWS runs it every 5 minutes); 0 turns the local tick off."),
}

AWS_STAGES = ("dev", "prod")
LOCAL_API_KEY = "podcasto-local-key"  # documented; only ever used on the local stage


def _resolve_secret_from_aws(kind: str, ref: str, region: str) -> str:
    """Fetch a secret from Secrets Manager or SSM. Imported lazily: boto3 is only needed on AWS."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        if kind == "SECRET_ARN":
            client = boto3.client("secretsmanager", region_name=region)
            return client.get_secret_value(SecretId=ref)["SecretString"]
        client = boto3.client("ssm", region_name=region)
        return client.get_parameter(Name=ref, WithDecryption=True)["Parameter"]["Value"]
    except (BotoCoreError, ClientError, KeyError) as exc:
        # Name the reference (an ARN or parameter name is not secret); never the value.
        raise ConfigurationError(f"could not read the secret referenced by {ref!r} ({type(exc).__name__})") from exc


@dataclass
class Settings:
    """Lazy, cached view of the configuration. ``overrides`` beat the environment."""

    overrides: Mapping[str, str] | None = None
    environ: Mapping[str, str] | None = None
    secret_resolver: Callable[[str, str, str], str] = _resolve_secret_from_aws

    def __post_init__(self) -> None:
        self._secrets: dict[str, str] = {}

    # -- raw access ---------------------------------------------------------------------------
    def get(self, name: str) -> str | None:
        if name not in SETTINGS:
            raise KeyError(f"unknown setting {name}")
        if self.overrides and name in self.overrides and self.overrides[name] is not None:
            return str(self.overrides[name])
        env = os.environ if self.environ is None else self.environ
        value = env.get(name)
        if value is not None and value != "":
            return value
        return SETTINGS[name][0]

    def require(self, name: str) -> str:
        value = self.get(name)
        if value is None or value == "":
            raise ConfigurationError(f"{name} is not set")
        return value

    def integer(self, name: str, *, minimum: int = 0, maximum: int | None = None) -> int:
        raw = self.get(name)
        try:
            value = int(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ConfigurationError(f"{name} must be a whole number") from None
        if value < minimum:
            raise ConfigurationError(f"{name} must be at least {minimum}")
        if maximum is not None and value > maximum:
            raise ConfigurationError(f"{name} must be at most {maximum}")
        return value

    def flag(self, name: str) -> bool:
        raw = (self.get(name) or "").strip().lower()
        if raw in ("1", "true", "yes", "on"):
            return True
        if raw in ("", "0", "false", "no", "off"):
            return False
        raise ConfigurationError(f"{name} must be true or false")

    def optional_float(self, name: str) -> float | None:
        raw = self.get(name)
        if raw is None:
            return None
        try:
            value = float(raw)
        except ValueError:
            raise ConfigurationError(f"{name} must be a number") from None
        if not math.isfinite(value) or value <= 0:  # float() also takes "nan" and "inf"
            raise ConfigurationError(f"{name} must be a positive number")
        return value

    def secret(self, name: str) -> str:
        """``NAME`` locally, else ``NAME_SECRET_ARN`` / ``NAME_PARAMETER``; resolved once."""
        if name in self._secrets:
            return self._secrets[name]
        env = os.environ if self.environ is None else self.environ
        value = (self.overrides or {}).get(name) or env.get(name)
        if not value:
            for kind in ("SECRET_ARN", "PARAMETER"):
                ref = env.get(f"{name}_{kind}")
                if ref:
                    value = self.secret_resolver(kind, ref, self.region)
                    break
        if not value:
            raise ConfigurationError(
                f"{name} is not set (give {name}, {name}_SECRET_ARN or {name}_PARAMETER)"
            )
        # From now on no text leaving this process can carry it (chalicelib/redact.py).
        redact.register(value)
        self._secrets[name] = value
        return value

    # -- typed views --------------------------------------------------------------------------
    @property
    def stage(self) -> str:
        return self.get("PODCASTO_STAGE") or "local"

    @property
    def region(self) -> str:
        return self.get("AWS_REGION") or "us-east-1"

    @property
    def home(self) -> Path:
        return Path(self.get("PODCASTO_HOME") or "~/.podcasto").expanduser()

    @property
    def episode_store(self) -> str:
        value = self.get("EPISODE_STORE") or ("supabase" if self.stage in AWS_STAGES else "sqlite")
        if value not in ("sqlite", "supabase"):
            raise ConfigurationError("EPISODE_STORE must be sqlite or supabase")
        return value

    @property
    def sqlite_path(self) -> Path:
        raw = self.get("SQLITE_PATH")
        return Path(raw).expanduser() if raw else self.home / "podcasto.db"

    @property
    def api_key(self) -> str:
        """The admin API key. Only the local stage has a default: on AWS a missing key fails
        closed (the API answers 503), never open."""
        try:
            return self.secret("PODCASTO_API_KEY")
        except ConfigurationError:
            if self.stage == "local":
                return LOCAL_API_KEY
            raise

    @property
    def bucket(self) -> str:
        return self.require("CONTENT_BUCKET")

    @property
    def blocked_domains(self) -> tuple[str, ...]:
        raw = self.get("BLOCKED_DOMAINS") or ""
        return tuple(d.strip().lower() for d in raw.split(",") if d.strip())
