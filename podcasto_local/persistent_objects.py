"""The local engine's objects kept under PODCASTO_HOME, so they survive a restart.

moto's S3 keeps objects in its process (small ones in memory, larger ones in temporary files
that vanish with it), and moto's server has no file-backed mode: after a restart of
`make local` a completed episode's ``audio_url`` was a 404, and a retry found no content.

Chosen: write-through at podcasto's own object-store seam, restore at engine start. Every
``put`` of the engine's tasks writes the object to ``$PODCASTO_HOME/s3/<bucket>/objects/<key>``
(and its content type beside it, under ``types/``) *before* storing it in moto, atomically
(temporary file + rename): whatever moto acknowledged is on disk, even after ``kill -9``. At
start the engine puts every kept object back into moto; a single-part upload's ETag is the MD5
of its bytes, so each object comes back with the ETag the episode recorded, and the ETag checks
(WaitForContent, the reuse path) hold across restarts. Reads are moto's, unchanged.

Rejected: a file-backed S3 front of our own (a second S3 implementation to keep honest, where
moto's is the real protocol); hooking moto's backend (internals, on every version bump);
dumping the bucket at stop (lost on ``kill -9``, which is exactly when it matters).

Only what podcasto's tasks write through this store is kept: objects put into the local bucket
by other means (the AWS CLI) live as long as the engine, as before.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import IO

from chalicelib.stores.objects import ObjectStore, StoredObject


class PersistentObjectStore:
    """An ``ObjectStore`` that keeps a copy of every object it puts under ``root``."""

    def __init__(self, inner: ObjectStore, root: Path):
        self.inner = inner
        self.bucket = inner.bucket
        self.root = Path(root)
        self._objects = self.root / "objects"
        self._types = self.root / "types"

    # -- the seam ------------------------------------------------------------------------------
    def put(self, key: str, body: bytes | IO[bytes], *, content_type: str) -> StoredObject:
        if isinstance(body, (bytes, bytearray)):
            self._keep(key, lambda out: out.write(body), content_type)
        else:
            start = body.tell()
            self._keep(key, lambda out: shutil.copyfileobj(body, out, 1 << 20), content_type)
            body.seek(start)
        return self.inner.put(key, body, content_type=content_type)

    def head(self, key: str, *, etag: str | None = None) -> StoredObject | None:
        return self.inner.head(key, etag=etag)

    def get(self, key: str, *, etag: str | None = None) -> bytes:
        return self.inner.get(key, etag=etag)

    def download(self, key: str, fileobj: IO[bytes]) -> None:
        self.inner.download(key, fileobj)

    def presigned_url(self, key: str, *, expires_seconds: int) -> str:
        return self.inner.presigned_url(key, expires_seconds=expires_seconds)

    # -- restart -------------------------------------------------------------------------------
    def restore(self) -> int:
        """Put every kept object back into the (fresh) engine's S3; returns how many."""
        if not self._objects.is_dir():
            return 0
        count = 0
        for path in sorted(self._objects.rglob("*")):
            if not path.is_file() or path.name.startswith(".tmp-"):
                continue
            key = path.relative_to(self._objects).as_posix()
            type_file = self._types / key
            content_type = type_file.read_text() if type_file.is_file() else "application/octet-stream"
            with open(path, "rb") as body:
                self.inner.put(key, body, content_type=content_type)
            count += 1
        return count

    def _keep(self, key: str, write, content_type: str) -> None:
        path = self._path(self._objects, key)
        _atomic_write(path, write)
        _atomic_write(self._path(self._types, key), lambda out: out.write(content_type.encode()))

    def _path(self, base: Path, key: str) -> Path:
        """``base/key``, refusing a key that would leave ``base`` (``..``, absolute)."""
        parts = key.split("/")
        if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
            raise ValueError(f"object key {key!r} cannot be kept on disk")
        return base.joinpath(*parts)


def _atomic_write(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as out:
            write(out)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def kept_objects(engine, settings) -> PersistentObjectStore:
    """The engine's bucket, kept under ``$PODCASTO_HOME/s3/<bucket>``."""
    from chalicelib.stores.objects import S3ObjectStore

    return PersistentObjectStore(S3ObjectStore(engine.client("s3"), settings.bucket),
                                 settings.home / "s3" / settings.bucket)
