"""WaitForContent: the object CollectContent wrote, proven readable by its ETag before anyone
reads it (the old design read S3 before the upload was there: NoSuchKey)."""
from __future__ import annotations

import pytest

from chalicelib.errors import ContentNotReady
from chalicelib.steps.collect import wait_for_content
from tests.doubles import MemoryObjects

KEY = "podcasts/p/e/content.json"


def event_for(stored, messages=3) -> dict:
    return {"content": {"bucket": stored.bucket, "key": stored.key, "etag": stored.etag,
                        "size": stored.size, "messages": messages}}


def test_the_object_with_the_uploads_etag_is_returned_with_the_message_count():
    objects = MemoryObjects()
    stored = objects.put(KEY, b'{"messages": [1, 2, 3]}', content_type="application/json")

    assert wait_for_content(event_for(stored), objects=objects) == {**stored.to_json(), "messages": 3}


def test_an_absent_object_is_content_not_ready_naming_the_key_and_etag():
    objects = MemoryObjects()
    stored = MemoryObjects().put(KEY, b"{}", content_type="application/json")  # stored elsewhere

    with pytest.raises(ContentNotReady, match=f"{KEY} with ETag {stored.etag}"):
        wait_for_content(event_for(stored), objects=objects)


def test_another_object_under_the_same_key_is_content_not_ready():
    # The key alone proves nothing: what is there now must be what CollectContent wrote.
    objects = MemoryObjects()
    written = objects.put(KEY, b'{"messages": [1]}', content_type="application/json")
    objects.put(KEY, b'{"messages": []}', content_type="application/json")

    with pytest.raises(ContentNotReady):
        wait_for_content(event_for(written), objects=objects)
