"""The local engine's objects under PODCASTO_HOME: kept on every put, restored into a fresh
engine's S3 with the same bytes, content type and ETag."""
from __future__ import annotations

import io
import uuid

import pytest

from chalicelib.stores.objects import S3ObjectStore
from podcasto_local.persistent_objects import PersistentObjectStore


@pytest.fixture
def fresh_bucket(engine):
    """A bucket of its own: what a restarted engine's empty S3 is to the kept objects."""
    def make() -> S3ObjectStore:
        name = f"podcasto-{uuid.uuid4().hex[:12]}"
        engine.client("s3").create_bucket(Bucket=name)
        return S3ObjectStore(engine.client("s3"), name)
    return make


def test_what_was_put_comes_back_after_a_restart_with_its_etag_and_type(engine, fresh_bucket, tmp_path):
    before = PersistentObjectStore(fresh_bucket(), tmp_path / "s3")
    content = before.put("podcasts/p/e/content.json", b'{"messages": [1]}', content_type="application/json")
    audio_bytes = b"ID3" + bytes(range(256)) * 2000  # ~0.5 MB: moto spools it to a file
    stream = io.BytesIO(audio_bytes)
    audio = before.put("podcasts/p/e/audio/podcast.mp3", stream, content_type="audio/mpeg")
    assert stream.tell() == len(audio_bytes)  # the caller's stream is left as S3's put leaves it

    after = PersistentObjectStore(fresh_bucket(), tmp_path / "s3")
    assert after.head(content.key) is None
    assert after.restore() == 2

    assert after.head(content.key, etag=content.etag) is not None
    assert after.get(audio.key, etag=audio.etag) == audio_bytes
    response = engine.client("s3").head_object(Bucket=after.bucket, Key=audio.key)
    assert response["ContentType"] == "audio/mpeg"
    kept = sorted(p.name for p in (tmp_path / "s3").rglob("*") if p.is_file())
    assert kept == ["content.json", "content.json", "podcast.mp3", "podcast.mp3"]  # no temporary files left


@pytest.mark.parametrize("key", ["../outside", "podcasts/../../x", "/abs", "", "a//b"])
def test_a_key_that_would_leave_the_folder_is_refused(fresh_bucket, tmp_path, key):
    kept = PersistentObjectStore(fresh_bucket(), tmp_path / "s3")
    with pytest.raises(ValueError, match="cannot be kept"):
        kept.put(key, b"x", content_type="text/plain")
    assert not (tmp_path / "outside").exists()
