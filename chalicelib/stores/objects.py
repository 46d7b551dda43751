"""The object store: S3 through boto3 (moto's loopback server locally, by endpoint URL).

Every write returns the ETag S3 gave it, and every read can demand that ETag, so a reader
can prove it sees exactly the object the writer stored (the old design raced here).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Protocol

from chalicelib.errors import ContentNotReady, ObjectStoreRejected, ObjectStoreUnavailable

_TRANSIENT_CODES = {
    "SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "InternalError",
    "ServiceUnavailable", "503", "500",
}
_MISSING_CODES = {"404", "NoSuchKey", "NotFound", "412", "PreconditionFailed"}
# The longest a SigV4 presigned URL may live (S3 refuses longer ones).
MAX_PRESIGN_SECONDS = 7 * 24 * 3600


def s3_client_config():
    """The botocore config every S3 client of podcasto is built with.

    Signature Version 4 for presigned URLs: for backwards compatibility botocore presigns S3
    URLs with SigV2 unless told otherwise, which S3 has deprecated and refuses for SSE-KMS
    objects, and whose URLs carry no ``X-Amz-Expires``.
    """
    from botocore.config import Config

    return Config(signature_version="s3v4")


@dataclass(frozen=True)
class StoredObject:
    bucket: str
    key: str
    etag: str
    size: int

    def to_json(self) -> dict:
        return {"bucket": self.bucket, "key": self.key, "etag": self.etag, "size": self.size}


class ObjectStore(Protocol):
    bucket: str

    def put(self, key: str, body: bytes | IO[bytes], *, content_type: str) -> StoredObject: ...

    def head(self, key: str, *, etag: str | None = None) -> StoredObject | None: ...

    def get(self, key: str, *, etag: str | None = None) -> bytes: ...

    def download(self, key: str, fileobj: IO[bytes]) -> None: ...

    def presigned_url(self, key: str, *, expires_seconds: int) -> str: ...


class S3ObjectStore:
    def __init__(self, client, bucket: str):
        self._s3 = client
        self.bucket = bucket

    def put(self, key: str, body: bytes | IO[bytes], *, content_type: str) -> StoredObject:
        with _translated(key):
            response = self._s3.put_object(
                Bucket=self.bucket, Key=key, Body=body, ContentType=content_type
            )
        size = len(body) if isinstance(body, (bytes, bytearray)) else body.tell()
        return StoredObject(self.bucket, key, response["ETag"], size)

    def head(self, key: str, *, etag: str | None = None) -> StoredObject | None:
        """The object's metadata, or ``None`` when it is absent or has another ETag."""
        kwargs = {"Bucket": self.bucket, "Key": key}
        if etag:
            kwargs["IfMatch"] = etag
        try:
            with _translated(key):
                response = self._s3.head_object(**kwargs)
        except ContentNotReady:
            return None
        return StoredObject(self.bucket, key, response["ETag"], response["ContentLength"])

    def get(self, key: str, *, etag: str | None = None) -> bytes:
        kwargs = {"Bucket": self.bucket, "Key": key}
        if etag:
            kwargs["IfMatch"] = etag
        with _translated(key):
            return self._s3.get_object(**kwargs)["Body"].read()

    def download(self, key: str, fileobj: IO[bytes]) -> None:
        """Stream the object into ``fileobj`` 1 MiB at a time. (boto3's download_fileobj would
        hold up to ten 8 MiB ranges in flight: memory that a long episode does not need.)"""
        with _translated(key):
            body = self._s3.get_object(Bucket=self.bucket, Key=key)["Body"]
            for chunk in body.iter_chunks(1 << 20):
                fileobj.write(chunk)

    def presigned_url(self, key: str, *, expires_seconds: int) -> str:
        return self._s3.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires_seconds
        )


class _translated:
    """Turn botocore errors into podcasto errors, once, here."""

    def __init__(self, key: str):
        self._key = key

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is None:
            return False
        from botocore.exceptions import BotoCoreError, ClientError

        if isinstance(exc, ClientError):
            code = str(exc.response.get("Error", {}).get("Code", ""))
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code in _MISSING_CODES or status in (404, 412):
                raise ContentNotReady(f"s3 object {self._key} is not there (yet)") from exc
            if code in _TRANSIENT_CODES or (status or 0) >= 500:
                raise ObjectStoreUnavailable(f"s3 answered {code} for {self._key}") from exc
            raise ObjectStoreRejected(f"s3 refused {self._key}: {code}") from exc
        if isinstance(exc, BotoCoreError):
            raise ObjectStoreUnavailable(f"s3 unreachable for {self._key}: {type(exc).__name__}") from exc
        return False
