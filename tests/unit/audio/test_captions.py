from chalicelib.audio.captions import Cue, transcript_lines, webvtt


def test_webvtt_times_each_cue_and_names_the_speaker():
    text = webvtt([Cue(0.0, 2.5, "Alex", "Hello."), Cue(2.85, 3661.25, "Maya", "a --> b")])
    assert text.startswith("WEBVTT\n\n1\n00:00:00.000 --> 00:00:02.500\n<v Alex>Hello.\n")
    assert "00:00:02.850 --> 01:01:01.250\n<v Maya>a -> b" in text


def test_transcript_joins_the_segments_of_one_turn():
    cues = [Cue(0, 1, "Alex", "One."), Cue(1, 2, "Alex", "Two."), Cue(2, 3, "Maya", "Three.")]
    assert transcript_lines(cues, [0, 0, 1]) == "Alex: One. Two.\nMaya: Three.\n"
