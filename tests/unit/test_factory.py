"""chalicelib.factory: the seams built from configuration, as a Lambda builds them."""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from chalicelib.config import Settings
from chalicelib.factory import Services


def test_audio_urls_on_aws_are_signed_with_sigv4_for_the_configured_lifetime(monkeypatch, tmp_path):
    # Throwaway credentials: presigning signs locally and sends nothing.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    services = Services(Settings(environ={"PODCASTO_STAGE": "prod", "CONTENT_BUCKET": "podcasto-prod",
                                          "AWS_REGION": "eu-west-1", "AUDIO_URL_EXPIRES_SECONDS": "900"}))

    url = urlparse(services.audio_url("podcasts/p/e/audio/podcast.mp3"))

    query = parse_qs(url.query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"] and query["X-Amz-Expires"] == ["900"]
    assert "/eu-west-1/s3/aws4_request" in query["X-Amz-Credential"][0]
    assert "AWSAccessKeyId" not in query  # botocore's SigV2 default, which S3 deprecated
    assert url.hostname.endswith("amazonaws.com") and url.path.endswith("podcasts/p/e/audio/podcast.mp3")
