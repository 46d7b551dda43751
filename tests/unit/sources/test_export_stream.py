"""export_stream: a Telegram Desktop export walked one message at a time, whatever the window."""
import json
from pathlib import Path

import pytest

from chalicelib.domain import Window
from chalicelib.sources import export_stream
from chalicelib.sources.export import TelegramExportSource
from chalicelib.sources.export_stream import ExportSyntaxError, chats

ROOT = Path(__file__).resolve().parents[3]
FULL = ROOT / "examples" / "full-account-export" / "result.json"
OPEN = Window(None, None)


@pytest.mark.parametrize("chunk", [1, 7, 64])
def test_any_window_size_reads_the_same_export(monkeypatch, chunk):
    expected = TelegramExportSource(FULL, chat="Byte Brief").collect(OPEN)
    monkeypatch.setattr(export_stream, "_CHUNK", chunk)
    assert TelegramExportSource(FULL, chat="Byte Brief").collect(OPEN) == expected


def test_every_chat_and_message_in_file_order_as_json_load_reads_them(monkeypatch):
    monkeypatch.setattr(export_stream, "_CHUNK", 5)
    data = json.loads(FULL.read_text(encoding="utf-8"))
    expected = [(c["name"], c["messages"]) for section in ("chats", "left_chats")
                for c in data.get(section, {}).get("list", [])]
    assert [(s.header["name"], list(s.messages())) for s in chats(FULL)] == expected


def test_numbers_cut_by_the_window_edge_are_read_whole(monkeypatch, tmp_path):
    path = tmp_path / "result.json"
    path.write_text(json.dumps({"name": "n", "type": "public_channel", "id": 1234567890123,
                                "messages": [{"id": 98765432}, 1234567]}))
    for chunk in range(1, 12):
        monkeypatch.setattr(export_stream, "_CHUNK", chunk)
        streams = chats(path)
        stream = next(streams)
        assert stream.header == {"name": "n", "type": "public_channel", "id": 1234567890123}
        assert list(stream.messages()) == [{"id": 98765432}, 1234567]
        assert list(streams) == []


def test_a_chat_left_unread_is_skipped_and_keys_after_the_messages_reach_the_header(tmp_path):
    path = tmp_path / "result.json"
    path.write_text(json.dumps({"chats": {"list": [
        {"name": "a", "messages": [{"id": 1}], "id": 5},
        {"name": "b", "type": "public_channel", "id": 6, "messages": [{"id": 2}, {"id": 3}]},
    ]}}))
    streams = chats(path)
    first = next(streams)
    assert first.header == {"name": "a"}  # its id comes after its messages
    second = next(streams)
    assert first.header == {"name": "a", "id": 5}
    assert [m["id"] for m in second.messages()] == [2, 3]
    assert list(streams) == []


def test_a_syntax_error_names_its_line_and_column(monkeypatch, tmp_path):
    monkeypatch.setattr(export_stream, "_CHUNK", 3)
    path = tmp_path / "result.json"
    path.write_text('{"name": "x",\n "messages": [\n  {"id": 1},\n  {"id": }\n ]}')
    with pytest.raises(ExportSyntaxError) as caught:
        for stream in chats(path):
            list(stream.messages())
    assert (caught.value.line, caught.value.column, caught.value.shape) == (4, 10, False)
