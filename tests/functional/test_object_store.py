"""S3ObjectStore against the local engine's S3 (moto's server on loopback, by endpoint URL)."""
from __future__ import annotations

import uuid

import pytest

from chalicelib.errors import ContentNotReady
from chalicelib.stores.objects import S3ObjectStore


@pytest.fixture
def objects(engine) -> S3ObjectStore:
    return S3ObjectStore(engine.client("s3"), engine.bucket)


def test_head_with_the_uploads_etag_finds_the_object_and_with_another_etag_does_not(objects):
    # WaitForContent's proof that it sees the very object CollectContent wrote.
    key = f"podcasts/test/{uuid.uuid4()}/content.json"
    stored = objects.put(key, b'{"messages": []}', content_type="application/json")

    assert objects.head(key, etag='"0123456789abcdef0123456789abcdef"') is None
    found = objects.head(key, etag=stored.etag)
    assert found == stored
    assert objects.head(f"{key}.missing", etag=stored.etag) is None


def test_get_with_another_etag_is_content_not_ready_never_the_other_bytes(objects):
    key = f"podcasts/test/{uuid.uuid4()}/content.json"
    first = objects.put(key, b"first", content_type="application/json")
    objects.put(key, b"second", content_type="application/json")

    with pytest.raises(ContentNotReady):
        objects.get(key, etag=first.etag)
