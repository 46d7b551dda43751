"""split_script and segment_key: limits kept, order kept, words whole, keys stable."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.audio.segments import MAX_CHARS, Segment, segment_key, split_script
from chalicelib.errors import ScriptRejected
from chalicelib.script.base import Turn

VOICES = {"Dana": "host_a", "Omer": "host_b"}


def test_short_turns_are_one_segment_each_in_order_with_voice_and_sources():
    turns = [Turn("Dana", "Hello and welcome.", (1,)), Turn("Omer", "Thanks!", (2, 3)),
             Turn("Dana", "  Let us begin.\n")]

    segments = split_script(turns, max_chars=100, voices=VOICES)

    assert segments == [
        Segment(0, "Dana", "host_a", "Hello and welcome.", (1,)),
        Segment(1, "Omer", "host_b", "Thanks!", (2, 3)),
        Segment(2, "Dana", "host_a", "Let us begin.", ()),
    ]


def test_a_long_turn_is_cut_between_sentences_and_packed_up_to_the_limit():
    text = "One two three. Four five six. Seven eight nine. Ten."
    segments = split_script([Turn("Dana", text, (7,))], max_chars=30, voices=VOICES)

    assert [s.text for s in segments] == ["One two three. Four five six.", "Seven eight nine. Ten."]
    assert [s.index for s in segments] == [0, 1]
    assert all(s.message_ids == (7,) and s.voice == "host_a" for s in segments)


def test_sentence_ends_inside_closing_quotes_and_hebrew_are_cut_points():
    text = 'הוא אמר "שלום." ואז הלך הביתה. הסוף.'
    segments = split_script([Turn("Omer", text)], max_chars=20, voices=VOICES)

    expected = ['הוא אמר "שלום."', "ואז הלך הביתה. הסוף."]
    assert [s.text for s in segments] == expected


def test_a_long_sentence_is_cut_at_a_clause_before_a_word():
    text = "The markets were calm this morning, although the bond traders expected news"
    segments = split_script([Turn("Dana", text)], max_chars=50, voices=VOICES)

    assert [s.text for s in segments] == [
        "The markets were calm this morning,",
        "although the bond traders expected news",
    ]


def test_a_sentence_without_punctuation_is_cut_between_words():
    text = "alpha beta gamma delta epsilon zeta eta theta"
    segments = split_script([Turn("Dana", text)], max_chars=12, voices=VOICES)

    assert [s.text for s in segments] == ["alpha beta", "gamma delta", "epsilon zeta", "eta theta"]


def test_a_word_longer_than_the_limit_is_refused_not_cut():
    with pytest.raises(ScriptRejected, match="turn 1 \\(Omer\\): a 30-character word"):
        split_script([Turn("Dana", "ok"), Turn("Omer", "see " + "x" * 30)], max_chars=20,
                     voices=VOICES)


def test_unknown_speaker_and_empty_turn_are_rejected():
    with pytest.raises(ScriptRejected, match="speaker 'Ghost' has no voice"):
        split_script([Turn("Ghost", "Boo.")], max_chars=100, voices=VOICES)
    with pytest.raises(ScriptRejected, match="turn 0 \\(Dana\\) has no text"):
        split_script([Turn("Dana", " \n ")], max_chars=100, voices=VOICES)


def test_provider_limits_stay_inside_what_each_provider_accepts():
    from chalicelib.audio.polly import MAX_BILLED_CHARS

    assert MAX_CHARS["polly"] < MAX_BILLED_CHARS
    assert set(MAX_CHARS) == {"polly", "gemini", "espeak"}


# Words of letters (English and Hebrew) with sentence and clause punctuation attached.
_word = st.builds(
    lambda stem, tail: stem + tail,
    # At most 12 letters + a 2-character tail: every word fits the smallest limit drawn.
    st.text(alphabet="abcdefghijxyzאבגדהוזחטי", min_size=1, max_size=12),
    st.sampled_from(["", "", "", ".", ",", "?", "!", ";", '."', "…", ":"]),
)
_gap = st.sampled_from([" ", " ", "  ", "\n", " \n "])
_turn_text = st.lists(st.tuples(_word, _gap), min_size=1, max_size=40).map(
    lambda pairs: "".join(word + gap for word, gap in pairs)
)
_turns = st.lists(
    st.builds(Turn, st.sampled_from(sorted(VOICES)), _turn_text,
              st.tuples(st.integers(0, 99))),
    min_size=1, max_size=4,
)


@settings(derandomize=True, database=None, max_examples=120, deadline=None)
@given(turns=_turns, max_chars=st.integers(min_value=15, max_value=120))
def test_segments_respect_the_limit_keep_order_and_never_cut_a_word(turns, max_chars):
    segments = split_script(turns, max_chars=max_chars, voices=VOICES)

    assert [s.index for s in segments] == list(range(len(segments)))
    assert all(0 < len(s.text) <= max_chars for s in segments)
    assert all(s.text == s.text.strip() for s in segments)
    # Reading the segments back gives each turn's words, whole and in order.
    position = 0
    for turn in turns:
        words: list[str] = []
        while position < len(segments) and words != turn.text.split():
            segment = segments[position]
            assert (segment.speaker, segment.voice, segment.message_ids) == (
                turn.speaker, VOICES[turn.speaker], turn.message_ids)
            words += segment.text.split()
            position += 1
        assert words == turn.text.split()
    assert position == len(segments)


@settings(derandomize=True, database=None, max_examples=120, deadline=None)
@given(text=_turn_text, max_chars=st.integers(min_value=15, max_value=120))
def test_no_two_neighbouring_segments_would_have_fit_in_one(text, max_chars):
    segments = split_script([Turn("Dana", text)], max_chars=max_chars, voices=VOICES)

    # Each segment is a slice of the turn: find the spans, then join neighbours as sent.
    spans, position = [], 0
    for segment in segments:
        start = text.index(segment.text, position)
        position = start + len(segment.text)
        spans.append((start, position))
    for (start, _), (_, end) in zip(spans, spans[1:]):
        assert end - start > max_chars


def test_segment_key_is_sha256_hex_and_stable_across_calls():
    key = segment_key("Shalom.", "Kore", "gemini", "gemini-3.8-flash-tts", "he")

    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert key == segment_key("Shalom.", "Kore", "gemini", "gemini-3.8-flash-tts", "he")
    assert key == segment_key(text="Shalom.", voice="Kore", provider="gemini",
                              model="gemini-3.8-flash-tts", language="he")


def test_segment_key_pins_its_canonical_form():
    # A change to the canonical form would orphan every cached segment: make it deliberate.
    import hashlib
    import json

    expected = hashlib.sha256(json.dumps(
        {"language": "en", "model": "neural", "provider": "polly", "text": "Hi ✓",
         "v": 1, "voice": "Joanna"},
        separators=(",", ":"), ensure_ascii=False,
    ).encode("utf-8")).hexdigest()
    assert segment_key("Hi ✓", "Joanna", "polly", "neural", "en") == expected


@pytest.mark.parametrize("field", range(5))
def test_every_input_changes_the_segment_key(field):
    base = ["Shalom.", "Kore", "gemini", "model-a", "he"]
    changed = list(base)
    changed[field] = changed[field] + "x"

    assert segment_key(*changed) != segment_key(*base)


def test_fields_cannot_bleed_into_each_other_in_the_key():
    assert segment_key("a", "bc", "p", "m", "en") != segment_key("ab", "c", "p", "m", "en")
