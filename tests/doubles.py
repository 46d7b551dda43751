"""Test doubles shaped exactly like podcasto's seams (see chalicelib/stores/objects.py)."""
from __future__ import annotations

import hashlib

from chalicelib.errors import ContentNotReady
from chalicelib.stores.objects import StoredObject


def s3_etag(data: bytes) -> str:
    """The ETag S3 gives a single-part upload: the body's MD5 in hex, in double quotes."""
    return f'"{hashlib.md5(data).hexdigest()}"'


class MemoryObjects:
    """The ObjectStore protocol over a dict, with S3's ETag semantics: each put gets the body's
    ETag, and a head or get that names another ETag (a precondition, S3's ``IfMatch``) finds
    nothing, exactly as ``S3ObjectStore`` does on a 404 or 412. tests/functional/
    test_object_store.py runs the same contract against both."""

    bucket = "memory"

    def __init__(self):
        self.data: dict[str, bytes] = {}
        self.types: dict[str, str] = {}
        self.etags: dict[str, str] = {}
        self.puts: list[str] = []  # every key written, in order (a rewrite shows twice)

    def put(self, key, body, *, content_type):
        data = bytes(body) if isinstance(body, (bytes, bytearray)) else body.read()
        self.data[key], self.types[key], self.etags[key] = data, content_type, s3_etag(data)
        self.puts.append(key)
        return StoredObject(self.bucket, key, self.etags[key], len(data))

    def head(self, key, *, etag=None):
        if not self._matches(key, etag):
            return None
        return StoredObject(self.bucket, key, self.etags[key], len(self.data[key]))

    def get(self, key, *, etag=None):
        if not self._matches(key, etag):
            raise ContentNotReady(f"object {key} is not there (yet)")
        return self.data[key]

    def download(self, key, fileobj):
        fileobj.write(self.get(key))

    def presigned_url(self, key, *, expires_seconds):
        return f"memory://{key}"

    def _matches(self, key, etag) -> bool:
        return key in self.data and (not etag or self.etags[key] == etag)

# The show notes an LLM writer's answer carries beside its turns (chalicelib.script.llm_prompt).
LLM_NOTES = {"title": "This week", "summary": "What the channel posted this week.",
             "chapters": [{"title": "Everything this week", "turn": 0}]}
