"""Gemini speech (google-genai): English and Hebrew, 16-bit mono PCM at 24 kHz.

One ``generateContent`` call per segment with ``responseModalities: ["AUDIO"]`` and one prebuilt
voice. The answer carries the audio as a base64 ``inlineData`` part, which the SDK decodes to
bytes. Models have answered with two spellings of raw PCM, ``audio/L16;codec=pcm;rate=24000``
and ``audio/l16; rate=24000; channels=1``; a WAV container is accepted too, so a model that wraps
its PCM does not break the episode. Any other rate or layout is refused rather than played at the
wrong speed.

Failures. 429 and 5xx, timeouts, and an answer that holds no audio and no block reason are
``SpeechThrottled``: the last is a known intermittent failure of the TTS models (HTTP 200,
``finishReason: OTHER``, empty content; seen with Hebrew text) that the same request later
answers. A bad or unauthorised key is ``ConfigurationError`` naming ``GEMINI_API_KEY``, never its
value; a safety block is ``AudioRejected``. The SDK retries nothing unless the client is built
with ``retry_options``: the workflow's ASL Retry owns retries.

``google.genai`` is imported on first use: it costs ~0.5 s, which only the speech step should pay.
"""
from __future__ import annotations

import io
import wave
from collections.abc import Mapping

from chalicelib.audio.base import chosen_voice
from chalicelib.errors import AudioRejected, ConfigurationError, InvalidInput, SpeechThrottled

SAMPLE_RATE = 24000  # what every Gemini TTS model produces
LANGUAGES = ("en", "he")  # detected from the text by the model; no language code is sent
DEFAULT_VOICES = {"host_a": "Kore", "host_b": "Puck", "narrator": "Kore"}
# Google's GA TTS model as of November 2026; gemini-2.5-flash-preview-tts and
# gemini-3.1-flash-tts-preview are announced for shutdown on 2026-12-18. Names change often:
# GEMINI_TTS_MODEL overrides this.
DEFAULT_MODEL = "gemini-3.8-flash-tts"

_PCM_TYPES = {"audio/l16", "audio/pcm"}
_WAV_TYPES = {"audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave"}
_TRANSIENT_STATUS = {"RESOURCE_EXHAUSTED", "UNAVAILABLE", "INTERNAL", "DEADLINE_EXCEEDED"}
_TRANSIENT_CODES = {408, 429, 500, 502, 503, 504}
_KEY_REASONS = {"API_KEY_INVALID", "API_KEY_SERVICE_BLOCKED", "API_KEY_HTTP_REFERRER_BLOCKED"}
_BLOCKED_FINISH = {"SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION"}


def supports(language: str) -> bool:
    """Whether Gemini can speak a podcast in ``language``."""
    return language in LANGUAGES


def gemini_client(api_key: str, *, base_url: str | None = None):
    """A ``google.genai.Client`` for the Gemini Developer API (``base_url`` for tests)."""
    from google import genai
    from google.genai import types

    if not api_key:
        raise ConfigurationError("GEMINI_API_KEY is not set")
    options = types.HttpOptions(base_url=base_url) if base_url else None
    return genai.Client(api_key=api_key, http_options=options)


class GeminiSpeech:
    """SpeechEngine backed by a Gemini TTS model, one prebuilt voice per script role."""

    sample_rate = SAMPLE_RATE

    def __init__(
        self,
        client,
        *,
        model: str,
        voices: Mapping[str, str] = DEFAULT_VOICES,
        timeout_seconds: float = 120.0,
    ):
        if not model:
            raise ConfigurationError("GEMINI_TTS_MODEL is empty")
        if timeout_seconds <= 0:
            raise ConfigurationError(f"timeout_seconds must be positive, got {timeout_seconds}")
        self._client = client
        self.model = model
        self.voices = dict(voices)
        self.timeout_seconds = timeout_seconds

    def synthesize(self, text: str, *, voice: str, language: str) -> bytes:
        from google.genai import errors, types

        if not supports(language):
            raise InvalidInput(f"language must be one of {list(LANGUAGES)}, got {language!r}")
        voice_name = self.voice_name(voice)
        if not text.strip():
            raise AudioRejected("nothing to say: the text is empty")
        config = types.GenerateContentConfig(
            response_modalities=["AUDIO"],
            speech_config=types.SpeechConfig(
                voice_config=types.VoiceConfig(
                    prebuilt_voice_config=types.PrebuiltVoiceConfig(voice_name=voice_name)
                )
            ),
            # Bounds one request so a hung call ends as SpeechThrottled well inside the Lambda.
            http_options=types.HttpOptions(timeout=int(self.timeout_seconds * 1000)),
        )
        try:
            response = self._client.models.generate_content(
                model=self.model, contents=text, config=config
            )
        except errors.APIError as exc:
            raise _translate(exc, model=self.model, voice_name=voice_name) from exc
        except _transport_errors() as exc:
            raise SpeechThrottled(
                f"Gemini TTS did not answer in time: {type(exc).__name__}"
            ) from exc
        except errors.UnknownApiResponseError as exc:
            raise SpeechThrottled("Gemini TTS sent an unreadable answer") from exc
        return self._pcm(response, len(text))

    def voice_name(self, voice: str) -> str:
        """The Gemini prebuilt voice that plays ``voice`` (a script role, or a host's own voice)."""
        if chosen_voice(voice):
            return chosen_voice(voice)
        try:
            return self.voices[voice]
        except KeyError:
            raise InvalidInput(
                f"voice must be one of {sorted(self.voices)}, got {voice!r}"
            ) from None

    def _pcm(self, response, text_length: int) -> bytes:
        feedback = getattr(response, "prompt_feedback", None)
        if feedback is not None and feedback.block_reason:
            raise AudioRejected(f"Gemini TTS blocked the text ({_name(feedback.block_reason)})")
        candidates = response.candidates or []
        finish = _name(candidates[0].finish_reason) if candidates else None
        if finish in _BLOCKED_FINISH:
            raise AudioRejected(f"Gemini TTS refused the text (finishReason {finish})")
        blob = _audio_blob(candidates[0]) if candidates else None
        if blob is None:
            raise SpeechThrottled(
                f"Gemini TTS answered without audio for a {text_length}-character text"
                f" (finishReason {finish}); the same request usually succeeds on retry"
            )
        pcm = _decode(blob.data, blob.mime_type or "")
        if not pcm:
            raise AudioRejected(f"Gemini TTS returned no audio for a {text_length}-character text")
        return pcm


def _audio_blob(candidate):
    content = candidate.content
    for part in (content.parts or []) if content is not None else []:
        blob = part.inline_data
        if blob is not None and blob.data and (blob.mime_type or "").lower().startswith("audio/"):
            return blob
    return None


def _decode(data: bytes, mime_type: str) -> bytes:
    """s16le mono PCM at SAMPLE_RATE from an ``inlineData`` blob, or ``ConfigurationError``."""
    kind, *params = [piece.strip() for piece in mime_type.split(";")]
    kind = kind.lower()
    fields = {}
    for param in params:
        name, _, value = param.partition("=")
        fields[name.strip().lower()] = value.strip()
    if kind in _PCM_TYPES:
        try:
            rate = int(fields.get("rate", SAMPLE_RATE))
            channels = int(fields.get("channels", 1))
        except ValueError:
            raise ConfigurationError(f"Gemini TTS returned {mime_type!r}: unreadable rate") from None
        _check_layout(mime_type, rate=rate, channels=channels, width=2)
        if len(data) % 2:
            raise AudioRejected(f"Gemini TTS returned {len(data)} bytes: not whole 16-bit samples")
        return data
    if kind in _WAV_TYPES:
        try:
            with wave.open(io.BytesIO(data)) as reader:
                _check_layout(
                    mime_type,
                    rate=reader.getframerate(),
                    channels=reader.getnchannels(),
                    width=reader.getsampwidth(),
                )
                return reader.readframes(reader.getnframes())
        except (wave.Error, EOFError) as exc:
            raise AudioRejected(f"Gemini TTS returned an unreadable WAV: {exc}") from exc
    raise ConfigurationError(f"Gemini TTS returned {mime_type!r}, which is not PCM or WAV audio")


def _check_layout(mime_type: str, *, rate: int, channels: int, width: int) -> None:
    if (rate, channels, width) != (SAMPLE_RATE, 1, 2):
        raise ConfigurationError(
            f"Gemini TTS returned {mime_type!r} audio at {rate} Hz, {channels} channel(s),"
            f" {width * 8}-bit; expected {SAMPLE_RATE} Hz mono 16-bit (check GEMINI_TTS_MODEL)"
        )


def _translate(exc, *, model: str, voice_name: str) -> Exception:
    code = exc.code or 0
    status = exc.status or ""
    if code in _TRANSIENT_CODES or status in _TRANSIENT_STATUS:
        return SpeechThrottled(f"Gemini TTS is throttling or unavailable ({code} {status})")
    if code in (401, 403) or status in ("UNAUTHENTICATED", "PERMISSION_DENIED") or (
        _reasons(exc.details) & _KEY_REASONS
    ):
        # Only the status: the key itself never goes into a message or a log.
        return ConfigurationError(
            f"the Gemini API refused GEMINI_API_KEY ({code} {status}); check the key and its access"
        )
    if code == 404:
        return ConfigurationError(f"Gemini has no model {model!r}: check GEMINI_TTS_MODEL")
    if status == "FAILED_PRECONDITION":
        return ConfigurationError(
            f"the Gemini API refused the request ({code} {status}: {exc.message})"
        )
    return AudioRejected(
        f"Gemini TTS refused the text with voice {voice_name!r} ({code} {status}: {exc.message})"
    )


def _reasons(details) -> set[str]:
    """The ``ErrorInfo.reason`` values of a Google API error body."""
    error = details.get("error", details) if isinstance(details, dict) else {}
    entries = error.get("details", []) if isinstance(error, dict) else []
    return {entry.get("reason", "") for entry in entries if isinstance(entry, dict)}


def _name(value) -> str | None:
    """An SDK enum or a plain string as its wire name."""
    if value is None:
        return None
    return getattr(value, "name", None) or str(value)


def _transport_errors() -> tuple[type[BaseException], ...]:
    """The httpx-family transport errors (timeouts, refused or dropped connections).

    google-genai sends through ``httpx2`` (a fork under its own import name) or, when given an
    ``httpx`` client, through ``httpx``; their exception classes are unrelated, so both count.
    """
    found: list[type[BaseException]] = []
    for module_name in ("httpx2", "httpx"):
        try:
            module = __import__(module_name)
        except ImportError:
            continue
        found.append(module.TransportError)
    return tuple(found)
