"""The object-store contract, run against S3ObjectStore on the local engine's S3 (moto's server on
loopback, by endpoint URL) and against the tests' in-memory double, so the double that the
unit tests use keeps S3's ETag rules."""
from __future__ import annotations

import io
import uuid

import pytest

from chalicelib.errors import ContentNotReady
from chalicelib.stores.objects import S3ObjectStore
from tests.doubles import MemoryObjects, s3_etag


@pytest.fixture(params=["s3", "memory"])
def objects(request):
    if request.param == "s3":
        engine = request.getfixturevalue("engine")
        return S3ObjectStore(engine.client("s3"), engine.bucket)
    return MemoryObjects()


def new_key() -> str:
    return f"podcasts/test/{uuid.uuid4()}/content.json"


def test_head_with_the_uploads_etag_finds_the_object_and_with_another_etag_does_not(objects):
    # WaitForContent's proof that it sees the very object CollectContent wrote.
    key = new_key()
    stored = objects.put(key, b'{"messages": []}', content_type="application/json")

    assert objects.head(key, etag='"0123456789abcdef0123456789abcdef"') is None
    found = objects.head(key, etag=stored.etag)
    assert found == stored
    assert objects.head(f"{key}.missing", etag=stored.etag) is None


def test_get_with_another_etag_is_content_not_ready_never_the_other_bytes(objects):
    key = new_key()
    first = objects.put(key, b"first", content_type="application/json")
    second = objects.put(key, b"second", content_type="application/json")

    with pytest.raises(ContentNotReady):
        objects.get(key, etag=first.etag)
    assert objects.get(key, etag=second.etag) == b"second"


def test_each_upload_gets_the_etag_of_its_bytes(objects):
    key = new_key()
    first = objects.put(key, b"first", content_type="application/json")
    again = objects.put(key, io.BytesIO(b"first"), content_type="application/json")
    second = objects.put(key, b"second", content_type="application/json")

    assert first.etag == again.etag == s3_etag(b"first")
    assert second.etag == s3_etag(b"second") != first.etag
    assert (second.bucket, second.key, second.size) == (objects.bucket, key, 6)


def test_without_an_etag_head_and_get_see_whatever_is_there_now(objects):
    key = new_key()
    objects.put(key, b"first", content_type="application/json")
    latest = objects.put(key, b"second", content_type="application/json")

    assert objects.head(key) == latest
    assert objects.get(key) == b"second"
    sink = io.BytesIO()
    objects.download(key, sink)
    assert sink.getvalue() == b"second"


def test_a_missing_object_is_none_to_head_and_content_not_ready_to_get(objects):
    key = new_key()

    assert objects.head(key) is None
    with pytest.raises(ContentNotReady):
        objects.get(key)
