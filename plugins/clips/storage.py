"""The clip side of storage: keys, local temp files, S3 presigning, copying in chunks.

Everything goes through Django's storages API, so the same code runs on local files and S3;
only presigning (which the storages API lacks) talks to boto3 directly, and CloudFront URLs
are signed with botocore's ``CloudFrontSigner`` when a distribution is configured.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import shutil
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, Protocol
from urllib.parse import quote

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage

CHUNK_SIZE = 1024 * 1024
#: Content types of the pipeline's outputs, stored with each object on S3.
STORED_CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".jpg": "image/jpeg",
    ".vtt": "text/vtt",
    ".json": "application/json",
}


def uses_s3() -> bool:
    return str(settings.PRACTIKA_STORAGE) == "s3"


def upload_temp_dir() -> Path:
    path = Path(settings.PRACTIKA_UPLOAD_TEMP_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


class _MovableFile(File):  # type: ignore[type-arg]  # File is generic in the stubs only
    """A finished temp file that FileSystemStorage moves into place instead of copying."""

    def temporary_file_path(self) -> str:
        return str(self.name)


class _TypedFile(File):  # type: ignore[type-arg]  # File is generic in the stubs only
    """A file with the content type S3 stores with the object (django-storages reads
    ``content_type``). CloudFront serves that type, and guessing from the name is wrong for
    ``.ts`` (the system's mime.types may call it Qt Linguist)."""

    def __init__(self, handle: BinaryIO, *, name: str, content_type: str | None) -> None:
        super().__init__(handle, name=name)
        self.content_type = content_type


def store_local_file(path: Path, key: str) -> str:
    """Put a finished local file at ``key`` (replacing what was there); returns the key."""
    if default_storage.exists(key):
        default_storage.delete(key)
    with path.open("rb") as handle:
        movable = _MovableFile(handle, name=str(path))
        saved = default_storage.save(key, movable)
    if saved != key:  # the storages API may rename on a clash; ours never clash
        raise RuntimeError(f"storage saved {key} as {saved}")
    return key


def store_tree(local_dir: Path, prefix: str) -> list[str]:
    """Store every file under ``local_dir`` at ``prefix`` keeping relative paths (hard links
    on local disk, see :func:`store_local_file_link`)."""
    return [
        store_local_file_link(
            path, f"{prefix.rstrip('/')}/{path.relative_to(local_dir).as_posix()}"
        )
        for path in sorted(p for p in local_dir.rglob("*") if p.is_file())
    ]


def local_path(key: str) -> Path | None:
    """The file behind ``key`` when storage is the local disk, else None (S3)."""
    if uses_s3():
        return None
    try:
        return Path(default_storage.path(key))
    except NotImplementedError:  # a storage without local files
        return None


def store_local_file_link(path: Path, key: str) -> str:
    """Put a finished local file at ``key`` without copying its bytes where possible.

    On local disk it becomes a hard link, so the local file stays usable (ffmpeg may still
    read it) and the two never differ: ffmpeg writes each output under a temporary name and
    renames it, so no file is rewritten in place. The link replaces ``key`` atomically, as a
    player may be reading it. Another filesystem, or S3, gets a copy.
    """
    target = local_path(key)
    if target is None:
        return store_local_file_copy(path, key)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.link")
    try:
        os.link(path, temporary)
    except OSError:  # EXDEV (work dir on another filesystem), or links not allowed
        return store_local_file_copy(path, key)
    os.replace(temporary, target)
    return key


def fetch_to_local(key: str, dest: Path) -> Path:
    with default_storage.open(key, "rb") as source, dest.open("wb") as target:
        shutil.copyfileobj(source, target, CHUNK_SIZE)
    return dest


def readable_local_file(key: str, dest: Path) -> Path:
    """A local file with the content of ``key`` for ffmpeg to read: on local disk the stored
    file itself (no copy; ffmpeg only reads it), else a copy fetched to ``dest``."""
    stored = local_path(key)
    if stored is not None and stored.is_file():
        return stored
    return fetch_to_local(key, dest)


class Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


def sha256_of_stream(stream: Readable) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(CHUNK_SIZE), b""):
        digest.update(chunk)
    return digest.hexdigest()


def sha256_of_key(key: str) -> str:
    with default_storage.open(key, "rb") as stream:
        return sha256_of_stream(stream)


def delete_prefix(prefix: str) -> int:
    """Delete every object under ``prefix`` (and, on local disk, its folders)."""
    deleted = _delete_objects(prefix.rstrip("/"))
    if not uses_s3():
        with contextlib.suppress(NotImplementedError):
            shutil.rmtree(default_storage.path(prefix.rstrip("/")), ignore_errors=True)
    return deleted


def _delete_objects(prefix: str) -> int:
    deleted = 0
    try:
        directories, files = default_storage.listdir(prefix)
    except (FileNotFoundError, NotADirectoryError):
        return 0
    for name in files:
        default_storage.delete(f"{prefix}/{name}")
        deleted += 1
    for directory in directories:
        deleted += _delete_objects(f"{prefix}/{directory}")
    return deleted


def delete_keys(keys: Iterable[str]) -> None:
    for key in keys:
        if key:
            default_storage.delete(key)


# --- S3 ----------------------------------------------------------------------------------
def _s3() -> tuple[Any, str]:
    client = default_storage.connection.meta.client  # type: ignore[attr-defined]  # S3Storage
    return client, str(default_storage.bucket_name)  # type: ignore[attr-defined]


def s3_presigned_put(key: str, *, content_type: str, size: int | None, expires_in: int) -> str:
    client, bucket = _s3()
    params: dict[str, Any] = {"Bucket": bucket, "Key": key, "ContentType": content_type}
    if size is not None:
        params["ContentLength"] = size
    return str(client.generate_presigned_url("put_object", Params=params, ExpiresIn=expires_in))


def s3_presigned_get(
    key: str,
    *,
    expires_in: int,
    content_type: str | None = None,
    content_disposition: str | None = None,
) -> str:
    client, bucket = _s3()
    params: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if content_type:
        params["ResponseContentType"] = content_type
    if content_disposition:
        params["ResponseContentDisposition"] = content_disposition
    return str(client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in))


def s3_multipart_start(key: str, *, content_type: str) -> str:
    client, bucket = _s3()
    answer = client.create_multipart_upload(Bucket=bucket, Key=key, ContentType=content_type)
    return str(answer["UploadId"])


def s3_multipart_part_url(key: str, *, upload_id: str, part_number: int, expires_in: int) -> str:
    client, bucket = _s3()
    params = {"Bucket": bucket, "Key": key, "UploadId": upload_id, "PartNumber": part_number}
    return str(client.generate_presigned_url("upload_part", Params=params, ExpiresIn=expires_in))


class S3RequestError(Exception):
    """S3 refused a request (its error code and message), e.g. a part that is missing."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def s3_multipart_complete(key: str, *, upload_id: str, parts: list[dict[str, Any]]) -> None:
    """``parts``: ``[{"PartNumber": n, "ETag": etag}, ...]`` in ascending order."""
    from botocore.exceptions import ClientError

    client, bucket = _s3()
    try:
        client.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
        )
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise S3RequestError(str(error.get("Code", "")), str(error.get("Message", ""))) from exc


def s3_multipart_abort(key: str, *, upload_id: str) -> None:
    """Abort an unfinished multipart upload; one S3 no longer knows is fine."""
    from botocore.exceptions import ClientError

    client, bucket = _s3()
    try:
        client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "NoSuchUpload":
            raise


def store_local_file_copy(path: Path, key: str) -> str:
    """Copy one local file to ``key`` (the local file stays, e.g. for ffmpeg)."""
    if default_storage.exists(key):
        default_storage.delete(key)
    with path.open("rb") as handle:
        content_type = STORED_CONTENT_TYPES.get(path.suffix.lower())
        default_storage.save(key, _TypedFile(handle, name=path.name, content_type=content_type))
    return key


# --- CloudFront ----------------------------------------------------------------------------
def cloudfront_configured() -> bool:
    return bool(
        getattr(settings, "PRACTIKA_CLOUDFRONT_DOMAIN", "")
        and getattr(settings, "PRACTIKA_CLOUDFRONT_KEY_ID", "")
        and getattr(settings, "PRACTIKA_CLOUDFRONT_PRIVATE_KEY", "")
    )


@functools.lru_cache(maxsize=4)
def _cloudfront_rsa_signer(pem_or_path: str) -> Callable[[bytes], bytes]:
    """RSA-SHA1 over PKCS#1 v1.5, the signature CloudFront's signed URLs use; the key is a
    PEM text or the path of a PEM file (loaded once per value)."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    pem = pem_or_path.encode() if "-----BEGIN" in pem_or_path else Path(pem_or_path).read_bytes()
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("PRACTIKA_CLOUDFRONT_PRIVATE_KEY must be an RSA private key")

    def sign(message: bytes) -> bytes:
        return key.sign(message, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303  # CloudFront's

    return sign


def cloudfront_url(key: str) -> str:
    domain = str(settings.PRACTIKA_CLOUDFRONT_DOMAIN).rstrip("/")
    base = domain if "://" in domain else f"https://{domain}"
    return f"{base}/{quote(key)}"


def cloudfront_signed_url(key: str, *, expires_in: int) -> str:
    """A CloudFront URL of ``key`` with a canned-policy signature valid ``expires_in`` s."""
    from botocore.signers import CloudFrontSigner

    signer = CloudFrontSigner(
        str(settings.PRACTIKA_CLOUDFRONT_KEY_ID),
        _cloudfront_rsa_signer(str(settings.PRACTIKA_CLOUDFRONT_PRIVATE_KEY)),
    )
    expires = datetime.now(tz=UTC) + timedelta(seconds=expires_in)
    return str(signer.generate_presigned_url(cloudfront_url(key), date_less_than=expires))
