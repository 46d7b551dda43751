"""GeminiSpeech through the real google-genai client, pointed at a loopback HTTP server.

The server answers ``models/{model}:generateContent`` with the Gemini API's JSON shape: the
audio as base64 in ``candidates[0].content.parts[0].inlineData`` with mimeType
``audio/L16;codec=pcm;rate=24000``, and errors as ``{"error": {code, message, status, details}}``.
"""
from __future__ import annotations

import base64
import io
import json
import math
import threading
import wave
from array import array
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chalicelib.audio.gemini_tts import GeminiSpeech, gemini_client, supports
from chalicelib.audio.quality import check_segment
from chalicelib.errors import AudioRejected, ConfigurationError, InvalidInput, SpeechThrottled

API_KEY = "AIzaSyTEST-not-a-real-key-0123456789abc"
MODEL = "gemini-test-tts"
TEXT = "Good morning, and welcome to the show."
HEBREW = "בוקר טוב וברוכים הבאים לתוכנית."
L16 = "audio/L16;codec=pcm;rate=24000"


def tone_pcm(seconds: float, rate: int = 24000) -> bytes:
    count = int(seconds * rate)
    return array(
        "h", (int(9000 * math.sin(2 * math.pi * 200 * i / rate)) for i in range(count))
    ).tobytes()


def audio_body(pcm: bytes, mime_type: str = L16) -> dict:
    return {
        "candidates": [{
            "content": {"role": "model", "parts": [
                {"inlineData": {"mimeType": mime_type, "data": base64.b64encode(pcm).decode()}}
            ]},
            "finishReason": "STOP",
            "index": 0,
        }],
        "usageMetadata": {
            "promptTokenCount": 12, "candidatesTokenCount": 60, "totalTokenCount": 72
        },
        "modelVersion": MODEL,
        "responseId": "test-response",
    }


def camel(value):
    """Keys in lowerCamelCase. google-genai sends some nested fields (speechConfig's) in
    snake_case; the API's proto3 JSON parser accepts either spelling, so compare one."""
    if isinstance(value, dict):
        return {
            key.split("_")[0] + "".join(w.title() for w in key.split("_")[1:]): camel(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [camel(item) for item in value]
    return value


def error_body(code: int, status: str, message: str, reason: str | None = None) -> dict:
    error = {"code": code, "message": message, "status": status}
    if reason:
        error["details"] = [{
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": reason,
            "domain": "googleapis.com",
            "metadata": {"service": "generativelanguage.googleapis.com"},
        }]
    return {"error": error}


class FakeGemini:
    """Loopback server: answers queued (status, body) pairs and records each request."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, dict]] = []
        self.requests: list[dict] = []
        self.release = threading.Event()  # a stalled answer waits on this
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", 0))
                fake.requests.append({
                    "path": self.path,
                    "headers": dict(self.headers),
                    "body": camel(json.loads(self.rfile.read(length) or b"{}")),
                })
                status, body = fake.answers.pop(0)
                if status == 0:  # stall: never answer in time
                    fake.release.wait(10)
                    return
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture(scope="module")
def fake():
    server = FakeGemini()
    server.thread.start()
    yield server
    server.release.set()
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def gemini(fake):
    fake.answers.clear()
    fake.requests.clear()
    return fake


@pytest.fixture
def engine(gemini) -> GeminiSpeech:
    return GeminiSpeech(gemini_client(API_KEY, base_url=gemini.url), model=MODEL)


def test_synthesize_sends_one_voice_audio_request_and_returns_pcm(gemini, engine):
    pcm = tone_pcm(2.5)
    gemini.answers.append((200, audio_body(pcm)))

    out = engine.synthesize(TEXT, voice="host_b", language="en")

    assert out == pcm
    assert engine.sample_rate == 24000
    assert check_segment(out, engine.sample_rate, TEXT) == pytest.approx(2.5)
    (request,) = gemini.requests
    assert request["path"].endswith(f"/models/{MODEL}:generateContent")
    assert request["headers"]["x-goog-api-key"] == API_KEY
    assert request["body"]["contents"] == [{"parts": [{"text": TEXT}], "role": "user"}]
    config = request["body"]["generationConfig"]
    assert config["responseModalities"] == ["AUDIO"]
    assert config["speechConfig"] == {"voiceConfig": {"prebuiltVoiceConfig": {"voiceName": "Puck"}}}


def test_hebrew_is_spoken_and_hosts_have_different_voices(gemini, engine):
    gemini.answers += [(200, audio_body(tone_pcm(2.0))), (200, audio_body(tone_pcm(2.0)))]

    engine.synthesize(HEBREW, voice="host_a", language="he")
    engine.synthesize(HEBREW, voice="host_b", language="he")

    texts = [r["body"]["contents"][0]["parts"][0]["text"] for r in gemini.requests]
    configs = [r["body"]["generationConfig"]["speechConfig"] for r in gemini.requests]
    voices = [c["voiceConfig"]["prebuiltVoiceConfig"]["voiceName"] for c in configs]
    assert texts == [HEBREW, HEBREW]
    assert voices == ["Kore", "Puck"]
    assert supports("he") and supports("en") and not supports("fr")


def test_the_other_l16_spelling_and_a_wav_container_are_read(gemini, engine):
    pcm = tone_pcm(1.0)
    wav = io.BytesIO()
    with wave.open(wav, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(24000)
        writer.writeframes(pcm)
    gemini.answers += [
        (200, audio_body(pcm, "audio/l16; rate=24000; channels=1")),
        (200, audio_body(wav.getvalue(), "audio/wav")),
    ]

    assert engine.synthesize(TEXT, voice="host_a", language="en") == pcm
    assert engine.synthesize(TEXT, voice="host_a", language="en") == pcm


@pytest.mark.parametrize(
    "mime_type",
    ["audio/L16;codec=pcm;rate=16000", "audio/l16; rate=24000; channels=2", "audio/mpeg",
     "audio/L16;rate=fast"],
)
def test_audio_in_another_layout_is_refused_not_played_at_the_wrong_speed(
    gemini, engine, mime_type
):
    gemini.answers.append((200, audio_body(tone_pcm(1.0), mime_type)))
    with pytest.raises(ConfigurationError, match="Gemini TTS returned"):
        engine.synthesize(TEXT, voice="host_a", language="en")


@pytest.mark.parametrize(
    "code,status",
    [(429, "RESOURCE_EXHAUSTED"), (503, "UNAVAILABLE"), (500, "INTERNAL")],
)
def test_throttling_and_server_errors_are_transient(gemini, engine, code, status):
    gemini.answers.append((code, error_body(code, status, "Resource has been exhausted")))
    with pytest.raises(SpeechThrottled, match=status):
        engine.synthesize(TEXT, voice="host_a", language="en")
    assert len(gemini.requests) == 1  # the SDK did not retry behind the workflow's back


@pytest.mark.parametrize(
    "code,status,reason",
    [(400, "INVALID_ARGUMENT", "API_KEY_INVALID"), (403, "PERMISSION_DENIED", None),
     (401, "UNAUTHENTICATED", None)],
)
def test_a_bad_key_is_a_configuration_error_that_never_shows_the_key(
    gemini, engine, code, status, reason
):
    gemini.answers.append(
        (code, error_body(code, status, "API key not valid. Please pass a valid API key.", reason))
    )
    with pytest.raises(ConfigurationError, match="GEMINI_API_KEY") as caught:
        engine.synthesize(TEXT, voice="host_a", language="en")
    assert API_KEY not in str(caught.value)
    assert API_KEY not in repr(caught.value.__cause__)


def test_an_unknown_model_names_the_setting(gemini, engine):
    gemini.answers.append((404, error_body(404, "NOT_FOUND", f"models/{MODEL} is not found")))
    with pytest.raises(ConfigurationError, match="GEMINI_TTS_MODEL"):
        engine.synthesize(TEXT, voice="host_a", language="en")


def test_an_answer_without_audio_is_transient(gemini, engine):
    # Seen from the TTS models: HTTP 200, finishReason OTHER, empty content; a retry succeeds.
    empty = {"candidates": [{"content": {}, "finishReason": "OTHER", "index": 0}]}
    gemini.answers.append((200, empty))
    with pytest.raises(SpeechThrottled, match="OTHER"):
        engine.synthesize(HEBREW, voice="host_a", language="he")


@pytest.mark.parametrize(
    "body",
    [
        {"candidates": [{"finishReason": "SAFETY", "index": 0}]},
        {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}},
    ],
)
def test_a_safety_block_is_audio_rejected(gemini, engine, body):
    gemini.answers.append((200, body))
    with pytest.raises(AudioRejected, match="SAFETY|PROHIBITED_CONTENT"):
        engine.synthesize(TEXT, voice="host_a", language="en")


def test_a_request_that_outlasts_the_timeout_is_transient(gemini):
    engine = GeminiSpeech(
        gemini_client(API_KEY, base_url=gemini.url), model=MODEL, timeout_seconds=0.2
    )
    gemini.answers.append((0, {}))
    with pytest.raises(SpeechThrottled, match="in time"):
        engine.synthesize(TEXT, voice="host_a", language="en")


def test_bad_role_language_or_text_fail_before_any_request(gemini, engine):
    with pytest.raises(InvalidInput, match="voice must be one of"):
        engine.synthesize(TEXT, voice="guest", language="en")
    with pytest.raises(InvalidInput, match="language"):
        engine.synthesize(TEXT, voice="host_a", language="fr")
    with pytest.raises(AudioRejected, match="empty"):
        engine.synthesize("  \n", voice="host_a", language="en")
    assert gemini.requests == []


def test_a_missing_key_or_model_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="GEMINI_API_KEY"):
        gemini_client("")
    with pytest.raises(ConfigurationError, match="GEMINI_TTS_MODEL"):
        GeminiSpeech(object(), model="")
