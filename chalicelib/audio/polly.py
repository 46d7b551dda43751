"""Amazon Polly speech: English only, 16-bit mono PCM at 16 kHz.

Polly's ``pcm`` output is signed 16-bit little-endian mono with no header, exactly what the
``SpeechEngine`` seam returns, so no decoding is needed; 8000 and 16000 Hz are its only PCM rates.
Polly has no Hebrew voice: ``supports`` lets the validation step refuse a Hebrew podcast before
any content is collected, rather than after the script is written and paid for.

A ``SynthesizeSpeech`` request takes at most 3000 billed characters (6000 in all, counting SSML
tags). We send plain text, where every character is billed, so 3000 is the bound;
``segments.split_script`` keeps each request below it.

Retries belong to the workflow (ASL Retry on ``SpeechThrottled``), and to the botocore client's
own retry mode, which the caller configures when building ``client``.
"""
from __future__ import annotations

from collections.abc import Mapping

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError as BotocoreConnectionError,
    HTTPClientError,
    IncompleteReadError,
)

from chalicelib.audio.base import chosen_voice
from chalicelib.errors import AudioRejected, ConfigurationError, InvalidInput, SpeechThrottled

MAX_BILLED_CHARS = 3000  # per SynthesizeSpeech request, plain text
LANGUAGE_CODES = {"en": "en-US"}  # podcast language -> Polly LanguageCode
DEFAULT_VOICES = {"host_a": "Matthew", "host_b": "Joanna", "narrator": "Matthew"}
ENGINES = ("standard", "neural", "long-form", "generative")
PCM_SAMPLE_RATES = (8000, 16000)

_THROTTLED = {
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "ServiceFailureException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "InternalFailure",
    "RequestTimeout",
    "RequestTimeoutException",
}
# The request is fine but our settings are not: engine, voice, rate, credentials, permissions.
_MISCONFIGURED = {
    "EngineNotSupportedException",
    "LanguageNotSupportedException",
    "InvalidSampleRateException",
    "LexiconNotFoundException",
    "AccessDeniedException",
    "AccessDenied",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "MissingAuthenticationToken",
}
# Timeouts, dropped connections and cut streams: the same request may well succeed later.
_NETWORK_ERRORS = (HTTPClientError, BotocoreConnectionError, IncompleteReadError)


def supports(language: str) -> bool:
    """Whether Polly can speak a podcast in ``language`` ("en" | "he")."""
    return language in LANGUAGE_CODES


class PollySpeech:
    """SpeechEngine backed by Amazon Polly ``SynthesizeSpeech`` (PCM output)."""

    def __init__(
        self,
        client,
        *,
        voices: Mapping[str, str] = DEFAULT_VOICES,
        engine: str = "neural",
        sample_rate: int = 16000,
    ):
        if engine not in ENGINES:
            raise ConfigurationError(f"POLLY_ENGINE must be one of {list(ENGINES)}, got {engine!r}")
        if sample_rate not in PCM_SAMPLE_RATES:
            raise ConfigurationError(
                f"Polly PCM sample rate must be one of {list(PCM_SAMPLE_RATES)}, got {sample_rate}"
            )
        self._client = client
        self.voices = dict(voices)
        self.engine = engine
        self.sample_rate = sample_rate

    def synthesize(self, text: str, *, voice: str, language: str) -> bytes:
        language_code = self._language_code(language)
        voice_id = self.voice_id(voice)
        if not text.strip():
            raise AudioRejected("nothing to say: the text is empty")
        if len(text) > MAX_BILLED_CHARS:
            # A programming error upstream: the segmenter must keep requests below the limit.
            raise ValueError(
                f"text of {len(text)} characters exceeds Polly's {MAX_BILLED_CHARS}-character"
                " request limit; split it with segments.split_script first"
            )
        try:
            response = self._client.synthesize_speech(
                Text=text,
                TextType="text",
                VoiceId=voice_id,
                Engine=self.engine,
                OutputFormat="pcm",
                SampleRate=str(self.sample_rate),
                LanguageCode=language_code,
            )
            body = response["AudioStream"]
            try:
                # Not ``with body as stream``: StreamingBody hands ``with`` its raw urllib3
                # stream, whose reads skip botocore's timeout translation and length check.
                pcm = body.read()
            finally:
                body.close()
        except ClientError as exc:
            raise _translate(exc, voice_id=voice_id, engine=self.engine) from exc
        except _NETWORK_ERRORS as exc:
            raise SpeechThrottled(
                f"Amazon Polly did not answer in time: {type(exc).__name__}"
            ) from exc
        except BotoCoreError as exc:
            raise ConfigurationError(f"Amazon Polly client failed: {type(exc).__name__}") from exc
        if not pcm:
            raise AudioRejected(f"Amazon Polly returned no audio for a {len(text)}-character text")
        if len(pcm) % 2:
            raise AudioRejected(f"Amazon Polly returned {len(pcm)} bytes: not whole 16-bit samples")
        return pcm

    def voice_id(self, voice: str) -> str:
        """The Polly VoiceId that plays ``voice`` (a script role, or a host's own voice)."""
        if chosen_voice(voice):
            return chosen_voice(voice)
        try:
            return self.voices[voice]
        except KeyError:
            raise InvalidInput(
                f"voice must be one of {sorted(self.voices)}, got {voice!r}"
            ) from None

    @staticmethod
    def _language_code(language: str) -> str:
        if language == "he":
            raise ConfigurationError(
                "Amazon Polly has no Hebrew voice; set SPEECH_PROVIDER=gemini (or espeak for"
                " tests) for Hebrew podcasts"
            )
        try:
            return LANGUAGE_CODES[language]
        except KeyError:
            raise InvalidInput(
                f"language must be one of {sorted(LANGUAGE_CODES)} for Amazon Polly,"
                f" got {language!r}"
            ) from None


def _translate(exc: ClientError, *, voice_id: str, engine: str) -> Exception:
    error = exc.response.get("Error", {})
    code = error.get("Code", "")
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    # Polly's messages name the voice, engine or limit; they never echo credentials.
    detail = f"{code}: {error.get('Message', '')}".strip(": ")
    if code in _THROTTLED or status == 429 or status >= 500:
        return SpeechThrottled(f"Amazon Polly is throttling or unavailable ({detail})")
    if code in _MISCONFIGURED or status in (401, 403):
        return ConfigurationError(
            f"Amazon Polly refused voice {voice_id!r} with engine {engine!r}: {detail}"
            " (check POLLY_ENGINE, the voice map and the role's polly:SynthesizeSpeech permission)"
        )
    return AudioRejected(f"Amazon Polly refused the text ({detail})")
