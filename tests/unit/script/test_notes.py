"""Titles, show notes and chapters: what the writers give every episode, and the no-invented-links rule."""
import json

import pytest

from chalicelib.errors import ScriptRejected
from chalicelib.script.base import Speaker
from chalicelib.script.llm_prompt import parse_script
from chalicelib.script.notes import allowed_links, message_link, validate_notes
from chalicelib.script.offline import OfflineScriptWriter

DIALOGUE = [Speaker("Alex", "host", "host_a"), Speaker("Maya", "expert", "host_b")]


def _msg(id, text, channel="@tech_news", links=()):
    return {"id": id, "channel": channel, "date": f"2026-11-2{id - 10}T10:00:00Z", "text": text,
            "links": list(links), "media": None}


BUNDLE = {
    "title": None, "window": {"start": "2026-11-20T00:00:00Z", "end": "2026-11-27T00:00:00Z"},
    "messages": [
        _msg(11, "#python Python 3.14 is out with a free-threaded build.",
             links=["https://www.python.org/downloads/release/python-3140/"]),
        _msg(12, "#python The Python packaging survey results are in, uv leads."),
        _msg(13, "#rust Rust 2027 edition plans published.", channel="-1001234567890"),
        _msg(14, "#rust Rust foundation funds two maintainers.", channel="-1001234567890"),
    ],
}


def test_a_public_channels_message_links_to_t_me_and_a_private_ones_does_not():
    assert message_link(BUNDLE["messages"][0]) == "https://t.me/tech_news/11"
    assert message_link(BUNDLE["messages"][2]) is None
    assert allowed_links(BUNDLE) == {"https://t.me/tech_news/11", "https://t.me/tech_news/12",
                                     "https://www.python.org/downloads/release/python-3140/"}


@pytest.mark.parametrize("language", ["en", "he"])
def test_the_offline_writer_gives_a_title_a_summary_and_one_chapter_per_topic(language):
    script = OfflineScriptWriter().write(BUNDLE, title="Tech Weekly", language=language,
                                         format="dialogue", hosts=[])
    validate_notes(script, bundle=BUNDLE)
    assert script.title and script.summary
    assert [set(s.message_ids) for s in script.stories] == [{11, 12}, {13, 14}]
    turns = [s.turn for s in script.stories]
    assert turns == sorted(turns) and turns[0] > 0  # the welcome comes first
    # Each chapter starts where its first message is presented.
    assert all(set(s.message_ids) & set(script.turns[s.turn].message_ids) for s in script.stories)
    assert script.stories[0].links == ("https://t.me/tech_news/11",
                                       "https://www.python.org/downloads/release/python-3140/",
                                       "https://t.me/tech_news/12")
    assert script.stories[1].links == ()  # a private channel: no public link to give


def _answer(**changes):
    answer = {
        "title": "Python and Rust news", "summary": "Two languages moved this week.",
        "chapters": [{"title": "Python 3.14", "turn": 0, "message_ids": [11, 12],
                      "links": ["https://www.python.org/downloads/release/python-3140/"]},
                     {"title": "Rust", "turn": 1, "message_ids": [13], "links": []}],
        "turns": [{"speaker": "Alex", "text": "Python three fourteen is out.", "message_ids": [11]},
                  {"speaker": "Maya", "text": "And Rust plans a new edition.", "message_ids": [13]}],
    }
    answer.update(changes)
    return json.dumps(answer)


def _parse(answer):
    return parse_script(answer, bundle=BUNDLE, language="en", format="dialogue", speakers=DIALOGUE)


def test_an_llm_answer_carries_title_summary_and_chapters_in_the_same_call():
    script = _parse(_answer())
    assert script.title == "Python and Rust news"
    assert script.summary == "Two languages moved this week."
    assert [(s.title, s.turn) for s in script.stories] == [("Python 3.14", 0), ("Rust", 1)]


@pytest.mark.parametrize("chapters, problem", [
    ([{"title": "Made up", "turn": 0, "links": ["https://evil.example/phish"]}],
     "links to 'https://evil.example/phish', which no message of the bundle holds"),
    ([{"title": "Private", "turn": 0, "links": ["https://t.me/c/1234567890/13"]}], "no message of the bundle"),
    ([{"title": "A", "turn": 1}, {"title": "B", "turn": 0}], "not after the story before it"),
    ([{"title": "A", "turn": 5}], "not one of the script's 2 turns"),
    ([{"title": "A", "turn": 0, "message_ids": [99]}], "message ids not in the bundle: 99"),
    ([{"title": " ", "turn": 0}], "story 1's title is empty"),
    ([], "the show notes list no story"),
    ("all", 'no "chapters" list'),
])
def test_invented_links_and_bad_chapters_are_rejected(chapters, problem):
    with pytest.raises(ScriptRejected) as caught:
        _parse(_answer(chapters=chapters))
    assert problem in str(caught.value)


def test_a_missing_or_overlong_title_is_rejected():
    with pytest.raises(ScriptRejected, match='no "title" string'):
        _parse(_answer(title=None))
    with pytest.raises(ScriptRejected, match="the episode title is 201 characters"):
        _parse(_answer(title="x" * 201))
