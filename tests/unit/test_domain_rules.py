"""The episode's vocabulary: which status moves are legal, what an id may be, where objects live.

The legal moves are written out here as the README states them, not read from
chalicelib.domain, so a move added there fails this test.
"""
import hashlib
import uuid

import pytest

from chalicelib.domain import (
    audio_key,
    captions_key,
    content_key,
    is_legal_transition,
    media_key,
    new_episode_id,
    script_key,
    segment_audio_key,
    transcript_json_key,
    transcript_key,
    validate_choice,
    validate_episode_id,
    validate_podcast_id,
)
from chalicelib.errors import InvalidInput

STATUSES = ["pending", "content_collected", "processing", "completed", "failed", "skipped"]
LEGAL = {
    ("pending", "skipped"),
    ("pending", "content_collected"),
    ("content_collected", "processing"),
    ("processing", "completed"),
    ("pending", "failed"),
    ("content_collected", "failed"),
    ("processing", "failed"),
}


@pytest.mark.parametrize("current, to", sorted((a, b) for a in STATUSES for b in STATUSES))
def test_status_moves_forward_only_and_a_retry_only_revives_a_failed_episode(current, to):
    assert is_legal_transition(current, to) == ((current, to) in LEGAL)
    assert is_legal_transition(current, to, retry=True) == ((current, to) == ("failed", "pending"))


@pytest.mark.parametrize("value", ["a", "demo", "Tech-News_2026", "9", "x" * 64])
def test_a_podcast_id_of_letters_digits_dash_and_underscore_is_accepted(value):
    assert validate_podcast_id(value) == value


@pytest.mark.parametrize(
    "value",
    ["", "a/../b", "../etc", "a.b", "a/b", ".hidden", "-a", "_a", "a b", "x" * 65, "שלום", "a\n", 5, None],
)
def test_a_podcast_id_that_could_leave_its_s3_prefix_is_invalid_input_naming_the_field(value):
    # Podcast ids become S3 key parts: a dot or a slash could reach another podcast's objects.
    with pytest.raises(InvalidInput, match="^source_podcast must be 1-64 characters"):
        validate_podcast_id(value, "source_podcast")


def test_a_podcast_ids_error_names_podcast_id_by_default():
    with pytest.raises(InvalidInput, match="^podcast_id must"):
        validate_podcast_id("a/b")


def test_an_episode_id_is_a_uuid_in_canonical_lower_case():
    value = "6F1C1D7E-8A51-4A8E-9D0E-70646361737F"
    assert validate_episode_id(value) == value.lower()
    assert validate_episode_id("{6f1c1d7e-8a51-4a8e-9d0e-70646361737f}") == value.lower()


@pytest.mark.parametrize("value", ["not-a-uuid", "", "6f1c1d7e-8a51-4a8e-9d0e", 42, None])
def test_anything_else_as_an_episode_id_is_invalid_input_naming_the_field(value):
    with pytest.raises(InvalidInput, match="^the_episode must be a UUID string$"):
        validate_episode_id(value, "the_episode")


def test_new_episode_ids_are_fresh_uuids():
    first, second = new_episode_id(), new_episode_id()
    assert first != second and str(uuid.UUID(first)) == first


def test_a_choice_must_be_one_of_the_choices_and_the_error_lists_them():
    assert validate_choice("en", "language", ("en", "he")) == "en"
    with pytest.raises(InvalidInput, match="^language must be one of en, he$"):
        validate_choice("fr", "language", ("en", "he"))


def test_each_episode_object_lives_under_its_podcast_and_episode():
    prefix = "podcasts/pod/ep"
    assert content_key("pod", "ep") == f"{prefix}/content.json"
    assert script_key("pod", "ep") == f"{prefix}/script.json"
    assert audio_key("pod", "ep") == f"{prefix}/audio/podcast.mp3"
    assert transcript_key("pod", "ep") == f"{prefix}/audio/transcript.txt"
    assert transcript_json_key("pod", "ep") == f"{prefix}/audio/transcript.json"
    assert captions_key("pod", "ep") == f"{prefix}/audio/captions.vtt"


def test_a_photo_key_keeps_a_safe_channel_label_and_marks_a_replaced_one_with_a_digest():
    assert media_key("pod", "ep", "@news", 7) == "podcasts/pod/ep/media/news-7.jpg"
    assert media_key("pod", "ep", "-1001234", 8) == "podcasts/pod/ep/media/-1001234-8.jpg"
    digest = hashlib.sha256("Tech News!".encode()).hexdigest()[:8]
    assert media_key("pod", "ep", "Tech News!", 9) == f"podcasts/pod/ep/media/Tech_News_{digest}-9.jpg"
    # Two labels that clean to the same text still get two keys.
    assert media_key("pod", "ep", "a b", 1) != media_key("pod", "ep", "a.b", 1)
    assert media_key("pod", "ep", "שלום", 1).startswith("podcasts/pod/ep/media/channel_")
    assert media_key("pod", "ep", "@Xavier_X", 2) == "podcasts/pod/ep/media/Xavier_X-2.jpg"
    edge = hashlib.sha256("_news_".encode()).hexdigest()[:8]
    assert media_key("pod", "ep", "_news_", 3) == f"podcasts/pod/ep/media/news_{edge}-3.jpg"


def test_a_segments_key_is_named_by_everything_that_determines_its_audio():
    key = segment_audio_key("pod", "ep", "Hello.", "host_a", "espeak", "espeak-ng", "en")
    assert key.startswith("podcasts/pod/ep/segments/") and key.endswith(".wav")
    assert key == segment_audio_key("pod", "ep", "Hello.", "host_a", "espeak", "espeak-ng", "en")
    others = {
        segment_audio_key("pod", "ep", "Hello!", "host_a", "espeak", "espeak-ng", "en"),
        segment_audio_key("pod", "ep", "Hello.", "host_b", "espeak", "espeak-ng", "en"),
        segment_audio_key("pod", "ep", "Hello.", "host_a", "polly", "espeak-ng", "en"),
        segment_audio_key("pod", "ep", "Hello.", "host_a", "espeak", "neural", "en"),
        segment_audio_key("pod", "ep", "Hello.", "host_a", "espeak", "espeak-ng", "he"),
    }
    assert key not in others and len(others) == 5
