"""The whole workflow on the real statemachine.asl.json, run by the local engine."""
from __future__ import annotations

import json
import tempfile
import threading

import pytest
from mutagen.mp3 import MP3

from chalicelib.errors import ContentNotReady, ScriptRejected, SourceUnavailable
from chalicelib.stores.objects import S3ObjectStore, StoredObject
from tests.doubles import s3_etag

HAPPY_STATES = [
    "IsolateInput",
    "ValidateEpisode",
    "ContentAlreadyCollected",
    "CollectContent",
    "WaitForContent",
    "MarkContentCollected",
    "MarkProcessing",
    "WriteScript",
    "SynthesizeSegments",
    "SynthesizeSegment",  # one per segment, in parallel: repeats collapsed by top_level()
    "StitchAudio",
    "MarkCompleted",
    "PublishFeed",
    "EpisodeCompleted",
]


class EventuallyVisibleObjects:
    """S3 as the old system met it: for the next ``hidden_heads`` HEAD requests after a content
    bundle is uploaded, its key still serves the object that was there before (an earlier
    upload, with another ETag), and a read in that time gets those stale bytes. Only a reader
    that names the upload's ETag can tell the two apart."""

    STALE = b'{"schema_version": 1, "messages": []}'

    def __init__(self, inner: S3ObjectStore, hidden_heads: int):
        self.inner, self.hidden_heads = inner, hidden_heads
        self.bucket = inner.bucket
        self.pending: dict[str, list] = {}  # key -> [body, content type, HEADs left to hide it]
        self.heads = 0
        self.early_reads = 0

    def put(self, key, body, *, content_type):
        if not key.endswith("content.json"):
            return self.inner.put(key, body, content_type=content_type)
        data = bytes(body) if isinstance(body, (bytes, bytearray)) else body.read()
        self.inner.put(key, self.STALE, content_type=content_type)
        self.pending[key] = [data, content_type, self.hidden_heads]
        return StoredObject(self.bucket, key, s3_etag(data), len(data))

    def head(self, key, *, etag=None):
        if key.endswith("content.json"):
            self.heads += 1
        pending = self.pending.get(key)
        if pending is not None:
            if pending[2] > 0:
                pending[2] -= 1
            else:  # visible from now on
                del self.pending[key]
                self.inner.put(key, pending[0], content_type=pending[1])
        return self.inner.head(key, etag=etag)

    def get(self, key, *, etag=None):
        if key in self.pending:
            self.early_reads += 1
        return self.inner.get(key, etag=etag)

    def download(self, key, fileobj):
        return self.inner.download(key, fileobj)

    def presigned_url(self, key, *, expires_seconds):
        return self.inner.presigned_url(key, expires_seconds=expires_seconds)


def top_level(states: list[str]) -> list[str]:
    """The states passed, with the Map's per-segment iterations collapsed to one entry."""
    return [s for i, s in enumerate(states) if s != "SynthesizeSegment" or states[i - 1] != s]


def invoked(engine) -> list[str]:
    return [name for name, _ in engine.invocations]


def run(engine, execution_input):
    description = engine.run(execution_input, timeout=120)
    return description, top_level(engine.states_passed(description["executionArn"]))


def test_episode_completes_through_every_state_in_order(engine, services, small_export, podcast_for):
    podcast = podcast_for(small_export)

    description, states = run(engine, {"podcast_id": podcast.id})

    assert description["status"] == "SUCCEEDED", (description.get("error"), description.get("cause"))
    assert states == HAPPY_STATES
    output = json.loads(description["output"])
    episode = services.episodes.get_episode(output["episode"]["episode_id"])
    assert episode.status == "completed"
    assert [h["to_status"] for h in services.episodes.history(episode.id)] == [
        "pending", "content_collected", "processing", "completed"]
    assert episode.execution_id == description["executionArn"]
    # The MP3 in S3 is real, and its duration is the one recorded.
    with tempfile.NamedTemporaryFile(suffix=".mp3") as audio:
        services.objects.download(episode.audio_key, audio)
        audio.flush()
        assert abs(MP3(audio.name).info.length - episode.duration_seconds) < 0.1
    assert episode.duration_seconds > 1
    transcript = services.objects.get(episode.transcript_key).decode("utf-8")
    assert all(": " in line for line in transcript.splitlines())


def test_race_regression_audio_waits_until_the_upload_is_visible(engine, services, small_export, podcast_for):
    podcast = podcast_for(small_export)
    services.objects = EventuallyVisibleObjects(services.objects, hidden_heads=3)

    description, states = run(engine, {"podcast_id": podcast.id})

    assert description["status"] == "SUCCEEDED", (description.get("error"), description.get("cause"))
    assert services.objects.heads == 4  # three misses retried with backoff, then found
    assert services.objects.early_reads == 0  # nobody read the bundle before it was visible
    calls = invoked(engine)
    assert calls.count("wait_for_content") == 4
    assert calls.index("write_script") > max(i for i, c in enumerate(calls) if c == "wait_for_content")


def test_object_that_never_appears_fails_the_episode_with_a_named_error(engine, services, small_export, podcast_for):
    podcast = podcast_for(small_export)
    services.objects = EventuallyVisibleObjects(services.objects, hidden_heads=10**6)

    description, states = run(engine, {"podcast_id": podcast.id})

    assert description["status"] == "FAILED"
    assert description["error"] == "ContentNotReady"
    assert "write_script" not in invoked(engine)
    assert states[-2:] == ["MarkFailed", "EpisodeFailed"]
    episode = services.episodes.get_episode(
        next(p for n, p in engine.invocations if n == "collect_content")["episode"]["episode_id"])
    assert episode.status == "failed"
    assert episode.error == "ContentNotReady"
    assert episode.failed_state == "WaitForContent"
    # Bounded as documented: the first HEAD and 6 retries, then the ASL's retrier gives up.
    assert invoked(engine).count("wait_for_content") == 7
    assert services.objects.early_reads == 0


def test_transient_source_error_is_retried_then_succeeds(engine, services, small_export, podcast_for):
    podcast = podcast_for(small_export)
    real_source_for = services.source_for
    failures = {"left": 2}

    class Flaky:
        def __init__(self, inner):
            self.inner = inner

        def collect(self, window):
            if failures["left"]:
                failures["left"] -= 1
                raise SourceUnavailable("telegram asked us to wait 60 s")
            return self.inner.collect(window)

    services.source_for = lambda p: Flaky(real_source_for(p))

    description, _ = run(engine, {"podcast_id": podcast.id})

    assert description["status"] == "SUCCEEDED", (description.get("error"), description.get("cause"))
    assert invoked(engine).count("collect_content") == 3


def test_permanent_error_marks_the_episode_failed_and_ends_in_fail(engine, services, small_export, podcast_for):
    podcast = podcast_for(small_export)

    class RefusingWriter:
        def write(self, bundle, **kwargs):
            raise ScriptRejected("turn 3 has no text")

    services.writer = RefusingWriter()

    description, states = run(engine, {"podcast_id": podcast.id})

    assert description["status"] == "FAILED"
    assert description["error"] == "ScriptRejected"
    assert description["cause"] == "turn 3 has no text"  # the message, never a stack trace
    assert invoked(engine).count("write_script") == 1  # permanent: not retried
    assert states[-2:] == ["MarkFailed", "EpisodeFailed"]
    episode_id = next(p for n, p in engine.invocations if n == "write_script")["episode"]["episode_id"]
    episode = services.episodes.get_episode(episode_id)
    assert (episode.status, episode.error, episode.cause, episode.failed_state) == (
        "failed", "ScriptRejected", "turn 3 has no text", "WriteScript")
    assert [h["to_status"] for h in services.episodes.history(episode_id)] == [
        "pending", "content_collected", "processing", "failed"]


def test_invalid_console_input_fails_with_invalid_input_and_writes_nothing(engine, services, small_export, podcast_for):
    podcast = podcast_for(small_export)

    description, states = run(engine, {"podcast_id": podcast.id, "days_back": -3})

    assert description["status"] == "FAILED"
    assert description["error"] == "InvalidInput"
    assert "days_back" in description["cause"]
    assert invoked(engine).count("validate_episode") == 1  # never retried
    assert "collect_content" not in invoked(engine)
    assert states == ["IsolateInput", "ValidateEpisode", "MarkFailed", "EpisodeFailed"]


def test_window_without_messages_skips_the_episode_as_nothing_new_and_the_execution_succeeds(
        engine, services, small_export, podcast_for):
    podcast = podcast_for(small_export)

    description, states = run(
        engine, {"podcast_id": podcast.id, "start_date": "2020-01-01", "end_date": "2020-01-31"})

    # Nothing new is no failure: no Fail state, so no failure alarm pages anyone.
    assert description["status"] == "SUCCEEDED", (description.get("error"), description.get("cause"))
    assert states == ["IsolateInput", "ValidateEpisode", "ContentAlreadyCollected", "CollectContent",
                      "MarkSkipped", "EpisodeSkipped"]
    episode_id = next(p for n, p in engine.invocations if n == "collect_content")["episode"]["episode_id"]
    episode = services.episodes.get_episode(episode_id)
    assert (episode.status, episode.outcome, episode.error) == ("skipped", "nothing_new", None)
    assert episode.cause == "no message in the window"
    assert episode.audio_key is None and episode.content_key is None
    history = services.episodes.history(episode_id)
    assert [h["to_status"] for h in history] == ["pending", "skipped"]
    assert history[-1]["detail"] == "nothing_new: no message in the window"
    assert "mark_failed" not in invoked(engine)


def test_hebrew_export_end_to_end(engine, services, podcast_for):
    from tests.conftest import EXAMPLES

    podcast = podcast_for(EXAMPLES / "hebrew-export" / "result.json", podcast_id="hebrew", language="he")

    description, _ = run(engine, {"podcast_id": podcast.id})

    assert description["status"] == "SUCCEEDED", (description.get("error"), description.get("cause"))
    episode_id = json.loads(description["output"])["episode"]["episode_id"]
    episode = services.episodes.get_episode(episode_id)
    assert episode.language == "he" and episode.duration_seconds > 1
    transcript = services.objects.get(episode.transcript_key).decode("utf-8")
    assert any("\u0590" <= ch <= "\u05ff" for ch in transcript)


class FailingTransitions:
    """The real store, except that moving an episode to ``to`` raises ``errors`` first, in
    order — how a Supabase 5xx (StoreUnavailable) or 4xx (StoreRejected) reaches a step."""

    def __init__(self, inner, to: str, errors: list[Exception]):
        self.inner, self.to, self.errors = inner, to, list(errors)

    def transition(self, episode_id, *, expected, to, **kwargs):
        if to == self.to and self.errors:
            raise self.errors.pop(0)
        return self.inner.transition(episode_id, expected=expected, to=to, **kwargs)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_store_unavailable_is_retried_with_backoff_then_succeeds(engine, services, small_export, podcast_for):
    from chalicelib.errors import StoreUnavailable

    podcast = podcast_for(small_export)
    services.episodes = FailingTransitions(
        services.episodes, "processing",
        [StoreUnavailable("supabase answered 503"), StoreUnavailable("supabase timed out")])

    description, _ = run(engine, {"podcast_id": podcast.id})

    assert description["status"] == "SUCCEEDED", (description.get("error"), description.get("cause"))
    assert invoked(engine).count("mark_processing") == 3


# A service-role-looking JWT; the loopback servers below echo it back in their complaints.
STORE_KEY = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.d29ya2Zsb3ctdGVzdC1zaWduYXR1cmU"
ECHOING_REFUSAL = '{"code": "PGRST301", "message": "JWT {authorization} rejected, signature {signature}"}'


def supabase_store_at(url: str):
    """The real Supabase store on ``url``. retry=False: supabase-py's own GET retries on 503
    sleep 1, 2 and 4 s of real time, which the engine's time compression cannot shorten."""
    from chalicelib.stores.supabase_store import SupabaseEpisodeStore

    return SupabaseEpisodeStore.from_settings(url, STORE_KEY, timeout=5.0, retry=False)


def everything_said_about(engine, description, episode=None) -> str:
    """Every text the execution produced about itself: its cause, its whole history, the
    episode's recorded error."""
    texts = [json.dumps(description, default=str),
             json.dumps(engine.history(description["executionArn"]), default=str)]
    if episode is not None:
        texts.append(json.dumps(episode.to_json()))
    return "\n".join(texts)


def test_store_rejection_fails_the_episode_with_a_reason_that_holds_no_key(engine, services, small_export, podcast_for):
    from chalicelib.errors import StoreRejected
    from tests.canned_http import CannedServer, leaked

    # The rejection the real Supabase store makes of a 400 whose body echoes the key.
    with CannedServer() as server, pytest.raises(StoreRejected) as caught:
        server.answer(400, '{"code": "PGRST204", "message": "column not found near {signature}"}')
        supabase_store_at(server.url).transition(
            "8d1f3c2e-0000-4000-8000-000000000000", expected="content_collected", to="processing")
    rejection = caught.value
    podcast = podcast_for(small_export)
    services.episodes = FailingTransitions(services.episodes, "processing", [rejection])

    description, _ = run(engine, {"podcast_id": podcast.id})

    assert description["status"] == "FAILED" and description["error"] == "StoreRejected"
    assert invoked(engine).count("mark_processing") == 1  # permanent: not retried
    episode_id = next(p for n, p in engine.invocations if n == "mark_processing")["episode"]["episode_id"]
    episode = services.episodes.get_episode(episode_id)
    assert (episode.status, episode.error, episode.failed_state) == ("failed", "StoreRejected", "MarkProcessing")
    assert "PGRST204" in episode.cause
    assert leaked(STORE_KEY, everything_said_about(engine, description, episode)) == []


@pytest.mark.parametrize(
    "status,error,validate_calls",
    [(401, "StoreRejected", 1),  # permanent: the first answer ends it
     (503, "StoreUnavailable", 5)],  # transient: ValidateEpisode's Retry, MaxAttempts 4
)
def test_the_real_supabase_store_refusing_fails_the_execution_with_no_key_in_any_cause(
    engine, services, status, error, validate_calls
):
    from tests.canned_http import CannedServer, leaked

    with CannedServer() as server:
        services.episodes = supabase_store_at(server.answer(status, ECHOING_REFUSAL))

        description, states = run(engine, {"podcast_id": "any-podcast"})
        # The reconciler (the execution-status event) reads the episode too: let it meet the
        # same server, and be done before the counts below.
        engine.wait_for_event(description["executionArn"])

    assert description["status"] == "FAILED" and description["error"] == error
    assert states == ["IsolateInput", "ValidateEpisode", "MarkFailed", "EpisodeFailed"]
    assert invoked(engine).count("validate_episode") == validate_calls
    assert f"HTTP {status}" in description["cause"]
    if status == 401:
        assert "SUPABASE_KEY" in description["cause"]
    podcast_reads = [path for _, path in server.answered if path.startswith("/rest/v1/podcasts")]
    assert len(podcast_reads) == validate_calls  # one request per attempt, none retried inside
    assert leaked(STORE_KEY, everything_said_about(engine, description)) == []


def test_speech_provider_that_cannot_speak_the_language_is_refused_before_collection(engine, services, podcast_for):
    from chalicelib.config import Settings
    from tests.conftest import EXAMPLES

    services.settings = Settings(environ={**services.settings.environ, "SPEECH_PROVIDER": "polly"})
    podcast = podcast_for(EXAMPLES / "hebrew-export" / "result.json", podcast_id="hebrew-polly", language="he")

    description, states = run(engine, {"podcast_id": podcast.id})

    assert description["status"] == "FAILED" and description["error"] == "InvalidInput"
    assert "Polly" in description["cause"]
    assert "collect_content" not in invoked(engine)


def test_a_podcasts_own_speech_provider_is_used_for_its_episodes(engine, services, small_export, podcast_for):
    """The deployment says Polly; this podcast says espeak: the podcast wins, end to end."""
    import dataclasses

    from chalicelib.config import Settings

    services.settings = Settings(environ={**services.settings.environ, "SPEECH_PROVIDER": "polly"})
    podcast = podcast_for(small_export, podcast_id="own-voice")
    services.episodes.put_podcast(dataclasses.replace(podcast, speech_provider="espeak"))

    description, states = run(engine, {"podcast_id": podcast.id})

    assert description["status"] == "SUCCEEDED", description.get("cause")
    episode_id = json.loads(description["output"])["episode"]["episode_id"]
    document = json.loads(services.objects.get(f"podcasts/{podcast.id}/{episode_id}/script.json"))
    assert document["provider"] == "espeak"
    segment_calls = [payload for name, payload in engine.invocations if name == "synthesize_segment"]
    assert segment_calls and {(p["provider"], p["language"]) for p in segment_calls} == {("espeak", "en")}


def test_a_podcasts_own_provider_that_cannot_speak_its_language_is_refused_before_collection(
        engine, services, podcast_for):
    import dataclasses

    from tests.conftest import EXAMPLES

    podcast = podcast_for(EXAMPLES / "hebrew-export" / "result.json", podcast_id="he-own-polly", language="he")
    services.episodes.put_podcast(dataclasses.replace(podcast, speech_provider="polly"))

    description, _ = run(engine, {"podcast_id": podcast.id})

    assert description["status"] == "FAILED" and description["error"] == "InvalidInput"
    assert "podcast 'he-own-polly' (speech_provider)" in description["cause"]
    assert "collect_content" not in invoked(engine)


class FailingSegments:
    """Real speech, except that the given segment texts fail for good while ``broken``."""

    def __init__(self, inner, broken_texts):
        self.inner, self.broken_texts, self.broken = inner, set(broken_texts), True
        self.sample_rate = inner.sample_rate
        self.spoken: list[str] = []

    def synthesize(self, text, *, voice, language):
        from chalicelib.errors import ConfigurationError

        if self.broken and text in self.broken_texts:
            raise ConfigurationError("voice not available")
        self.spoken.append(text)
        return self.inner.synthesize(text, voice=voice, language=language)


def test_a_segment_that_fails_for_good_fails_the_episode_and_a_retry_redoes_only_what_is_missing(
        engine, services, small_export, podcast_for):
    from chalice.test import Client

    from app import app
    from tests.conftest import API_KEY

    podcast = podcast_for(small_export)
    # The same export as a second podcast: a second episode of the first would start where its
    # first episode ended (a series never repeats a story), with nothing new.
    twin = podcast_for(small_export, podcast_id="twin-podcast")
    real = services.speech_for("en")
    flaky = None

    def speech_for(language, provider=None):
        return flaky

    headers = {"X-Api-Key": API_KEY, "Content-Type": "application/json"}
    with Client(app) as client:
        # A first run to learn the segments' texts, then a second episode that breaks on one.
        first = client.http.post(f"/podcasts/{podcast.id}/episodes", headers=headers, body="{}").json_body
        assert engine.wait(first["execution_arn"], timeout=120)["status"] == "SUCCEEDED"
        document = json.loads(services.objects.get(
            f"podcasts/{podcast.id}/{first['episode_id']}/script.json"))
        texts = [s["text"] for s in document["segments"]]
        flaky = FailingSegments(real, [texts[1]])
        services.speech_for = speech_for

        started = client.http.post(f"/podcasts/{twin.id}/episodes", headers=headers, body="{}").json_body
        description = engine.wait(started["execution_arn"], timeout=120)
        assert description["status"] == "FAILED"
        episode = services.episodes.get_episode(started["episode_id"])
        assert (episode.error, episode.failed_state) == ("ConfigurationError", "SynthesizeSegments")
        assert "segment 1 (espeak)" in episode.cause
        spoken_before = list(flaky.spoken)

        flaky.broken, flaky.spoken = False, []
        retried = client.http.post(f"/episodes/{started['episode_id']}/retry", headers=headers).json_body
        assert engine.wait(retried["execution_arn"], timeout=120)["status"] == "SUCCEEDED"

    # The segments made before the failure stayed in S3; the retry made only the missing ones
    # (the broken one, and any the Map had not reached when it stopped).
    assert spoken_before and texts[1] not in spoken_before and texts[1] in flaky.spoken
    assert set(flaky.spoken) == set(texts) - set(spoken_before)
    assert len(flaky.spoken) == len(set(flaky.spoken))
    assert services.episodes.get_episode(started["episode_id"]).status == "completed"


def episode_rows(services) -> list[str]:
    """Every episode id in the store's file, whatever its podcast."""
    import sqlite3

    with sqlite3.connect(services.settings.sqlite_path) as conn:
        return [r[0] for r in conn.execute("SELECT id FROM episodes")]


@pytest.mark.parametrize(
    "execution_input, problem",
    [
        ([], "not an array"),
        ("abc", "not a string"),
        (42, "not a number"),
        ({"podcast_id": "console", "failures": {"A": {"Error": "Spoofed"}}}, "'failures'"),
    ],
    ids=["array", "string", "number", "spoofed-failures"],
)
def test_malformed_console_input_fails_as_invalid_input_naming_the_problem_and_writes_nothing(
        engine, services, small_export, podcast_for, execution_input, problem):
    podcast_for(small_export, podcast_id="console")

    description, states = run(engine, execution_input)

    assert description["status"] == "FAILED"
    assert description["error"] == "InvalidInput", description.get("cause")
    assert problem in description["cause"]
    assert "Traceback" not in description["cause"] and "stackTrace" not in description["cause"]
    assert states == ["IsolateInput", "ValidateEpisode", "MarkFailed", "EpisodeFailed"]
    assert episode_rows(services) == []


def test_an_episode_key_in_the_input_cannot_make_mark_failed_write_to_that_episode(
        engine, services, small_export, podcast_for):
    from chalicelib.domain import Window

    podcast = podcast_for(small_export)
    victim, _ = services.episodes.create_episode(
        podcast_id=podcast.id, language="en", format="dialogue", window=Window(None, None))

    description, _ = run(engine, {"podcast_id": podcast.id, "episode": {"episode_id": victim.id}})

    assert (description["status"], description["error"]) == ("FAILED", "InvalidInput")
    assert "'episode'" in description["cause"]
    untouched = services.episodes.get_episode(victim.id)
    assert (untouched.status, untouched.error, untouched.execution_id) == ("pending", None, None)
    assert [h["to_status"] for h in services.episodes.history(victim.id)] == ["pending"]
    assert episode_rows(services) == [victim.id]


def test_the_documented_console_input_completes_an_episode_of_the_demo_podcast(engine, services):
    from podcasto_local.engine_server import demo_podcast
    from tests.conftest import EXAMPLES

    services.episodes.put_podcast(demo_podcast())
    console_input = json.loads((EXAMPLES / "console-input.json").read_text())
    assert console_input["podcast_id"] == demo_podcast().id  # what `make local` seeds

    description, states = run(engine, console_input)

    assert description["status"] == "SUCCEEDED", (description.get("error"), description.get("cause"))
    assert states == HAPPY_STATES
    episode = services.episodes.get_episode(json.loads(description["output"])["episode"]["episode_id"])
    assert episode.status == "completed" and episode.duration_seconds > 1


def test_time_scale_compresses_the_retry_backoff_the_asl_asks_for(engine, services, small_export, podcast_for):
    from tests.conftest import ROOT

    # Without jitter, so the unscaled backoff is a known sum, not a random one.
    asl = json.loads((ROOT / "statemachine.asl.json").read_text())
    (retrier,) = [r for r in asl["States"]["WaitForContent"]["Retry"] if r["ErrorEquals"] == ["ContentNotReady"]]
    del retrier["JitterStrategy"]
    arn = engine.deploy("podcasto-no-jitter", engine.definition_of(json.dumps(asl)))
    podcast = podcast_for(small_export)
    services.objects = EventuallyVisibleObjects(services.objects, hidden_heads=3)
    before = len(engine.backoff_sleeps)

    execution = engine.start_execution({"podcast_id": podcast.id}, state_machine_arn=arn)
    assert engine.wait(execution, timeout=120)["status"] == "SUCCEEDED"

    failed_attempts = [e for e in engine.history(execution) if e["type"] == "LambdaFunctionFailed"]
    assert len(failed_attempts) == 3
    # Asserted on what the engine slept, not on a wall clock a loaded machine stretches: the
    # ASL's backoff as written (1 + 2 + 4 s), each slept for time_scale of it.
    asked = [min(retrier["IntervalSeconds"] * retrier["BackoffRate"] ** n, retrier["MaxDelaySeconds"])
             for n in range(3)]
    assert asked == [1, 2, 4]
    assert engine.backoff_sleeps[before:] == [(s, s * engine.time_scale) for s in asked]
    assert all(slept <= wanted / 100 for wanted, slept in engine.backoff_sleeps[before:])


class ThrottledSpeech:
    """Real speech, except that the first segment it is asked for is answered with
    ``error`` the first ``times`` times (``silent``: with a segment of digital silence instead)."""

    def __init__(self, inner, *, times: int, silent: bool = False):
        self.inner, self.times, self.silent = inner, times, silent
        self.sample_rate = inner.sample_rate
        self.target: str | None = None
        self.refused = 0
        self._lock = threading.Lock()

    def synthesize(self, text, *, voice, language):
        from chalicelib.errors import SpeechThrottled

        with self._lock:  # the Map asks for segments in parallel
            if self.target is None:
                self.target = text
            refuse = text == self.target and self.refused < self.times
            if refuse:
                self.refused += 1
        if refuse and self.silent:
            return b"\x00\x00" * self.sample_rate * 5
        if refuse:
            raise SpeechThrottled("429 Too Many Requests")
        return self.inner.synthesize(text, voice=voice, language=language)


def batch_calls(engine) -> dict[tuple[int, ...], int]:
    """How many times SynthesizeSegment was invoked for each Map item: a batch of segment
    indexes (a retried iteration asks for its batch again; segments it made are cached)."""
    calls: dict[tuple[int, ...], int] = {}
    for name, payload in engine.invocations:
        if name == "synthesize_segment":
            batch = tuple(payload.get("segments", [payload.get("segment")]))
            calls[batch] = calls.get(batch, 0) + 1
    return calls


def test_a_throttled_segment_is_retried_with_backoff_and_the_episode_completes(
        engine, services, small_export, podcast_for):
    podcast = podcast_for(small_export)
    speech = ThrottledSpeech(services.speech_for("en"), times=4)
    services.speech_for = lambda language, provider=None: speech

    description, states = run(engine, {"podcast_id": podcast.id})

    assert description["status"] == "SUCCEEDED", (description.get("error"), description.get("cause"))
    assert states == HAPPY_STATES
    calls = batch_calls(engine)
    # The throttled segment's batch: 4 refusals, then spoken (up to 6 retries are allowed); each
    # other batch once.
    assert sorted(calls.values()) == [1] * (len(calls) - 1) + [5]
    assert speech.refused == 4


def test_a_segment_that_fails_the_quality_gates_is_retried_once_then_fails_the_episode(
        engine, services, small_export, podcast_for):
    podcast = podcast_for(small_export)
    speech = ThrottledSpeech(services.speech_for("en"), times=10**6, silent=True)
    services.speech_for = lambda language, provider=None: speech

    description, states = run(engine, {"podcast_id": podcast.id})

    assert (description["status"], description["error"]) == ("FAILED", "AudioRejected")
    assert states[-2:] == ["MarkFailed", "EpisodeFailed"]
    calls = batch_calls(engine)
    rejected = [batch for batch, count in calls.items() if count > 1]
    assert len(rejected) == 1 and calls[rejected[0]] == 2  # retried once
    episode_id = next(p for n, p in engine.invocations if n == "write_script")["episode"]["episode_id"]
    episode = services.episodes.get_episode(episode_id)
    assert (episode.status, episode.error, episode.failed_state) == ("failed", "AudioRejected", "SynthesizeSegments")
    assert any(f"segment {index} (espeak)" in episode.cause for index in rejected[0])
    assert "silent" in episode.cause



class SlowSpeech:
    """Real speech that takes ``seconds`` longer per segment."""

    def __init__(self, inner, seconds):
        self.inner, self.seconds = inner, seconds
        self.sample_rate = inner.sample_rate

    def synthesize(self, text, *, voice, language):
        import time

        time.sleep(self.seconds)
        return self.inner.synthesize(text, voice=voice, language=language)


def test_a_segment_task_timeout_reads_as_states_timeout_as_on_aws(engine, services, small_export, podcast_for):
    """moto re-raised a Map iteration's States.Timeout as a custom error name, which it refuses:
    the execution failed with 'States.Runtime: Custom Error Names MUST NOT begin with...'."""
    from tests.conftest import ROOT

    podcast = podcast_for(small_export)
    slow = SlowSpeech(services.speech_for("en"), 1.5)
    services.speech_for = lambda language, provider=None: slow
    asl = json.loads((ROOT / "statemachine.asl.json").read_text())
    asl["States"]["SynthesizeSegments"]["ItemProcessor"]["States"]["SynthesizeSegment"]["TimeoutSeconds"] = 1
    short = engine.deploy("podcasto-short-segments", engine.definition_of(json.dumps(asl)))

    arn = engine.start_execution({"podcast_id": podcast.id}, name="segment-timeout", state_machine_arn=short)
    description = engine.wait(arn, timeout=60)

    assert (description["status"], description["error"]) == ("FAILED", "States.Timeout")
    episodes = [e for e in (services.episodes.get_episode(i) for i in episode_rows(services)) if e]
    assert [(e.status, e.error, e.failed_state) for e in episodes] == [
        ("failed", "States.Timeout", "SynthesizeSegments")]
