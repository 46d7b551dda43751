"""S3ObjectStore's requests and its translation of S3's answers, with botocore's own Stubber on a
real S3 client: the exact calls podcasto makes, and every error S3 can answer that moto's server
cannot be made to (SlowDown, 503, a lost connection). What S3 really does with them is checked on
moto's S3 by tests/functional/test_object_store.py."""
from __future__ import annotations

import io

import boto3
import pytest
from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError
from botocore.response import StreamingBody
from botocore.stub import Stubber

from chalicelib.errors import ContentNotReady, ObjectStoreRejected, ObjectStoreUnavailable
from chalicelib.stores.objects import MAX_PRESIGN_SECONDS, S3ObjectStore, StoredObject, s3_client_config

BUCKET = "podcasto-test"
KEY = "podcasts/p/e/content.json"
ETAG = '"9a0364b9e99bb480dd25e1f0284c8555"'


@pytest.fixture
def s3():
    client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test",
                          config=s3_client_config())
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def body(data: bytes) -> StreamingBody:
    return StreamingBody(io.BytesIO(data), len(data))


def test_put_sends_the_body_and_type_and_returns_s3s_etag_and_the_size(s3):
    client, stubber = s3
    stubber.add_response("put_object", {"ETag": ETAG},
                         {"Bucket": BUCKET, "Key": KEY, "Body": b"content", "ContentType": "application/json"})
    assert S3ObjectStore(client, BUCKET).put(KEY, b"content", content_type="application/json") == StoredObject(
        BUCKET, KEY, ETAG, 7)


def test_a_streamed_put_is_sized_by_how_far_it_was_read(s3):
    client, stubber = s3
    stream = io.BytesIO(b"0123456789")
    stubber.add_response("put_object", {"ETag": ETAG},
                         {"Bucket": BUCKET, "Key": KEY, "Body": stream, "ContentType": "audio/mpeg"})
    stream.seek(10)  # what botocore leaves after sending it
    assert S3ObjectStore(client, BUCKET).put(KEY, stream, content_type="audio/mpeg").size == 10


def test_head_with_an_etag_asks_s3_to_match_it(s3):
    client, stubber = s3
    stubber.add_response("head_object", {"ETag": ETAG, "ContentLength": 42},
                         {"Bucket": BUCKET, "Key": KEY, "IfMatch": ETAG})
    assert S3ObjectStore(client, BUCKET).head(KEY, etag=ETAG) == StoredObject(BUCKET, KEY, ETAG, 42)


def test_head_without_an_etag_asks_for_whatever_is_there(s3):
    client, stubber = s3
    stubber.add_response("head_object", {"ETag": ETAG, "ContentLength": 1}, {"Bucket": BUCKET, "Key": KEY})
    assert S3ObjectStore(client, BUCKET).head(KEY).etag == ETAG


@pytest.mark.parametrize("code, status", [("404", 404), ("NoSuchKey", 404), ("PreconditionFailed", 412),
                                          ("412", 412)])
def test_head_of_an_absent_or_other_object_is_none(s3, code, status):
    client, stubber = s3
    stubber.add_client_error("head_object", service_error_code=code, http_status_code=status)
    assert S3ObjectStore(client, BUCKET).head(KEY, etag=ETAG) is None


def test_get_with_an_etag_asks_s3_to_match_it_and_returns_the_bytes(s3):
    client, stubber = s3
    stubber.add_response("get_object", {"Body": body(b"content")}, {"Bucket": BUCKET, "Key": KEY, "IfMatch": ETAG})
    stubber.add_response("get_object", {"Body": body(b"other")}, {"Bucket": BUCKET, "Key": KEY})
    store = S3ObjectStore(client, BUCKET)
    assert store.get(KEY, etag=ETAG) == b"content"
    assert store.get(KEY) == b"other"


def test_download_streams_the_whole_object_into_the_file(s3):
    client, stubber = s3
    data = bytes(range(256)) * 9000  # over 2 MiB: more than one 1 MiB chunk
    stubber.add_response("get_object", {"Body": body(data)}, {"Bucket": BUCKET, "Key": KEY})
    sink = io.BytesIO()
    S3ObjectStore(client, BUCKET).download(KEY, sink)
    assert sink.getvalue() == data


@pytest.mark.parametrize(
    "code, status, error, words",
    [
        ("NoSuchKey", 404, ContentNotReady, f"s3 object {KEY} is not there (yet)"),
        ("NotFound", 404, ContentNotReady, "is not there (yet)"),
        ("PreconditionFailed", 412, ContentNotReady, "is not there (yet)"),
        ("Whatever", 404, ContentNotReady, "is not there (yet)"),
        ("Whatever", 412, ContentNotReady, "is not there (yet)"),
        ("SlowDown", 503, ObjectStoreUnavailable, f"s3 answered SlowDown for {KEY}"),
        ("Throttling", 400, ObjectStoreUnavailable, "s3 answered Throttling"),
        ("ThrottlingException", 400, ObjectStoreUnavailable, "s3 answered ThrottlingException"),
        ("RequestTimeout", 400, ObjectStoreUnavailable, "s3 answered RequestTimeout"),
        ("InternalError", 500, ObjectStoreUnavailable, "s3 answered InternalError"),
        ("ServiceUnavailable", 503, ObjectStoreUnavailable, "s3 answered ServiceUnavailable"),
        ("503", 503, ObjectStoreUnavailable, "s3 answered 503"),
        ("500", 500, ObjectStoreUnavailable, "s3 answered 500"),
        ("Whatever", 502, ObjectStoreUnavailable, "s3 answered Whatever"),
        ("Whatever", 500, ObjectStoreUnavailable, "s3 answered Whatever"),
        ("AccessDenied", 403, ObjectStoreRejected, f"s3 refused {KEY}: AccessDenied"),
        ("NoSuchBucket", 400, ObjectStoreRejected, f"s3 refused {KEY}: NoSuchBucket"),
        ("InvalidRequest", 499, ObjectStoreRejected, "s3 refused"),
    ],
)
def test_s3s_errors_become_podcastos_naming_the_key(s3, code, status, error, words):
    client, stubber = s3
    stubber.add_client_error("get_object", service_error_code=code, http_status_code=status)
    with pytest.raises(error) as caught:
        S3ObjectStore(client, BUCKET).get(KEY)
    assert words in str(caught.value)
    assert type(caught.value) is error


@pytest.mark.parametrize("method, args", [("put", (KEY, b"x")), ("head", (KEY,)), ("get", (KEY,)),
                                          ("download", (KEY, io.BytesIO()))])
def test_every_call_translates_s3s_errors(s3, method, args):
    client, stubber = s3
    operation = {"put": "put_object", "head": "head_object", "get": "get_object", "download": "get_object"}[method]
    stubber.add_client_error(operation, service_error_code="SlowDown", http_status_code=503)
    kwargs = {"content_type": "application/json"} if method == "put" else {}
    with pytest.raises(ObjectStoreUnavailable, match=f"^s3 answered SlowDown for {KEY}$"):
        getattr(S3ObjectStore(client, BUCKET), method)(*args, **kwargs)


@pytest.mark.parametrize("failure", [EndpointConnectionError(endpoint_url="https://s3"),
                                     ConnectTimeoutError(endpoint_url="https://s3")])
def test_an_unreachable_s3_is_unavailable_naming_the_key_and_the_failure(failure):
    class Unreachable:
        def get_object(self, **kwargs):
            raise failure

    with pytest.raises(ObjectStoreUnavailable) as caught:
        S3ObjectStore(Unreachable(), BUCKET).get(KEY)
    assert str(caught.value) == f"s3 unreachable for {KEY}: {type(failure).__name__}"
    assert caught.value.__cause__ is failure


def test_our_own_bugs_pass_through_untranslated():
    class Broken:
        def get_object(self, **kwargs):
            raise KeyError("bug")

    with pytest.raises(KeyError):
        S3ObjectStore(Broken(), BUCKET).get(KEY)


def test_presigned_urls_are_signed_with_sigv4_for_the_lifetime_asked(s3):
    client, _ = s3
    url = S3ObjectStore(client, BUCKET).presigned_url(KEY, expires_seconds=900)
    assert f"/{KEY}" in url and "X-Amz-Expires=900" in url and "X-Amz-Algorithm=AWS4-HMAC-SHA256" in url
    assert MAX_PRESIGN_SECONDS == 7 * 24 * 3600


def test_a_stored_object_travels_between_states_as_four_named_fields():
    assert StoredObject(BUCKET, KEY, ETAG, 7).to_json() == {"bucket": BUCKET, "key": KEY, "etag": ETAG, "size": 7}
