"""chalicelib.factory: the seams built from configuration, as a Lambda builds them — the speech
provider per podcast and language (refused before any content is collected when it cannot
work), the writers' settings, the audio URL."""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from chalicelib.config import Settings
from chalicelib.errors import ConfigurationError, InvalidInput
from chalicelib.factory import Services


def services(**environ) -> Services:
    return Services(Settings(environ=environ))


def test_locally_every_language_defaults_to_the_offline_engine():
    svc = services()
    assert (svc.speech_provider("en"), svc.speech_provider("he")) == ("espeak", "espeak")


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_on_aws_english_defaults_to_polly_and_hebrew_to_gemini(stage):
    svc = services(PODCASTO_STAGE=stage)
    assert (svc.speech_provider("en"), svc.speech_provider("he")) == ("polly", "gemini")


def test_a_per_language_setting_beats_the_global_one():
    svc = services(SPEECH_PROVIDER="gemini", SPEECH_PROVIDER_EN="polly")
    assert (svc.speech_provider("en"), svc.speech_provider("he")) == ("polly", "gemini")


def test_an_unknown_provider_is_a_configuration_error_naming_the_setting():
    with pytest.raises(ConfigurationError, match="SPEECH_PROVIDER_EN / SPEECH_PROVIDER must be one of"):
        services(SPEECH_PROVIDER="festival").speech_provider("en")


def test_polly_for_hebrew_is_refused_as_invalid_input():
    with pytest.raises(InvalidInput, match="Amazon Polly"):
        services(SPEECH_PROVIDER_HE="polly").check_speech("he")


def test_gemini_without_its_key_is_refused_naming_the_variable():
    with pytest.raises(ConfigurationError, match="GEMINI_API_KEY"):
        services(PODCASTO_STAGE="prod").check_speech("he")


def test_gemini_with_its_key_passes():
    services(PODCASTO_STAGE="prod", GEMINI_API_KEY="k").check_speech("he")


def test_espeak_is_refused_on_aws_where_it_is_not_deployed():
    with pytest.raises(ConfigurationError, match="espeak is not deployed on AWS"):
        services(PODCASTO_STAGE="prod", SPEECH_PROVIDER="espeak").check_speech("en")


def test_espeak_passes_locally():
    services(SPEECH_PROVIDER="espeak").check_speech("he")


@pytest.mark.parametrize("provider", ["espeak", "polly", "gemini"])
def test_the_segment_cache_key_model_names_the_voices_each_role_maps_to(monkeypatch, provider):
    """A changed voice table (or engine setting) must never reuse audio cached under the old one."""
    import importlib

    module = importlib.import_module({"espeak": "chalicelib.audio.espeak", "polly": "chalicelib.audio.polly",
                                      "gemini": "chalicelib.audio.gemini_tts"}[provider])
    table = "VOICES" if provider == "espeak" else "DEFAULT_VOICES"
    svc = services(GEMINI_API_KEY="k")
    before = svc.speech_model(provider)
    changed = {k: (dict(v, host_b="other") if isinstance(v, dict) else "other") for k, v in getattr(module, table).items()}
    monkeypatch.setattr(module, table, changed)
    assert svc.speech_model(provider) != before


def test_the_segment_cache_key_model_follows_the_polly_engine_setting():
    assert services(POLLY_ENGINE="standard").speech_model("polly") != services().speech_model("polly")


def test_the_llm_writers_take_their_style_and_output_cap_from_configuration(monkeypatch):
    from chalicelib.script import bedrock

    built = {}
    monkeypatch.setattr(bedrock.BedrockScriptWriter, "from_settings",
                        classmethod(lambda cls, model_id, **kwargs: built.update(kwargs, model_id=model_id)))
    services(SCRIPT_WRITER="bedrock", SCRIPT_STYLE="Keep it light.", SCRIPT_MAX_OUTPUT_TOKENS="3000").writer
    assert (built["style"], built["max_tokens"], built["model_id"]) == (
        "Keep it light.", 3000, "anthropic.claude-3-5-haiku-20241022-v1:0")


def test_a_malformed_output_cap_names_the_setting():
    with pytest.raises(ConfigurationError, match="SCRIPT_MAX_OUTPUT_TOKENS"):
        services(SCRIPT_WRITER="bedrock", SCRIPT_MAX_OUTPUT_TOKENS="lots").writer


def test_a_podcasts_own_speech_provider_beats_the_settings():
    from chalicelib.stores.episodes import Podcast

    svc = services(PODCASTO_STAGE="prod", SPEECH_PROVIDER_EN="polly")
    own = Podcast(id="p", title="P", speech_provider="gemini")
    assert svc.speech_provider("en", own) == "gemini"
    assert svc.speech_provider("en", Podcast(id="q", title="Q")) == "polly"


def test_a_podcast_choosing_polly_for_hebrew_is_refused_naming_the_podcast():
    from chalicelib.stores.episodes import Podcast

    with pytest.raises(InvalidInput, match="podcast 'hebrew-news' \\(speech_provider\\)"):
        services().check_speech("he", Podcast(id="hebrew-news", title="H", language="he", speech_provider="polly"))


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


def test_the_speech_plan_pairs_the_chosen_provider_with_its_model_and_segment_limit():
    from chalicelib.audio.segments import MAX_CHARS
    from chalicelib.stores.episodes import Podcast

    svc = services(GEMINI_API_KEY="k")
    plan = svc.speech_plan("he", Podcast(id="p", title="P", language="he", speech_provider="gemini"))
    assert (plan.provider, plan.model, plan.max_chars) == ("gemini", svc.speech_model("gemini"), MAX_CHARS["gemini"])
    assert svc.speech_plan("en").provider == "espeak"
