"""PUT /podcasts/{id}/image: cover art checked against Apple's rules, stored, and named by the podcast."""
from __future__ import annotations

import io
import uuid

import pytest
from chalice.test import Client
from PIL import Image

from app import app
from tests.conftest import API_KEY
from tests.functional.test_api_contract import check


@pytest.fixture
def client(services):
    with Client(app) as test_client:
        yield test_client


def image_bytes(size=(1400, 1400), mode="RGB", format="PNG") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "#336699" if mode in ("RGB", "RGBA") else 0).save(out, format=format)
    return out.getvalue()


def put(client, podcast_id, body: bytes, content_type="image/png", headers=None):
    return client.http.put(f"/podcasts/{podcast_id}/image", body=body, headers={
        "X-Api-Key": API_KEY, "Content-Type": content_type, **(headers or {})})


@pytest.mark.parametrize("format, content_type, extension", [
    ("PNG", "image/png", "png"), ("JPEG", "image/jpeg", "jpg")])
def test_an_acceptable_image_is_stored_and_becomes_the_podcasts_cover(
        client, services, podcast_for, small_export, format, content_type, extension):
    podcast = podcast_for(small_export)
    body = image_bytes(format=format, size=(3000, 3000))

    response = put(client, podcast.id, body, content_type)

    assert response.status_code == 200, response.body
    check(response, "/podcasts/{podcast_id}/image", "put")
    key = f"podcasts/{podcast.id}/cover.{extension}"
    assert response.json_body["image"] == key
    assert response.headers["ETag"] == f'"v{services.episodes.get_podcast(podcast.id).version}"'
    assert services.episodes.get_podcast(podcast.id).image == key
    assert services.objects.get(key) == body


@pytest.mark.parametrize("body, content_type, problem", [
    (image_bytes(size=(1000, 1000)), "image/png", "1000x1000 pixels is outside 1400-3000 pixels a side"),
    (image_bytes(size=(3001, 3001)), "image/png", "outside 1400-3000"),
    (image_bytes(size=(1600, 1400)), "image/png", "1600x1400 pixels is not square"),
    (image_bytes(mode="RGBA"), "image/png", "colour mode RGBA is not RGB"),
    (image_bytes(mode="CMYK", format="JPEG"), "image/jpeg", "colour mode CMYK is not RGB"),
    (image_bytes(mode="L"), "image/png", "colour mode L is not RGB"),
    (image_bytes(format="GIF", mode="P"), "image/gif", "format GIF is not accepted (JPEG or PNG)"),
    (b"GIF89a" + b"\0" * 100, "image/gif", "not an image"),
    (b"<script>alert(1)</script>", "application/octet-stream", "not an image"),
    (image_bytes()[:400], "image/png", "truncated or corrupt"),
    (b"", "image/png", "the request body is empty"),
])
def test_unacceptable_images_are_a_400_naming_what_is_wrong_and_change_nothing(
        client, services, podcast_for, small_export, body, content_type, problem):
    # Its own id: the engine's bucket lives for the whole session.
    podcast = podcast_for(small_export, podcast_id=f"cover-{uuid.uuid4().hex[:12]}")

    response = put(client, podcast.id, body, content_type)

    assert response.status_code == 400, response.body
    assert problem in response.json_body["message"]
    assert response.json_body["message"].startswith("image: ")
    assert services.episodes.get_podcast(podcast.id).image is None
    assert services.objects.head(f"podcasts/{podcast.id}/cover.png") is None


def test_unknown_podcast_stale_version_and_missing_key(client, services, podcast_for, small_export):
    podcast = podcast_for(small_export)
    assert put(client, "no-such-podcast", image_bytes()).status_code == 404
    stale = put(client, podcast.id, image_bytes(), headers={"If-Match": '"v999"'})
    assert stale.status_code == 412
    refused = client.http.put(f"/podcasts/{podcast.id}/image", body=image_bytes(),
                              headers={"Content-Type": "image/png"})
    assert refused.status_code == 401
    assert services.episodes.get_podcast(podcast.id).image is None


def test_an_image_over_4_mib_is_refused_naming_the_limit(client, services, podcast_for, small_export):
    podcast = podcast_for(small_export, podcast_id=f"cover-{uuid.uuid4().hex[:12]}")
    response = put(client, podcast.id, image_bytes() + b"\0" * (4 * 1024 * 1024))
    assert response.status_code == 400
    assert "is larger than 4194304 bytes" in response.json_body["message"]
