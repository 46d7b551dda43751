"""Telegram Desktop exports read as a stream: one message decoded at a time, never the file.

A busy channel's export runs to hundreds of megabytes; ``json.load`` of a 138 MB export of
83,805 messages peaked at 918 MB. ``chats(path)`` walks the export's structure — a single
chat's ``{"name", "type", "id", "messages": [...]}``, or an account export's
``{"chats": {"list": [...]}, "left_chats": {"list": [...]}}`` — with the standard library's
own decoder (``JSONDecoder.raw_decode``) on a window of the file, and hands each chat to the
caller as a ``ChatStream`` when its ``messages`` begin: the caller iterates them (each one
decoded, handed over, forgotten) or leaves them, and they are skipped. Keys a chat writes
after its messages still reach ``ChatStream.header`` once the chat has been read.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

_CHUNK = 1 << 20  # characters read at a time
_WHITESPACE = " \t\n\r"


class ExportSyntaxError(ValueError):
    """The file is not JSON (``shape`` False, with the line and column), or JSON that is not
    shaped like a Telegram Desktop export (``shape`` True)."""

    def __init__(self, message: str, line: int = 0, column: int = 0, *, shape: bool = False):
        super().__init__(message)
        self.line, self.column, self.shape = line, column, shape


class _Reader:
    """A sliding window over a text file, with just enough tokenising to walk JSON containers."""

    def __init__(self, handle):
        self._handle = handle
        self._decoder = json.JSONDecoder()
        self.buf = ""
        self.pos = 0
        self.eof = False
        self._consumed = 0  # characters dropped from the front of the window
        self._lines = 1  # newlines dropped with them, plus one

    def _more(self) -> bool:
        if self.eof:
            return False
        chunk = self._handle.read(_CHUNK)
        if not chunk:
            self.eof = True
            return False
        if self.pos > _CHUNK:  # drop what has been read, so the window stays small
            dropped = self.buf[: self.pos]
            self._lines += dropped.count("\n")
            self._consumed += self.pos
            self.buf, self.pos = self.buf[self.pos:], 0
        self.buf += chunk
        return True

    def peek(self) -> str:
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in _WHITESPACE:
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._more():
                return ""

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise self.error(f"expected {char!r}")
        self.pos += 1

    def value(self):
        """Decode the JSON value at the current position (reading more file as needed)."""
        self.peek()
        while True:
            try:
                value, end = self._decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if self._more():
                    continue
                raise self.error(exc.msg, exc.pos) from None
            # A number cut by the window's edge decodes too ("12" of "123"): be sure it ended.
            if end >= len(self.buf) and self._more():
                continue
            self.pos = end
            return value

    def error(self, message: str, at: int | None = None) -> ExportSyntaxError:
        at = self.pos if at is None else at
        line = self._lines + self.buf.count("\n", 0, at)
        column = at - self.buf.rfind("\n", 0, at)
        return ExportSyntaxError(message, line, column)


def _entries(reader: _Reader, close: str) -> Iterator[None]:
    """Positions the reader at each element of the container just opened; stops at ``close``."""
    first = True
    while True:
        char = reader.peek()
        if char == close:
            reader.pos += 1
            return
        if not first:
            reader.expect(",")
            if reader.peek() == close:
                raise reader.error("trailing comma")
        first = False
        yield


def _keys(reader: _Reader) -> Iterator[str]:
    """Each key of the object just opened, with the reader positioned at its value."""
    for _ in _entries(reader, "}"):
        key = reader.value()
        if not isinstance(key, str):
            raise reader.error("object keys must be strings")
        reader.expect(":")
        yield key


class ChatStream:
    """One chat: its header (scalars such as name, type, id) and its messages, once."""

    def __init__(self, reader: _Reader | None, header: dict, *, account: bool):
        self._reader = reader  # None: the chat has no messages key
        self.header = header
        self.account = account  # from an account export's chat list, not a single-chat export
        self._started = False
        self._done = reader is None

    def messages(self) -> Iterator[object]:
        """Each element of the chat's ``messages`` array, decoded one at a time."""
        if self._started:
            raise RuntimeError("a chat's messages can be read once")
        self._started = True
        reader = self._reader
        if reader is None:
            return
        if reader.peek() != "[":
            value = reader.value()  # not a list: nothing to iterate
            self._done = True
            if value is not None:
                self.header["messages_not_a_list"] = True
            return
        reader.pos += 1
        for _ in _entries(reader, "]"):
            yield reader.value()
        self._done = True

    def _finish(self) -> None:
        if not self._started:
            for _ in self.messages():
                pass
        elif not self._done:
            raise RuntimeError("a chat's messages were left half read")


def _chat(reader: _Reader, header: dict, *, account: bool) -> Iterator[ChatStream]:
    """The rest of a chat object whose ``{`` has been read; yields it when messages begin."""
    stream = None
    for key in _keys(reader):
        if key == "messages" and stream is None:
            stream = ChatStream(reader, header, account=account)
            yield stream
            stream._finish()
        else:
            value = reader.value()
            if not isinstance(value, (dict, list)):
                header[key] = value
    if stream is None:  # a chat without messages
        yield ChatStream(None, header, account=account)


def chats(path: Path) -> Iterator[ChatStream]:
    """Every chat of the export at ``path``, in file order. Raises ``OSError``,
    ``UnicodeDecodeError`` and ``ExportSyntaxError``."""
    with path.open(encoding="utf-8-sig") as handle:
        reader = _Reader(handle)
        if reader.peek() != "{":
            # Valid JSON of another shape, or a syntax error with its position.
            raise ExportSyntaxError(f"is {json_kind(reader.value())}", shape=True)
        reader.pos += 1
        header: dict = {}
        found = False
        for key in _keys(reader):
            if key == "messages":
                found = True
                if reader.peek() != "[":
                    raise ExportSyntaxError("'messages' is not a list", shape=True)
                stream = ChatStream(reader, header, account=False)
                yield stream
                stream._finish()
            elif key in ("chats", "left_chats") and reader.peek() == "{":
                found = True
                reader.pos += 1
                for inner in _keys(reader):
                    if inner == "list" and reader.peek() == "[":
                        reader.pos += 1
                        for index, _ in enumerate(_entries(reader, "]")):
                            if reader.peek() != "{":
                                raise ExportSyntaxError(
                                    f"'{key}.list' item {index} is {json_kind(reader.value())}, not a chat",
                                    shape=True)
                            reader.pos += 1
                            yield from _chat(reader, {}, account=True)
                    else:
                        reader.value()
            else:
                value = reader.value()
                if not isinstance(value, (dict, list)):
                    header[key] = value
        if reader.peek():
            raise reader.error("extra data after the export")
        if not found:
            raise ExportSyntaxError("has no 'messages' and no 'chats' list", shape=True)


def json_kind(value: object) -> str:
    """What a JSON value is, in JSON's words (the export was written as JSON, not Python)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a JSON array"
    return "an object"
