"""Test doubles shaped exactly like podcasto's seams (see chalicelib/stores/objects.py)."""
from __future__ import annotations

from chalicelib.stores.objects import StoredObject


class MemoryObjects:
    """The ObjectStore protocol over a dict (the S3 adapter has its own tests on moto's S3)."""

    bucket = "memory"

    def __init__(self):
        self.data: dict[str, bytes] = {}
        self.types: dict[str, str] = {}
        self.puts: list[str] = []  # every key written, in order (a rewrite shows twice)

    def put(self, key, body, *, content_type):
        data = bytes(body) if isinstance(body, (bytes, bytearray)) else body.read()
        self.data[key], self.types[key] = data, content_type
        self.puts.append(key)
        return StoredObject(self.bucket, key, f'"{len(data)}"', len(data))

    def head(self, key, *, etag=None):
        return StoredObject(self.bucket, key, "", len(self.data[key])) if key in self.data else None

    def get(self, key, *, etag=None):
        return self.data[key]

    def download(self, key, fileobj):
        fileobj.write(self.data[key])

    def presigned_url(self, key, *, expires_seconds):
        return f"memory://{key}"


# The show notes an LLM writer's answer carries beside its turns (chalicelib.script.llm_prompt).
LLM_NOTES = {"title": "This week", "summary": "What the channel posted this week.",
             "chapters": [{"title": "Everything this week", "turn": 0}]}
