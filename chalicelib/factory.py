"""Build every seam from configuration — the one place that chooses implementations.

Each seam is built on first use and imports its implementation lazily, so a Lambda only pays
for (and only bundles the imports of) what it touches: the API never imports Telethon, audio
or Supabase code it does not call.
"""
from __future__ import annotations

import json
from functools import cached_property
from urllib.parse import urlparse

from chalicelib.config import AWS_STAGES, Settings
from chalicelib.domain import SPEECH_PROVIDERS
from chalicelib.errors import ConfigurationError, InvalidInput
from chalicelib.stores.episodes import EpisodeStore, Podcast

DEFAULT_AWS_SPEECH = {"en": "polly", "he": "gemini"}  # Polly has no Hebrew voice


class Services:
    def __init__(self, settings: Settings | None = None, **overrides):
        """``overrides`` replace a seam by attribute name (tests, the local engine)."""
        self.settings = settings or Settings()
        self._overridden = set(overrides)
        for name, value in overrides.items():
            setattr(self, name, value)

    @cached_property
    def episodes(self) -> EpisodeStore:
        if self.settings.episode_store == "supabase":
            from chalicelib.stores.supabase_store import SupabaseEpisodeStore

            return SupabaseEpisodeStore.from_settings(
                self.settings.require("SUPABASE_URL"),
                self.settings.secret("SUPABASE_KEY"),
                timeout=self.settings.optional_float("SUPABASE_TIMEOUT_SECONDS"),
            )
        from chalicelib.stores.sqlite_store import SqliteEpisodeStore

        return SqliteEpisodeStore(str(self.settings.sqlite_path))

    def _client(self, service: str, endpoint_setting: str, config=None):
        """A boto3 client; an endpoint override on loopback (the local engine) gets throwaway
        credentials, so a laptop without an AWS account works and real credentials never
        reach a local server."""
        import boto3

        endpoint = self.settings.get(endpoint_setting)
        kwargs = {}
        if endpoint and urlparse(endpoint).hostname in ("127.0.0.1", "localhost", "::1"):
            kwargs = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
        return boto3.client(
            service, region_name=self.settings.region, endpoint_url=endpoint, config=config, **kwargs
        )

    @cached_property
    def s3_client(self):
        from chalicelib.stores.objects import s3_client_config

        return self._client("s3", "S3_ENDPOINT_URL", config=s3_client_config())

    @cached_property
    def sfn_client(self):
        return self._client("stepfunctions", "SFN_ENDPOINT_URL")

    def starter(self):
        from chalicelib.workflow import StepFunctionsStarter

        return StepFunctionsStarter(self.sfn_client, self.settings.require("STATE_MACHINE_ARN"))

    @cached_property
    def executions(self):
        """What the sweeper asks about executions: Step Functions itself (the local engine
        replaces it with its own, which also knows the other local engines)."""
        return self.starter()

    @cached_property
    def execution_history(self):
        """Read on every poll of GET /episodes/{id}: a slow or frozen Step Functions must cost a
        poll a few seconds (its states then read ``null``), not botocore's 60 s per attempt
        times its retries, so it gets a client of its own with short timeouts and one attempt."""
        from botocore.config import Config

        from chalicelib.workflow import StepFunctionsHistory

        if "sfn_client" in self._overridden:  # a test's or the local engine's own client
            return StepFunctionsHistory(self.sfn_client)
        quick = Config(connect_timeout=2, read_timeout=3, retries={"max_attempts": 1})
        return StepFunctionsHistory(self._client("stepfunctions", "SFN_ENDPOINT_URL", config=quick))

    def audio_url(self, key: str) -> str:
        """Made on each read, so a stored episode never holds an expired link."""
        base = self.settings.get("PUBLIC_AUDIO_BASE_URL")
        if base:
            return f"{base.rstrip('/')}/{key}"
        from chalicelib.stores.objects import MAX_PRESIGN_SECONDS

        return self.objects.presigned_url(
            key,
            expires_seconds=self.settings.integer(
                "AUDIO_URL_EXPIRES_SECONDS", minimum=60, maximum=MAX_PRESIGN_SECONDS
            ),
        )

    @property
    def public_base_url(self) -> str | None:
        """Where the published files are public: PUBLIC_BASE_URL, or locally the S3 server on
        loopback (the local engine's), path-style, which serves them with byte ranges."""
        base = self.settings.get("PUBLIC_BASE_URL")
        if base:
            return base.rstrip("/")
        if self.settings.stage in AWS_STAGES:
            return None
        endpoint = self.s3_client.meta.endpoint_url or ""
        if urlparse(endpoint).hostname in ("127.0.0.1", "localhost", "::1"):
            return f"{endpoint.rstrip('/')}/{self.settings.bucket}"
        return None

    @cached_property
    def admin(self):
        from chalicelib.admin import Admin

        # Late-bound lambdas: a seam replaced on this object after the admin was built still counts.
        return Admin(
            episodes=self.episodes,
            starter=lambda: self.starter(),
            audio_url=lambda key: self.audio_url(key),
            admission=lambda: (self.settings.integer("MAX_EPISODES_IN_FLIGHT", minimum=1),
                               self.settings.integer("ADMISSION_RETRY_AFTER_SECONDS", minimum=1)),
            objects=lambda: self.objects,
            # A server path is meaningful only on the machine that runs the local stage.
            allow_exports=self.settings.stage not in AWS_STAGES,
            clock=self.clock,
            history=lambda: self.execution_history,
            read_object=lambda key: self.objects.get(key),
        )

    def clock(self):
        """Now, in UTC: one seam, so tests and the CLI's ``tick --now`` can set the time."""
        from datetime import datetime, timezone

        return datetime.now(timezone.utc)

    @cached_property
    def objects(self):
        from chalicelib.stores.objects import S3ObjectStore

        return S3ObjectStore(self.s3_client, self.settings.bucket)

    def source_for(self, podcast: Podcast):
        """The content source a podcast's ``sources`` describe."""
        exports = [s for s in podcast.sources if isinstance(s, dict) and "export" in s]
        if exports:
            from chalicelib.sources.export import TelegramExportSource

            return TelegramExportSource(exports[0]["export"], chat=exports[0].get("chat"))
        channels = [s for s in podcast.sources if isinstance(s, str)]
        if channels:
            return self.telegram_source(channels)
        raise InvalidInput(f"podcast {podcast.id!r} has no usable content source")

    def telegram_source(self, channels: list[str]):
        """Live channels through Telethon. The client is made inside ``collect`` so a revoked
        session fails the CollectContent step with TelegramSessionInvalid, not the import."""
        from chalicelib.sources.telethon_source import TelethonSource, make_client

        settings = self.settings
        return TelethonSource(
            lambda: make_client(
                settings.require("TELEGRAM_API_ID"),
                settings.secret("TELEGRAM_API_HASH"),
                settings.secret("TELEGRAM_SESSION"),
            ),
            channels,
            max_per_channel=settings.integer("MAX_MESSAGES_PER_CHANNEL", minimum=1),
            max_per_episode=settings.integer("MAX_MESSAGES_PER_EPISODE", minimum=1),
            flood_wait_max_seconds=settings.integer("FLOOD_WAIT_MAX_SECONDS"),
            flood_wait_budget_seconds=settings.integer("FLOOD_WAIT_BUDGET_SECONDS"),
        )

    @property
    def bundle_limits(self) -> dict:
        return {
            "min_text_length": self.settings.integer("MIN_TEXT_LENGTH"),
            "blocked_domains": self.settings.blocked_domains,
            "max_messages": self.settings.integer("MAX_MESSAGES", minimum=1),
            "max_bytes": self.settings.integer("MAX_BUNDLE_BYTES", minimum=1000),
        }

    @cached_property
    def writer(self):
        name = self.settings.get("SCRIPT_WRITER")
        temperature = float(self.settings.get("SCRIPT_TEMPERATURE") or 0.7)
        style = self.settings.get("SCRIPT_STYLE")
        max_tokens = self.settings.integer("SCRIPT_MAX_OUTPUT_TOKENS", minimum=256)
        if name == "offline":
            from chalicelib.script.offline import OfflineScriptWriter

            return OfflineScriptWriter()
        if name == "gemini":
            from chalicelib.script.gemini import GeminiScriptWriter

            return GeminiScriptWriter.from_settings(
                self.settings.secret("GEMINI_API_KEY"), self.settings.require("GEMINI_SCRIPT_MODEL"),
                temperature=temperature, max_output_tokens=max_tokens, style=style,
            )
        if name == "bedrock":
            from chalicelib.script.bedrock import BedrockScriptWriter

            return BedrockScriptWriter.from_settings(
                self.settings.require("BEDROCK_MODEL_ID"), region=self.settings.region,
                temperature=temperature, max_tokens=max_tokens, style=style,
            )
        raise ConfigurationError("SCRIPT_WRITER must be offline, gemini or bedrock")

    # -- speech: chosen per language -----------------------------------------------------------
    def speech_provider(self, language: str, podcast: Podcast | None = None) -> str:
        """The podcast's own choice, else SPEECH_PROVIDER_<LANG>, else SPEECH_PROVIDER, else
        the stage's default for the language."""
        if podcast is not None and podcast.speech_provider:
            return podcast.speech_provider  # one of SPEECH_PROVIDERS: the stores check it
        name = (
            self.settings.get(f"SPEECH_PROVIDER_{language.upper()}")
            or self.settings.get("SPEECH_PROVIDER")
            or (DEFAULT_AWS_SPEECH[language] if self.settings.stage in AWS_STAGES else "espeak")
        )
        if name not in SPEECH_PROVIDERS:
            raise ConfigurationError(
                f"SPEECH_PROVIDER_{language.upper()} / SPEECH_PROVIDER must be one of {', '.join(SPEECH_PROVIDERS)}")
        return name

    def check_speech(self, language: str, podcast: Podcast | None = None) -> None:
        """Refuse, before any content is collected, a provider that cannot speak the language
        or is not configured."""
        name = self.speech_provider(language, podcast)
        chosen_by = (f"podcast {podcast.id!r} (speech_provider)" if podcast is not None and podcast.speech_provider
                     else f"SPEECH_PROVIDER_{language.upper()} / SPEECH_PROVIDER")
        if name == "espeak" and self.settings.stage in AWS_STAGES:
            # espeak-ng is an offline engine for laptops and tests; the Lambda bundle leaves it out.
            raise ConfigurationError(
                f"{chosen_by}: espeak is not deployed on AWS (stage {self.settings.stage}); "
                "use polly (English) or gemini")
        if name == "polly" and language != "en":
            raise InvalidInput(f"language {language!r} cannot be spoken by Amazon Polly (no Hebrew voice), "
                               f"chosen by {chosen_by}: use gemini")
        if name == "gemini":
            self.settings.secret("GEMINI_API_KEY")  # ConfigurationError naming the variable

    def speech_model(self, name: str) -> str:
        """What, besides the text, the role and the language, determines a segment's audio (part
        of its cache key): the engine or model, the speaking rate, and the voice each role maps
        to — the same values ``_build_speech`` uses — so a changed setting or voice table never
        reuses old audio."""
        if name == "espeak":
            from chalicelib.audio import espeak

            return f"espeak-ng rate={espeak.DEFAULT_RATE_WPM} voices={_table(espeak.VOICES)}"
        if name == "polly":
            from chalicelib.audio import polly

            return f"polly {self.settings.get('POLLY_ENGINE') or 'neural'} voices={_table(polly.DEFAULT_VOICES)}"
        from chalicelib.audio import gemini_tts

        return f"{self.settings.require('GEMINI_TTS_MODEL')} voices={_table(gemini_tts.DEFAULT_VOICES)}"

    def speech_plan(self, language: str, podcast: Podcast | None = None):
        """The provider for this podcast and language, its cache-key model and segment limit."""
        from chalicelib.audio.base import SpeechPlan
        from chalicelib.audio.segments import MAX_CHARS

        provider = self.speech_provider(language, podcast)
        return SpeechPlan(provider, self.speech_model(provider), MAX_CHARS[provider])

    def speech_for(self, language: str, provider: str | None = None):
        """The engine for ``provider`` (the one WriteScript chose and the script names), else
        the configured one for ``language``; built once per process."""
        name = provider or self.speech_provider(language)
        if name not in self._speech_engines:
            self._speech_engines[name] = self._build_speech(name)
        return self._speech_engines[name]

    def _build_speech(self, name: str):
        if name == "espeak":
            from chalicelib.audio.espeak import EspeakSpeech

            return EspeakSpeech()
        if name == "polly":
            import boto3

            from chalicelib.audio.polly import PollySpeech

            # Polly always reaches AWS, even next to the local engine (no endpoint override).
            return PollySpeech(boto3.client("polly", region_name=self.settings.region),
                               engine=self.settings.get("POLLY_ENGINE") or "neural")
        from chalicelib.audio.gemini_tts import GeminiSpeech, gemini_client

        return GeminiSpeech(gemini_client(self.settings.secret("GEMINI_API_KEY")),
                            model=self.settings.require("GEMINI_TTS_MODEL"))

    @cached_property
    def _speech_engines(self) -> dict:
        return {}


def _table(voices: dict) -> str:
    return json.dumps(voices, sort_keys=True, separators=(",", ":"))


_current: Services | None = None


def services() -> Services:
    """The process's services, built on first use (a Lambda container reuses them)."""
    global _current
    if _current is None:
        _current = Services()
    return _current


def use_services(new: Services | None) -> Services | None:
    """Install ``new`` as the process's services (local engine, tests); returns the previous."""
    global _current
    previous, _current = _current, new
    return previous
