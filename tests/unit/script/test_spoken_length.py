"""The length a script is priced at against the length it is really spoken at: the offline
writer's scripts said by espeak-ng (the offline speech), English and Hebrew, both formats.

The other length tests measure the writer's own estimate; this one measures audio. A Hebrew
script priced at English's pace came out 21% long (24.2 minutes for a 20-minute target): Hebrew
words carry their prefixes and take longer to say (chalicelib/script/stories.language_pace)."""
import io
import random

import pytest

from chalicelib.audio.espeak import EspeakSpeech
from chalicelib.audio.render import render_mp3
from chalicelib.script.offline import OfflineScriptWriter
from chalicelib.script.stories import LENGTH_TOLERANCE

# News words as channels write them: Hebrew with its attached prefixes (ו, ה, ב, ל, מ, ש).
WORDS = {
    "en": (
        "the council approved a new budget for the harbour and the library after a long debate "
        "engineers at the startup released an update that fixes the security outage reported "
        "last week while teachers and doctors joined the strike over wages and rent prices"
    ).split(),
    "he": (
        "מועצת העיר אישרה הלילה את התקציב החדש לנמל ולספרייה אחרי דיון ארוך "
        "המהנדסים בחברה שחררו עדכון שמתקן את התקלה שדווחה בשבוע שעבר "
        "והמורים והרופאים הצטרפו לשביתה בגלל השכר ומחירי הדירות בירושלים ובתל אביב"
    ).split(),
}
TARGET = 240.0  # four minutes: long enough to be many stories, short enough to speak in a moment


def _window(language: str, count: int = 120) -> list[dict]:
    rng = random.Random(11)
    messages = []
    for i in range(1, count + 1):
        words = rng.choice((12, 25, 40, 70))
        text = " ".join(rng.choice(WORDS[language]) for _ in range(words)) + "."
        messages.append({
            "id": i, "channel": "city_news", "date": f"2026-11-{1 + i % 28:02d}T{i % 24:02d}:00:00Z",
            "text": text, "links": [], "reply_to": None, "forwarded_from": None, "edited": None,
            "views": rng.randint(100, 5000), "forwards": None, "media": None,
        })
    return messages


@pytest.mark.parametrize("language", ["en", "he"])
@pytest.mark.parametrize("format", ["dialogue", "narrator"])
def test_the_spoken_episode_lands_within_15_percent_of_its_target(language, format):
    messages = _window(language)
    bundle = {"schema_version": 2, "podcast_id": "city", "episode_id": "0d4c1f6e-0000-4000-8000-000000000003",
              "title": None, "window": {"start": None, "end": None}, "channels": ["city_news"],
              "counts": {}, "filtered": [], "messages": messages}
    script = OfflineScriptWriter().write(bundle, title="City", language=language, format=format,
                                         hosts=[], target_seconds=TARGET)
    assert script.selection["enough_material"] is True

    seconds, _ = render_mp3(script.turns, EspeakSpeech(), io.BytesIO(), language=language,
                            voices={s.name: s.voice for s in script.speakers})

    assert abs(seconds - TARGET) <= TARGET * LENGTH_TOLERANCE, seconds
