"""The prompt every LLM writer sends, and the parsing of what comes back."""
import json

import pytest

from chalicelib.errors import InvalidInput, NoContent, ScriptRejected
from chalicelib.script.base import Host, Speaker
from chalicelib.script.llm_prompt import build_prompt, cast, parse_script, target_words
from tests.doubles import LLM_NOTES

DIALOGUE = [Speaker("Alex", "host", "host_a"), Speaker("Maya", "expert", "host_b")]


def _msg(id, text, **extra):
    return {
        "id": id, "channel": "tech_news", "date": f"2026-11-2{id % 7}T10:00:00Z", "text": text,
        "links": [], "reply_to": None, "forwarded_from": None, "edited": None, "views": None,
        "forwards": None, "media": None, **extra,
    }


BUNDLE = {
    "schema_version": 1, "podcast_id": "tech", "title": None,
    "window": {"start": "2026-11-20T00:00:00Z", "end": "2026-11-27T00:00:00Z"},
    "messages": [
        _msg(11, "Python 3.14 is out with a free-threaded build.",
             links=["https://www.python.org/downloads/release/python-3140/"], views=1200),
        _msg(12, "", media={"type": "photo"}),
        _msg(13, "Vote for the next meetup topic", media={"type": "poll", "question": "Which topic?",
                                                         "options": ["Rust", "Go"]},
             forwarded_from="Dev Meetups"),
    ],
}


def _answer(turns, fence=False):
    text = json.dumps({**LLM_NOTES, "turns": turns}, ensure_ascii=False)
    return f"```json\n{text}\n```" if fence else text


def _parse(answer, *, language="en", format="dialogue", speakers=DIALOGUE):
    return parse_script(answer, bundle=BUNDLE, language=language, format=format, speakers=speakers)


def test_prompt_carries_every_message_with_its_id_media_in_words_and_links_as_site_names():
    prompt = build_prompt(BUNDLE, title="Tech Weekly", language="en", speakers=DIALOGUE)
    for id in (11, 12, 13):
        assert f"[message {id}]" in prompt.user
    assert "Python 3.14 is out with a free-threaded build." in prompt.user
    assert "Links to: python" in prompt.user
    # URLs only on the Sources lines, which the show notes copy (the script names sites).
    assert all(line.startswith("Sources: ") for line in prompt.user.splitlines() if "https://" in line)
    assert "Sources: https://www.python.org/downloads/release/python-3140/" in prompt.user
    assert "A photo was shared." in prompt.user
    assert "Which topic?" in prompt.user and "forwarded from Dev Meetups" in prompt.user
    assert "1200 views" in prompt.user
    assert "Tech Weekly" in prompt.user


def test_dialogue_prompt_names_both_hosts_language_and_the_json_contract():
    prompt = build_prompt(BUNDLE, title="Tech Weekly", language="en", speakers=DIALOGUE)
    assert '"Alex" (host)' in prompt.system and '"Maya" (expert)' in prompt.system
    assert "the hosts speak English" in prompt.system
    assert '"turns": [{"speaker": "<name>", "text": "<what is said>", "message_ids": [<ids>]}]}' in prompt.system
    assert '"chapters": [{"title": "<story title>", "turn": <index>, "message_ids": [<ids>], "links": ["<url>"]}]' \
        in prompt.system
    assert "Length follows the content" in prompt.system


def test_narrator_prompt_in_hebrew_has_one_voice_and_a_word_target():
    narrator = [Speaker("נועה", "host", "narrator")]
    prompt = build_prompt(BUNDLE, title="שבוע טק", language="he", speakers=narrator,
                          target_seconds=240, words_per_minute=150)
    assert 'One narrator, "נועה"' in prompt.system
    assert "the hosts speak Hebrew" in prompt.system
    assert "about 600 words" in prompt.system
    assert "צורפה תמונה." in prompt.user  # media described in the podcast's language
    assert "Length follows the content" not in prompt.system


def test_target_words_follow_seconds_and_speaking_rate():
    assert target_words(600, 150) == 1500
    assert target_words(90, 120) == 180


def test_an_empty_bundle_has_nothing_to_prompt_for():
    with pytest.raises(NoContent):
        build_prompt({"messages": []}, title="T", language="en", speakers=DIALOGUE)


def test_cast_gives_dialogue_voices_and_fills_missing_hosts_from_language_defaults():
    assert cast([Host("Dana", "host")], "en", "dialogue") == [
        Speaker("Dana", "host", "host_a"), Speaker("Alex", "host", "host_b")]
    assert cast([], "he", "narrator") == [Speaker("נועה", "host", "narrator")]
    with pytest.raises(InvalidInput):
        cast([Host("Sam", "host"), Host("Sam", "expert")], "en", "dialogue")
    with pytest.raises(InvalidInput):
        cast([], "fr", "dialogue")


def test_a_fenced_answer_is_parsed_made_speakable_and_keeps_message_ids():
    script = _parse(_answer([
        {"speaker": "Alex", "text": "Welcome to **Tech Weekly**!", "message_ids": []},
        {"speaker": "Maya", "text": "Python 3 is out, see https://python.org for 25% faster code.",
         "message_ids": [11, 11]},
    ], fence=True))
    assert [t.speaker for t in script.turns] == ["Alex", "Maya"]
    assert script.turns[0].text == "Welcome to Tech Weekly!"
    assert script.turns[1].text == "Python three is out, see a link to python for twenty-five percent faster code."
    assert script.turns[1].message_ids == (11,)
    assert [s.voice for s in script.speakers] == ["host_a", "host_b"]
    assert (script.language, script.format) == ("en", "dialogue")


def test_a_bare_answer_parses_too():
    script = _parse(_answer([{"speaker": "Alex", "text": "Hello there.", "message_ids": [12]}]))
    assert script.turns[0].message_ids == (12,)


@pytest.mark.parametrize("answer, problem", [
    ("", "empty"),
    ("Sure! Here is your script: Alex says hello.", "not JSON"),
    ('{"turns": [{"speaker": "Alex", "text": "Hi"', "not JSON"),
    ('[{"speaker": "Alex", "text": "Hi", "message_ids": []}]', '"turns" list'),
    ('{"script": []}', '"turns" list'),
    ('{"turns": ["Alex: hi"]}', "turn 1 is not an object"),
    ('{"turns": [{"text": "Hi", "message_ids": []}]}', '"speaker"'),
    ('{"turns": [{"speaker": "Alex", "message_ids": []}]}', '"text"'),
    ('{"turns": [{"speaker": "Alex", "text": "Hi", "message_ids": ["11"]}]}', "list of integers"),
    ('{"turns": [{"speaker": "Alex", "text": "Hi", "message_ids": [true]}]}', "list of integers"),
    ('{"turns": []}', "no turns"),
])
def test_malformed_answers_are_rejected_naming_the_problem(answer, problem):
    with pytest.raises(ScriptRejected) as caught:
        _parse(answer)
    assert problem in str(caught.value)


def test_unknown_speaker_and_unknown_message_ids_are_rejected():
    with pytest.raises(ScriptRejected, match="unknown speaker 'Bob'"):
        _parse(_answer([{"speaker": "Bob", "text": "Hello.", "message_ids": []}]))
    with pytest.raises(ScriptRejected, match="not in the bundle: 99"):
        _parse(_answer([{"speaker": "Alex", "text": "Hello.", "message_ids": [11, 99]}]))


def test_hebrew_turns_are_spoken_in_hebrew():
    narrator = [Speaker("נועה", "host", "narrator")]
    script = _parse(
        _answer([{"speaker": "נועה", "text": "יצאו 3 גרסאות חדשות של \"Python\".", "message_ids": [11]}]),
        language="he", format="narrator", speakers=narrator,
    )
    assert script.turns[0].text == "יצאו שלוש גרסאות חדשות של \"Python\"."
    assert script.speakers[0].voice == "narrator"


def test_an_english_turn_in_a_hebrew_podcast_is_rejected():
    narrator = [Speaker("נועה", "host", "narrator")]
    with pytest.raises(ScriptRejected, match="no Hebrew"):
        _parse(_answer([{"speaker": "נועה", "text": "Three new releases.", "message_ids": []}]),
               language="he", format="narrator", speakers=narrator)
