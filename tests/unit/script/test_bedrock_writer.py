"""BedrockScriptWriter on a real ``bedrock-runtime`` client, with botocore's Stubber answering
in the real Converse response shape (the Stubber checks both request and response against the
service model)."""
from __future__ import annotations

import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ReadTimeoutError
from botocore.stub import ANY, Stubber

from chalicelib.errors import ConfigurationError, ScriptRejected, SpeechThrottled
from chalicelib.script.base import Host
from chalicelib.script.bedrock import BedrockScriptWriter
from tests.doubles import LLM_NOTES

MODEL_ID = "us.anthropic.claude-sonnet-4-20250514-v1:0"


def _msg(id, text):
    return {"id": id, "channel": "tech_news", "date": f"2026-11-2{id}T10:00:00Z", "text": text,
            "links": [], "reply_to": None, "forwarded_from": None, "edited": None, "views": None,
            "forwards": None, "media": None}


BUNDLE = {
    "schema_version": 1, "podcast_id": "tech", "title": None,
    "window": {"start": "2026-11-20T00:00:00Z", "end": "2026-11-27T00:00:00Z"},
    "messages": [_msg(1, "Python 3.14 is out."), _msg(2, "The meetup moves to Thursday.")],
}


def _converse(text: str, stop_reason: str = "end_turn") -> dict:
    """A Converse response as Bedrock returns it."""
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": stop_reason,
        "usage": {"inputTokens": 512, "outputTokens": 236, "totalTokens": 748},
        "metrics": {"latencyMs": 4183},
    }


def _turns(turns, *, fence=False) -> str:
    text = json.dumps({**LLM_NOTES, "turns": turns}, ensure_ascii=False)
    return f"```json\n{text}\n```" if fence else text


@pytest.fixture
def client():
    return boto3.client("bedrock-runtime", region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture
def stub(client):
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def _write(client, *, language="en", format="dialogue", hosts=(Host("Alex", "host"), Host("Maya", "expert")),
           target_seconds=None, **options):
    writer = BedrockScriptWriter(client, model_id=MODEL_ID, **options)
    return writer.write(BUNDLE, title="Tech Weekly", language=language, format=format, hosts=list(hosts),
                        target_seconds=target_seconds)


def test_a_dialogue_with_model_temperature_and_max_tokens_passed_through(client, stub):
    stub.add_response("converse", _converse(_turns([
        {"speaker": "Alex", "text": "Welcome to Tech Weekly.", "message_ids": []},
        {"speaker": "Maya", "text": "Python 3.14 is out.", "message_ids": [1]},
        {"speaker": "Alex", "text": "And the meetup moves to Thursday.", "message_ids": [2]},
    ])), expected_params={
        "modelId": MODEL_ID,
        "messages": [{"role": "user", "content": [{"text": ANY}]}],
        "system": [{"text": ANY}],
        "inferenceConfig": {"temperature": 0.4, "maxTokens": 4000},
    })
    script = _write(client, temperature=0.4, max_tokens=4000)
    assert [(t.speaker, t.message_ids) for t in script.turns] == [("Alex", ()), ("Maya", (1,)), ("Alex", (2,))]
    assert script.turns[1].text == "Python three point one four is out."
    assert [(s.name, s.voice) for s in script.speakers] == [("Alex", "host_a"), ("Maya", "host_b")]


def test_the_prompt_goes_in_system_and_user_blocks(client):
    seen = {}

    def capture(params, **_):
        seen.update(params)

    client.meta.events.register("provide-client-params.bedrock-runtime.Converse", capture)
    with Stubber(client) as stub:
        stub.add_response("converse", _converse(_turns([{"speaker": "Alex", "text": "Hi.", "message_ids": [1]}])))
        _write(client, target_seconds=60)
    assert '"Alex" (host)' in seen["system"][0]["text"] and "about 150 words" in seen["system"][0]["text"]
    assert "[message 2]" in seen["messages"][0]["content"][0]["text"]


def test_a_hebrew_episode_is_asked_for_in_hebrew_words_at_hebrew_pace(client):
    # Hebrew words carry their prefixes: a minute holds 128 of them, not English's 150.
    seen = {}
    client.meta.events.register("provide-client-params.bedrock-runtime.Converse",
                                lambda params, **_: seen.update(params))
    with Stubber(client) as stub:
        stub.add_response("converse", _converse(_turns([
            {"speaker": "נועה", "text": "ברוכים הבאים.", "message_ids": [1]}])))
        _write(client, target_seconds=60, language="he", format="narrator", hosts=[Host("נועה", "host")])
    assert "about 128 words" in seen["system"][0]["text"]
    assert "read at 128 words a minute" in seen["system"][0]["text"]


def test_a_hebrew_narrator_script_in_a_fence(client, stub):
    stub.add_response("converse", _converse(_turns([
        {"speaker": "נועה", "text": "ברוכים הבאים. יצאה גרסה 3 של התוכנה.", "message_ids": [1]},
    ], fence=True)))
    script = _write(client, language="he", format="narrator", hosts=[Host("נועה", "host")])
    assert script.turns[0].text == "ברוכים הבאים. יצאה גרסה שלוש של התוכנה."
    assert [(s.name, s.voice) for s in script.speakers] == [("נועה", "narrator")]


def test_malformed_json_is_rejected(client, stub):
    stub.add_response("converse", _converse("Here is the script:\n\nAlex: Welcome!"))
    with pytest.raises(ScriptRejected, match="not JSON"):
        _write(client)


def test_an_unknown_speaker_is_rejected(client, stub):
    stub.add_response("converse", _converse(_turns([{"speaker": "Host", "text": "Hello.", "message_ids": []}])))
    with pytest.raises(ScriptRejected, match="unknown speaker 'Host'"):
        _write(client)


def test_an_answer_cut_off_at_max_tokens_is_rejected(client, stub):
    stub.add_response("converse", _converse('{"turns": [{"speaker": "Alex", "te', "max_tokens"))
    with pytest.raises(ScriptRejected, match="max_tokens"):
        _write(client)


@pytest.mark.parametrize("code, status", [
    ("ThrottlingException", 429), ("ServiceUnavailableException", 503), ("ModelTimeoutException", 408),
])
def test_throttling_and_timeouts_are_transient(client, stub, code, status):
    stub.add_client_error("converse", service_error_code=code, http_status_code=status,
                          service_message="Too many requests, please wait before trying again.")
    with pytest.raises(SpeechThrottled, match=code):
        _write(client)


def test_a_read_timeout_is_transient():
    # botocore's own retries off, as from_settings builds it: no backoff sleeps in the test.
    client = boto3.client("bedrock-runtime", region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing", config=Config(retries={"max_attempts": 1}))

    def hang(**_):
        raise ReadTimeoutError(endpoint_url="https://bedrock-runtime.us-east-1.amazonaws.com")

    client.meta.events.register("before-send.bedrock-runtime.Converse", hang)
    with pytest.raises(SpeechThrottled, match="ReadTimeoutError"):
        _write(client)


def test_no_model_access_is_a_configuration_error(client, stub):
    stub.add_client_error("converse", service_error_code="AccessDeniedException", http_status_code=403,
                          service_message="You don't have access to the model with the specified model ID.")
    with pytest.raises(ConfigurationError, match="BEDROCK_MODEL_ID .* AccessDeniedException"):
        _write(client)


def test_a_refused_request_rejects_the_script_with_the_reason(client, stub):
    stub.add_client_error("converse", service_error_code="ValidationException", http_status_code=400,
                          service_message="Input is too long for requested model.")
    with pytest.raises(ScriptRejected, match="Input is too long"):
        _write(client)


def test_from_settings_needs_a_model_id():
    with pytest.raises(ConfigurationError, match="BEDROCK_MODEL_ID is not set"):
        BedrockScriptWriter.from_settings("", region="us-east-1")


def test_from_settings_builds_a_client_for_the_region_with_a_long_read_timeout():
    writer = BedrockScriptWriter.from_settings(MODEL_ID, region="eu-central-1", read_timeout_seconds=240)
    assert writer._client.meta.region_name == "eu-central-1"
    assert writer._client.meta.config.read_timeout == 240


def test_a_reasoning_block_before_the_answer_is_skipped(client, stub):
    response = _converse(_turns([{"speaker": "Alex", "text": "Hello.", "message_ids": [1]}]))
    response["output"]["message"]["content"].insert(0, {"reasoningContent": {"reasoningText": {
        "text": "Two messages; open with Alex.", "signature": "EqoBCkgIARABGAIiQL"}}})
    stub.add_response("converse", response)
    assert _write(client).turns[0].text == "Hello."


def test_the_house_style_reaches_the_system_block(client):
    seen = {}
    client.meta.events.register("provide-client-params.bedrock-runtime.Converse",
                                lambda params, **_: seen.update(params))
    with Stubber(client) as stub:
        stub.add_response("converse", _converse(_turns([{"speaker": "Alex", "text": "Hi.", "message_ids": [1]}])))
        _write(client, style="Keep it light.")
    assert "House style: Keep it light." in seen["system"][0]["text"]


def test_a_huge_window_reaches_the_model_as_ranked_whole_stories_within_its_budget(client):
    """5,000 long messages: the prompt holds the best stories up to twice a 2-minute target,
    never the window; a message the model never saw cannot be cited; the rest is listed."""
    import random

    rng = random.Random(1)
    words = "council budget harbour festival library station market election storm bridge".split()
    messages = [
        dict(_msg(1, ""), id=i, date=f"2026-11-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z",
             text=" ".join(rng.choice(words) for _ in range(120)),
             views=10**6 if i == 777 else i % 1000)
        for i in range(1, 5001)
    ]
    bundle = {**BUNDLE, "messages": messages}
    seen = {}

    def capture(params, **_):
        seen.update(params)

    client.meta.events.register("provide-client-params.bedrock-runtime.Converse", capture)
    writer = BedrockScriptWriter(client, model_id=MODEL_ID)
    with Stubber(client) as stub:
        stub.add_response("converse", _converse(_turns([
            {"speaker": "Alex", "text": "Welcome to Tech Weekly.", "message_ids": [999]}])))
        stub.add_response("converse", _converse(_turns([
            {"speaker": "Alex", "text": "Welcome to Tech Weekly.", "message_ids": []}])))
        with pytest.raises(ScriptRejected, match="not in the bundle: 999"):
            writer.write(bundle, title="Tech Weekly", language="en", format="dialogue", hosts=[],
                         target_seconds=120)
        script = writer.write(bundle, title="Tech Weekly", language="en", format="dialogue", hosts=[],
                              target_seconds=120)
    user = seen["messages"][0]["content"][0]["text"]
    shown = user.count("[message ")
    # Two minutes read at 150 words a minute is 300 words; twice that is the material budget.
    assert 1 <= shown <= 5 and len(user.split()) < 2 * 300 + 200
    assert user.index("[message 777]") > 0  # the most-viewed story is among them
    selection = script.selection
    assert len(selection["chosen"]) == shown
    assert len(selection["left_out"]) == 5000 - shown
    assert {e["reason"] for e in selection["left_out"]} <= {"over_length", "near_duplicate"}
    assert selection["enough_material"] is True
