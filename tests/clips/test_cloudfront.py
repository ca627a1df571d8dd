"""CloudFront signed URLs for S3 media when a distribution is configured."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.core.files.storage import default_storage
from django.test import Client

from plugins.clips import storage
from plugins.clips.models import PracticeClip
from tests.api.assertions import response_json

from .conftest import Clients, World
from .helpers import CLIPS, clip, commit, path_of, request_upload

pytestmark = pytest.mark.django_db

DOMAIN = "media.example.net"
KEY_PAIR_ID = "K2JCJMDEHXQW5F"


@pytest.fixture(scope="module")
def private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture
def cloudfront(settings: Any, private_key: rsa.RSAPrivateKey) -> rsa.RSAPublicKey:
    settings.PRACTIKA_CLOUDFRONT_DOMAIN = DOMAIN
    settings.PRACTIKA_CLOUDFRONT_KEY_ID = KEY_PAIR_ID
    settings.PRACTIKA_CLOUDFRONT_PRIVATE_KEY = _pem(private_key)
    return private_key.public_key()


def verified_expiry(url: str, public_key: rsa.RSAPublicKey) -> int:
    """Check a canned-policy CloudFront URL as CloudFront does; its expiry (epoch s)."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert set(query) == {"Expires", "Signature", "Key-Pair-Id"}
    assert query["Key-Pair-Id"] == [KEY_PAIR_ID]
    expires = int(query["Expires"][0])
    resource = f"{parts.scheme}://{parts.netloc}{parts.path}"
    policy = json.dumps(
        {
            "Statement": [
                {"Resource": resource, "Condition": {"DateLessThan": {"AWS:EpochTime": expires}}}
            ]
        },
        separators=(",", ":"),
    ).encode()
    # CloudFront's URL-safe base64: + = / become - _ ~
    signature = base64.b64decode(
        query["Signature"][0].replace("-", "+").replace("_", "=").replace("~", "/")
    )
    public_key.verify(signature, policy, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303
    return expires


def test_signed_url_verifies_with_the_public_key_and_expires(
    cloudfront: rsa.RSAPublicKey,
) -> None:
    key = "clips/0b5c/hls-1/360p/seg_00000.ts"
    url = storage.cloudfront_signed_url(key, expires_in=120)
    assert url.startswith(f"https://{DOMAIN}/{key}?")
    expires = verified_expiry(url, cloudfront)
    assert expires == pytest.approx(time.time() + 120, abs=5)
    # A URL for another object does not carry this signature.
    forged = url.replace("seg_00000", "seg_00001")
    with pytest.raises(InvalidSignature):
        verified_expiry(forged, cloudfront)
    past = storage.cloudfront_signed_url(key, expires_in=-60)
    assert verified_expiry(past, cloudfront) < time.time()


def test_the_private_key_may_be_a_pem_file(
    settings: Any, tmp_path: Path, private_key: rsa.RSAPrivateKey
) -> None:
    pem = tmp_path / "cloudfront.pem"
    pem.write_text(_pem(private_key))
    settings.PRACTIKA_CLOUDFRONT_DOMAIN = f"https://{DOMAIN}/"
    settings.PRACTIKA_CLOUDFRONT_KEY_ID = KEY_PAIR_ID
    settings.PRACTIKA_CLOUDFRONT_PRIVATE_KEY = str(pem)
    url = storage.cloudfront_signed_url("clips/x/poster.jpg", expires_in=60)
    assert url.startswith(f"https://{DOMAIN}/clips/x/poster.jpg?")
    verified_expiry(url, private_key.public_key())


def test_not_configured_without_all_three(settings: Any) -> None:
    settings.PRACTIKA_CLOUDFRONT_DOMAIN = DOMAIN
    settings.PRACTIKA_CLOUDFRONT_KEY_ID = ""
    assert not storage.cloudfront_configured()


def test_streams_on_s3_use_cloudfront_when_configured(
    s3_storage: tuple[str, str],
    cloudfront: rsa.RSAPublicKey,
    clients: Clients,
    world: World,
    h264_mp4: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    import requests

    data = h264_mp4.read_bytes()
    target = request_upload(
        clients.student, world.exercise, size_bytes=len(data), content_type="video/mp4"
    )
    answer = requests.put(target["url"], data=data, headers=target["headers"], timeout=30)
    assert answer.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert commit(clients.student, target["clip_id"]).status_code == 202
    made = clip(target["clip_id"])
    assert made.status == PracticeClip.Status.READY, (made.error_code, made.error_message)

    streams = response_json(clients.student.get(f"{CLIPS}{made.pk}/streams/"))
    for name in ("poster", "waveform"):
        assert streams[name].startswith(f"https://{DOMAIN}/clips/{made.pk}/"), name
        verified_expiry(streams[name], cloudfront)
    # The download keeps S3's presigned GET, which can name the file.
    assert "X-Amz-Signature=" in streams["original"]
    assert "attachment" in unquote(streams["original"])

    # Playlists are still rendered by Practika; their segments point at CloudFront.
    master = Client().get(path_of(streams["hls"])).content.decode()
    variant_url = urljoin(streams["hls"], next(u for u in master.splitlines() if u[:1] != "#"))
    variant = Client().get(path_of(variant_url)).content.decode()
    segments = [line for line in variant.splitlines() if line and not line.startswith("#")]
    assert segments
    client = default_storage.connection.meta.client  # type: ignore[attr-defined]
    bucket = default_storage.bucket_name  # type: ignore[attr-defined]
    for segment in segments:
        assert verified_expiry(segment, cloudfront) > time.time()
        key = unquote(urlsplit(segment).path).lstrip("/")
        stored = client.head_object(Bucket=bucket, Key=key)
        assert stored["ContentType"] == "video/mp2t"  # what CloudFront will serve
