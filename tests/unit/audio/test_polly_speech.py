"""PollySpeech against a real botocore Polly client, answered by botocore's Stubber.

moto's Polly answers with 8 zero bytes, not audio, so it could not show that the bytes Polly
sends end up as playable PCM; the Stubber returns real 16 kHz PCM in a real StreamingBody.
"""
from __future__ import annotations

import io
import math
from array import array

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ConnectTimeoutError
from botocore.response import StreamingBody
from botocore.stub import Stubber
from mutagen.mp3 import MP3
from urllib3.exceptions import ReadTimeoutError as Urllib3ReadTimeout

from chalicelib.audio.polly import MAX_BILLED_CHARS, PollySpeech, supports
from chalicelib.audio.quality import check_segment
from chalicelib.audio.render import render_mp3
from chalicelib.errors import AudioRejected, ConfigurationError, InvalidInput, SpeechThrottled
from chalicelib.script.base import Turn

TEXT = "Good morning, and welcome to the show."


def tone_pcm(seconds: float, rate: int = 16000, hz: float = 180.0) -> bytes:
    """s16le mono: a 180 Hz tone, loud enough to pass the quality gate."""
    count = int(seconds * rate)
    return array(
        "h", (int(9000 * math.sin(2 * math.pi * hz * i / rate)) for i in range(count))
    ).tobytes()


@pytest.fixture
def client():
    # Dummy credentials and no retries: nothing here may reach AWS or wait.
    return boto3.client(
        "polly",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )


def audio_response(pcm: bytes) -> dict:
    return {
        "AudioStream": StreamingBody(io.BytesIO(pcm), len(pcm)),
        "ContentType": "audio/pcm",
        "RequestCharacters": len(TEXT),
    }


def test_synthesize_sends_pcm_request_and_returns_the_audio_stream(client):
    pcm = tone_pcm(2.5)
    with Stubber(client) as stub:
        stub.add_response(
            "synthesize_speech",
            audio_response(pcm),
            expected_params={
                "Text": TEXT,
                "TextType": "text",
                "VoiceId": "Joanna",
                "Engine": "neural",
                "OutputFormat": "pcm",
                "SampleRate": "16000",
                "LanguageCode": "en-US",
            },
        )
        engine = PollySpeech(client)
        out = engine.synthesize(TEXT, voice="host_b", language="en")
        stub.assert_no_pending_responses()

    assert out == pcm
    assert engine.sample_rate == 16000
    assert check_segment(out, engine.sample_rate, TEXT) == pytest.approx(2.5)


def test_two_hosts_get_different_voices_and_settings_reach_the_request(client):
    engine = PollySpeech(
        client, voices={"host_a": "Stephen", "host_b": "Ruth", "narrator": "Stephen"},
        engine="generative", sample_rate=8000,
    )
    with Stubber(client) as stub:
        for voice_id in ("Stephen", "Ruth"):
            stub.add_response(
                "synthesize_speech",
                audio_response(tone_pcm(1.0, rate=8000)),
                expected_params={
                    "Text": TEXT, "TextType": "text", "VoiceId": voice_id,
                    "Engine": "generative", "OutputFormat": "pcm", "SampleRate": "8000",
                    "LanguageCode": "en-US",
                },
            )
        engine.synthesize(TEXT, voice="host_a", language="en")
        engine.synthesize(TEXT, voice="host_b", language="en")
        stub.assert_no_pending_responses()


def test_render_mp3_through_polly_gives_an_mp3_of_the_returned_audio(client, tmp_path):
    turns = [Turn("Dana", "Hello and welcome."), Turn("Omer", "Thanks, glad to be here.")]
    with Stubber(client) as stub:
        stub.add_response("synthesize_speech", audio_response(tone_pcm(1.5)))
        stub.add_response("synthesize_speech", audio_response(tone_pcm(2.0)))
        path = tmp_path / "episode.mp3"
        with open(path, "wb") as f:
            total, durations = render_mp3(
                turns, PollySpeech(client), f, language="en",
                voices={"Dana": "host_a", "Omer": "host_b"}, pause_seconds=0.5,
            )

    assert durations == pytest.approx([1.5, 2.0])
    assert MP3(path).info.length == pytest.approx(total) == pytest.approx(4.0)


def test_hebrew_is_refused_before_any_request(client):
    with Stubber(client) as stub:  # no response queued: a request would fail differently
        with pytest.raises(ConfigurationError, match="no Hebrew voice"):
            PollySpeech(client).synthesize("שלום לכולם", voice="host_a", language="he")
        stub.assert_no_pending_responses()


def test_supports_only_english():
    assert supports("en")
    assert not supports("he")
    assert not supports("fr")


def test_other_languages_and_unknown_voices_are_invalid_input(client):
    engine = PollySpeech(client)
    with pytest.raises(InvalidInput, match="language"):
        engine.synthesize(TEXT, voice="host_a", language="fr")
    with pytest.raises(InvalidInput, match="voice must be one of"):
        engine.synthesize(TEXT, voice="guest", language="en")


def test_text_over_polly_limit_is_a_programming_error(client):
    with Stubber(client) as stub:
        with pytest.raises(ValueError, match="split_script"):
            PollySpeech(client).synthesize(
                "word " * (MAX_BILLED_CHARS // 5) + "over", voice="host_a", language="en"
            )
        stub.assert_no_pending_responses()


def test_text_at_polly_limit_is_sent(client):
    text = ("a" * 9 + " ") * (MAX_BILLED_CHARS // 10)
    assert len(text) == MAX_BILLED_CHARS
    with Stubber(client) as stub:
        stub.add_response("synthesize_speech", audio_response(tone_pcm(0.5)))
        PollySpeech(client).synthesize(text, voice="host_a", language="en")
        stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    "code,status",
    [("ThrottlingException", 400), ("ServiceFailureException", 500), ("SomethingNew", 503)],
)
def test_throttling_and_service_failures_are_transient(client, code, status):
    with Stubber(client) as stub:
        stub.add_client_error("synthesize_speech", service_error_code=code,
                              service_message="Rate exceeded", http_status_code=status)
        with pytest.raises(SpeechThrottled, match=code):
            PollySpeech(client).synthesize(TEXT, voice="host_a", language="en")


@pytest.mark.parametrize(
    "code,status",
    [("EngineNotSupportedException", 400), ("AccessDeniedException", 403),
     ("UnrecognizedClientException", 403)],
)
def test_setting_and_permission_errors_are_configuration_errors(client, code, status):
    with Stubber(client) as stub:
        stub.add_client_error("synthesize_speech", service_error_code=code,
                              service_message="nope", http_status_code=status)
        with pytest.raises(ConfigurationError, match="POLLY_ENGINE"):
            PollySpeech(client).synthesize(TEXT, voice="host_a", language="en")


def test_a_refused_text_is_audio_rejected(client):
    with Stubber(client) as stub:
        stub.add_client_error("synthesize_speech", service_error_code="InvalidSsmlException",
                              service_message="bad", http_status_code=400)
        with pytest.raises(AudioRejected, match="InvalidSsmlException"):
            PollySpeech(client).synthesize(TEXT, voice="host_a", language="en")


def test_connect_timeout_is_transient(client):
    def refuse(**_kwargs):
        raise ConnectTimeoutError(endpoint_url="https://polly.us-east-1.amazonaws.com")

    client.meta.events.register("before-send.polly.SynthesizeSpeech", refuse)
    with pytest.raises(SpeechThrottled, match="ConnectTimeoutError"):
        PollySpeech(client).synthesize(TEXT, voice="host_a", language="en")


class _StalledStream(io.RawIOBase):
    """A response body whose socket times out after the headers arrived."""

    def read(self, *_args):
        raise Urllib3ReadTimeout(None, None, "Read timed out.")


def test_a_stream_that_times_out_mid_body_is_transient(client):
    with Stubber(client) as stub:
        stub.add_response(
            "synthesize_speech",
            {"AudioStream": StreamingBody(_StalledStream(), 32000), "ContentType": "audio/pcm"},
        )
        with pytest.raises(SpeechThrottled, match="ReadTimeoutError"):
            PollySpeech(client).synthesize(TEXT, voice="host_a", language="en")


@pytest.mark.parametrize("body", [b"", b"\x01\x02\x03"])
def test_empty_or_torn_audio_is_rejected(client, body):
    with Stubber(client) as stub:
        stub.add_response("synthesize_speech", audio_response(body))
        with pytest.raises(AudioRejected):
            PollySpeech(client).synthesize(TEXT, voice="host_a", language="en")


@pytest.mark.parametrize(
    "kwargs,setting",
    [({"engine": "turbo"}, "POLLY_ENGINE"), ({"sample_rate": 22050}, "sample rate")],
)
def test_bad_settings_fail_at_construction(client, kwargs, setting):
    with pytest.raises(ConfigurationError, match=setting):
        PollySpeech(client, **kwargs)
