"""validate_script: the gate before any speech is paid for."""
import pytest

from chalicelib.errors import ScriptRejected
from chalicelib.script.base import Script, Speaker, Turn
from chalicelib.script.validate import estimate_seconds, outside_quotes, validate_script

SPEAKERS = [Speaker("Alex", "host", "host_a"), Speaker("Maya", "expert", "host_b")]
HE_SPEAKERS = [Speaker("נועה", "host", "host_a"), Speaker("דניאל", "expert", "host_b")]
BUNDLE = {"messages": [{"id": 1, "text": "a"}, {"id": 2, "text": "b"}]}


def _script(turns, language="en", speakers=SPEAKERS):
    return Script(language=language, format="dialogue", speakers=list(speakers), turns=list(turns))


def _words(n: int) -> str:
    return " ".join(["word"] * n)


def test_a_good_script_is_returned_unchanged():
    script = _script([
        Turn("Alex", "Welcome to the show. One post says: “שלום לכולם”.", (1,)),
        Turn("Maya", "Interesting. Another one links to nytimes.", (2,)),
    ])
    assert validate_script(script, bundle=BUNDLE) is script


def test_no_turns_is_rejected():
    with pytest.raises(ScriptRejected, match="no turns"):
        validate_script(_script([]))


def test_unknown_speaker_is_rejected():
    script = _script([Turn("Alex", "Hello there."), Turn("Bob", "Hi, I'm not on the show.")])
    with pytest.raises(ScriptRejected, match=r"turn 2: unknown speaker 'Bob'"):
        validate_script(script)


@pytest.mark.parametrize("text", ["", "   \n "])
def test_empty_turn_is_rejected(text):
    with pytest.raises(ScriptRejected, match="turn 2 .* is empty"):
        validate_script(_script([Turn("Alex", "Hello."), Turn("Maya", text)]))


def test_hebrew_script_with_english_host_phrasing_is_rejected():
    script = _script([Turn("נועה", "Welcome everyone, let's begin.")], language="he", speakers=HE_SPEAKERS)
    with pytest.raises(ScriptRejected, match="no Hebrew outside quotes"):
        validate_script(script)


def test_hebrew_script_with_mostly_english_host_phrasing_is_rejected():
    script = _script([Turn("נועה", "Welcome everyone, let's begin with the news. ש")], language="he",
                     speakers=HE_SPEAKERS)
    with pytest.raises(ScriptRejected, match="turn 1 .* mostly not in Hebrew"):
        validate_script(script)


def test_hebrew_hosts_may_name_products_in_latin_letters():
    script = _script([Turn("נועה", "אפל הכריזה היום על iPhone חדש ועל עדכון ל-macOS, והמשתמשים מרוצים.")],
                     language="he", speakers=HE_SPEAKERS)
    assert validate_script(script) is script


def test_hebrew_script_may_quote_english_and_use_gershayim():
    script = _script([
        Turn("נועה", 'הנה פוסט: “Breaking news from the front”. צה"ל הודיע על כך.', ()),
        Turn("דניאל", "מעניין.", ()),
    ], language="he", speakers=HE_SPEAKERS)
    assert validate_script(script) is script


def test_hebrew_only_inside_quotes_is_not_enough_for_hebrew():
    script = _script([Turn("נועה", "“שלום” and more words here")], language="he", speakers=HE_SPEAKERS)
    with pytest.raises(ScriptRejected, match="no Hebrew outside quotes"):
        validate_script(script)


def test_english_script_with_mostly_hebrew_host_phrasing_is_rejected():
    script = _script([Turn("Alex", "OK ברוכים הבאים לפודקאסט שלנו")])
    with pytest.raises(ScriptRejected, match="not in English"):
        validate_script(script)


def test_english_script_may_quote_hebrew():
    script = _script([Turn("Alex", "One post says: “ברוכים הבאים לפודקאסט שלנו היום”.")])
    assert validate_script(script) is script


@pytest.mark.parametrize("text", [
    "See https://example.com for more.",
    "See www.example.com for more.",
    "This is **bold**.",
    "Follow @someone now.",
    "Tagged #news today.",
    "A <b>tag</b> here.",
    "A [bracket] here.",
])
def test_urls_and_markup_are_rejected(text):
    with pytest.raises(ScriptRejected, match="URL or markup"):
        validate_script(_script([Turn("Alex", text)]))


def test_message_ids_not_in_the_bundle_are_rejected():
    script = _script([Turn("Alex", "Hello.", (1,)), Turn("Maya", "Hi.", (2, 99))])
    with pytest.raises(ScriptRejected, match="not in the bundle: 99"):
        validate_script(script, bundle=BUNDLE)


def test_message_ids_are_not_checked_without_a_bundle():
    script = _script([Turn("Alex", "Hello.", (99,))])
    assert validate_script(script) is script


def test_estimate_seconds_counts_words_at_the_given_pace():
    script = _script([Turn("Alex", _words(100)), Turn("Maya", _words(50))])
    assert estimate_seconds(script) == pytest.approx(60.0)
    assert estimate_seconds(script, words_per_minute=300) == pytest.approx(30.0)


@pytest.mark.parametrize("words", [113, 150, 187])  # 45.2 s, 60 s, 74.8 s against a 60 s target
def test_duration_within_a_quarter_of_target_passes(words):
    script = _script([Turn("Alex", _words(words))])
    assert validate_script(script, target_seconds=60) is script


@pytest.mark.parametrize("words", [110, 190])  # 44 s and 76 s against a 60 s target
def test_duration_outside_a_quarter_of_target_is_rejected(words):
    script = _script([Turn("Alex", _words(words))])
    with pytest.raises(ScriptRejected, match="outside ±25% of the 60 s target"):
        validate_script(script, target_seconds=60)


def test_unknown_language_is_rejected():
    script = Script(language="fr", format="narrator", speakers=[Speaker("A", "host", "narrator")],
                    turns=[Turn("A", "Bonjour.")])
    with pytest.raises(ScriptRejected, match="language 'fr'"):
        validate_script(script)


def test_outside_quotes_drops_every_quote_style():
    text = 'a “b” c „d“ e «f» g "h" i'
    assert outside_quotes(text).split() == ["a", "c", "e", "g", "i"]
