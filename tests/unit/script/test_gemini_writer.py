"""GeminiScriptWriter through the real google-genai client against a loopback HTTP server that
answers with the shapes the Gemini REST API (``POST /v1beta/models/{model}:generateContent``)
really returns: successes, a 429 quota error, a refused key, a server that never answers."""
from __future__ import annotations

import json
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chalicelib.errors import ConfigurationError, ScriptRejected, SpeechThrottled
from chalicelib.script.base import Host
from chalicelib.script.gemini import GeminiScriptWriter
from tests.doubles import LLM_NOTES

API_KEY = "AIzaSyTEST-not-a-real-key-0123456789"
MODEL = "gemini-2.5-flash"


class Gemini:
    """A loopback stand-in for generativelanguage.googleapis.com: replies are queued per test,
    requests are recorded."""

    def __init__(self):
        self.replies: list[tuple[int, dict]] = []
        self.requests: list[dict] = []
        self.release = threading.Event()  # a reply of status 0 waits on this (a hung server)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                outer.requests.append({
                    "path": self.path, "headers": dict(self.headers),
                    "body": json.loads(self.rfile.read(length) or b"{}"),
                })
                status, body = outer.replies.pop(0)
                if status == 0:
                    outer.release.wait(10)
                    return
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)

    def answer_turns(self, turns, *, fence=False, finish="STOP"):
        text = json.dumps({**LLM_NOTES, "turns": turns}, ensure_ascii=False)
        self.replies.append((200, _generated(f"```json\n{text}\n```" if fence else text, finish)))


def _generated(text: str, finish: str = "STOP") -> dict:
    """A generateContent success as the API returns it (gemini-2.5-flash, thinking on)."""
    return {
        "candidates": [{
            "content": {"parts": [{"text": text}], "role": "model"},
            "finishReason": finish,
            "index": 0,
        }],
        "usageMetadata": {
            "promptTokenCount": 412, "candidatesTokenCount": 187, "totalTokenCount": 951,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 412}],
            "thoughtsTokenCount": 352,
        },
        "modelVersion": MODEL,
        "responseId": "4-4GafrNGoq52roPk_XSuAY",
    }


QUOTA_EXCEEDED = {"error": {
    "code": 429,
    "message": "You exceeded your current quota, please check your plan and billing details. For more "
               "information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.",
    "status": "RESOURCE_EXHAUSTED",
    "details": [
        {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{
            "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
            "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
            "quotaDimensions": {"location": "global", "model": MODEL},
        }]},
        {"@type": "type.googleapis.com/google.rpc.Help", "links": [{
            "description": "Learn more about Gemini API quotas",
            "url": "https://ai.google.dev/gemini-api/docs/rate-limits",
        }]},
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "47s"},
    ],
}}

OVERLOADED = {"error": {"code": 503, "message": "The model is overloaded. Please try again later.",
                        "status": "UNAVAILABLE"}}

# A refused key is a 400, not a 401; the DebugInfo detail can echo the key back.
KEY_INVALID = {"error": {
    "code": 400,
    "message": "API key not valid. Please pass a valid API key.",
    "status": "INVALID_ARGUMENT",
    "details": [
        {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
         "domain": "googleapis.com", "metadata": {"service": "generativelanguage.googleapis.com"}},
        {"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US",
         "message": "API key not valid. Please pass a valid API key."},
        {"@type": "type.googleapis.com/google.rpc.DebugInfo", "detail": f"Invalid API key: {API_KEY}"},
    ],
}}

PERMISSION_DENIED = {"error": {"code": 403, "message": "Your API key was reported as leaked. Please use another API key.",
                               "status": "PERMISSION_DENIED"}}

MODEL_NOT_FOUND = {"error": {
    "code": 404,
    "message": f"models/{MODEL}-nope is not found for API version v1beta, or is not supported for generateContent.",
    "status": "NOT_FOUND"}}

PROMPT_TOO_LONG = {"error": {
    "code": 400,
    "message": "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).",
    "status": "INVALID_ARGUMENT"}}


def _msg(id, text):
    return {"id": id, "channel": "tech_news", "date": f"2026-11-2{id}T10:00:00Z", "text": text,
            "links": [], "reply_to": None, "forwarded_from": None, "edited": None, "views": None,
            "forwards": None, "media": None}


BUNDLE = {
    "schema_version": 1, "podcast_id": "tech", "title": None,
    "window": {"start": "2026-11-20T00:00:00Z", "end": "2026-11-27T00:00:00Z"},
    "messages": [_msg(1, "Python 3.14 is out."), _msg(2, "The meetup moves to Thursday.")],
}


@pytest.fixture
def gemini():
    server = Gemini()
    server.thread.start()
    yield server
    server.release.set()
    server.server.shutdown()
    server.server.server_close()


def _writer(gemini, *, model=MODEL, temperature=0.7, timeout_seconds=10.0):
    return GeminiScriptWriter.from_settings(
        API_KEY, model, temperature=temperature, base_url=gemini.url, timeout_seconds=timeout_seconds,
    )


def _write(writer, *, language="en", format="dialogue", hosts=(Host("Alex", "host"), Host("Maya", "expert")),
           target_seconds=None, **extra):
    return writer.write(BUNDLE, title="Tech Weekly", language=language, format=format, hosts=list(hosts),
                        target_seconds=target_seconds, **extra)


def test_a_dialogue_comes_back_parsed_validated_and_speakable(gemini):
    gemini.answer_turns([
        {"speaker": "Alex", "text": "Welcome to Tech Weekly, with Maya.", "message_ids": []},
        {"speaker": "Maya", "text": "Python 3.14 is out!", "message_ids": [1]},
        {"speaker": "Alex", "text": "And the meetup moves to Thursday.", "message_ids": [2]},
    ])
    script = _write(_writer(gemini))
    assert [(t.speaker, t.message_ids) for t in script.turns] == [("Alex", ()), ("Maya", (1,)), ("Alex", (2,))]
    assert script.turns[1].text == "Python three point one four is out!"
    assert [(s.name, s.voice) for s in script.speakers] == [("Alex", "host_a"), ("Maya", "host_b")]
    assert (script.language, script.format) == ("en", "dialogue")


def test_model_temperature_prompt_and_json_mode_reach_the_api_and_the_key_goes_in_a_header(gemini):
    gemini.answer_turns([{"speaker": "Alex", "text": "Hello.", "message_ids": [1]},
                         {"speaker": "Maya", "text": "Hi.", "message_ids": [2]}])
    _write(_writer(gemini, model="gemini-2.5-pro", temperature=0.2), target_seconds=120)
    (request,) = gemini.requests
    # google-genai 3.x calls the stable v1 API by default (v1beta before).
    assert request["path"] == "/v1/models/gemini-2.5-pro:generateContent"
    config = request["body"]["generationConfig"]
    assert config["temperature"] == 0.2
    assert config["responseMimeType"] == "application/json"
    system = request["body"]["systemInstruction"]["parts"][0]["text"]
    assert '"Alex" (host)' in system and "about 300 words" in system
    assert "[message 1]" in request["body"]["contents"][0]["parts"][0]["text"]
    assert request["headers"]["x-goog-api-key"] == API_KEY
    assert API_KEY not in request["path"]


def test_a_hebrew_narrator_script_in_a_json_fence(gemini):
    gemini.answer_turns([
        {"speaker": "נועה", "text": "ברוכים הבאים. יצאה גרסה 3 של התוכנה.", "message_ids": [1]},
        {"speaker": "נועה", "text": "והמפגש עובר ליום חמישי.", "message_ids": [2]},
    ], fence=True)
    script = _write(_writer(gemini), language="he", format="narrator", hosts=[Host("נועה", "host")])
    assert script.turns[0].text == "ברוכים הבאים. יצאה גרסה שלוש של התוכנה."
    assert [(s.name, s.voice) for s in script.speakers] == [("נועה", "narrator")]
    assert "the hosts speak Hebrew" in gemini.requests[0]["body"]["systemInstruction"]["parts"][0]["text"]


def test_an_answer_that_is_not_json_is_rejected(gemini):
    gemini.replies.append((200, _generated("Here's a fun episode! Alex: hi. Maya: hello.")))
    with pytest.raises(ScriptRejected, match="not JSON"):
        _write(_writer(gemini))


def test_an_unknown_speaker_is_rejected(gemini):
    gemini.answer_turns([{"speaker": "Narrator", "text": "Hello.", "message_ids": []}])
    with pytest.raises(ScriptRejected, match="unknown speaker 'Narrator'"):
        _write(_writer(gemini))


def test_an_answer_cut_off_at_the_token_limit_is_rejected(gemini):
    gemini.replies.append((200, _generated('{"turns": [{"speaker": "Alex", "text": "Hel', "MAX_TOKENS")))
    with pytest.raises(ScriptRejected, match="MAX_TOKENS"):
        _write(_writer(gemini))


def test_a_blocked_prompt_is_rejected(gemini):
    gemini.replies.append((200, {
        "promptFeedback": {"blockReason": "PROHIBITED_CONTENT"},
        "usageMetadata": {"promptTokenCount": 412, "totalTokenCount": 412},
        "modelVersion": MODEL, "responseId": "c2Ff0q3xJbWv1MkP8cS7kQE",
    }))
    with pytest.raises(ScriptRejected, match="PROHIBITED_CONTENT"):
        _write(_writer(gemini))


@pytest.mark.parametrize("status, body", [(429, QUOTA_EXCEEDED), (503, OVERLOADED)])
def test_quota_and_overload_are_transient(gemini, status, body):
    gemini.replies.append((status, body))
    with pytest.raises(SpeechThrottled, match=str(status)):
        _write(_writer(gemini))
    assert len(gemini.requests) == 1  # no hidden SDK retries: Step Functions owns backoff


def test_a_server_that_never_answers_is_transient(gemini):
    gemini.replies.append((0, {}))
    with pytest.raises(SpeechThrottled, match="did not answer in time"):
        _write(_writer(gemini, timeout_seconds=0.2))


@pytest.mark.parametrize("status, body", [(400, KEY_INVALID), (403, PERMISSION_DENIED)])
def test_a_refused_key_is_a_configuration_error_that_never_shows_the_key(gemini, status, body):
    gemini.replies.append((status, body))
    with pytest.raises(ConfigurationError) as caught:
        _write(_writer(gemini))
    assert "GEMINI_API_KEY" in str(caught.value)
    assert API_KEY not in "".join(traceback.format_exception(caught.value))


def test_an_unknown_model_names_the_setting(gemini):
    gemini.replies.append((404, MODEL_NOT_FOUND))
    with pytest.raises(ConfigurationError, match="GEMINI_SCRIPT_MODEL 'gemini-2.5-flash-nope'"):
        _write(_writer(gemini, model=f"{MODEL}-nope"))


def test_another_client_error_rejects_the_script_with_the_api_reason(gemini):
    gemini.replies.append((400, PROMPT_TOO_LONG))
    with pytest.raises(ScriptRejected, match="exceeds the maximum number of tokens"):
        _write(_writer(gemini))


def test_a_missing_key_is_caught_before_any_call(monkeypatch):
    monkeypatch.setenv("GOOGLE_API_KEY", API_KEY)  # the SDK's fallback must not be used
    with pytest.raises(ConfigurationError, match="GEMINI_API_KEY is not set"):
        GeminiScriptWriter.from_settings("", MODEL)


def test_the_house_style_and_the_output_cap_from_configuration_reach_the_api(gemini):
    gemini.answer_turns([{"speaker": "Alex", "text": "Hello.", "message_ids": [1]},
                         {"speaker": "Maya", "text": "Hi.", "message_ids": [2]}])
    writer = GeminiScriptWriter.from_settings(API_KEY, MODEL, base_url=gemini.url, max_output_tokens=3000,
                                              style="End every episode by asking listeners a question.")
    _write(writer)
    (request,) = gemini.requests
    assert request["body"]["generationConfig"]["maxOutputTokens"] == 3000
    system = request["body"]["systemInstruction"]["parts"][0]["text"]
    assert "House style: End every episode by asking listeners a question." in system
    # The house style comes after the rules, so it cannot loosen them; the contract stays last.
    assert system.index("Be accurate") < system.index("House style") < system.index("Answer with one JSON")


def test_a_podcasts_own_style_is_said_after_the_deployments(gemini):
    gemini.answer_turns([{"speaker": "Alex", "text": "Hello.", "message_ids": [1]},
                         {"speaker": "Maya", "text": "Hi.", "message_ids": [2]}])
    writer = GeminiScriptWriter.from_settings(API_KEY, MODEL, base_url=gemini.url, style="Keep it light.")
    _write(writer, style="Open with the weather in Haifa.")
    system = gemini.requests[0]["body"]["systemInstruction"]["parts"][0]["text"]
    assert "House style: Keep it light. Open with the weather in Haifa." in system
