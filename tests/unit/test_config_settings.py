import re
from pathlib import Path

import pytest

from chalicelib.config import LOCAL_API_KEY, SETTINGS, Settings
from chalicelib.errors import ConfigurationError

ROOT = Path(__file__).resolve().parents[2]


CONFIGURATION = ROOT / "docs" / "configuration.md"


def test_every_setting_is_documented_in_the_configuration_page():
    readme = CONFIGURATION.read_text()
    assert [name for name in SETTINGS if f"`{name}`" not in readme] == []


def test_the_configuration_table_shows_each_default_the_code_uses():
    # The table is written by hand from SETTINGS; settings without a default describe theirs in words.
    cells = {}
    for line in CONFIGURATION.read_text().splitlines():
        found = re.match(r"^\| `([A-Z0-9_]+)`[^|]* \| (.*?) \| ", line)
        if found:
            cells[found.group(1)] = found.group(2)
    expected = {name: f"`{default}`" if default else "—"
                for name, (default, _) in SETTINGS.items() if default is not None}
    assert {name: cells.get(name) for name in expected} == expected


def test_every_make_variable_is_documented_in_the_configuration_page():
    makefile = (ROOT / "Makefile").read_text()
    names = set(re.findall(r"^(?:export )?([A-Z_]+) \?=", makefile, re.M))
    names |= set(re.findall(r"\$\((?:or|if) \$\(([A-Z_]+)\)", makefile))
    assert {"PORT", "LOCAL_SFN_PORT", "MALLOC_ARENA_MAX", "STAGE"} <= names  # the patterns still match
    readme = CONFIGURATION.read_text()
    assert sorted(name for name in names if f"`{name}`" not in readme) == []


def test_explicit_override_beats_environment_and_environment_beats_default():
    settings = Settings(overrides={"CONTENT_BUCKET": "explicit"}, environ={"CONTENT_BUCKET": "env"})
    assert settings.bucket == "explicit"
    assert Settings(environ={"CONTENT_BUCKET": "env"}).bucket == "env"
    assert Settings(environ={}).bucket == "podcasto-local"


def test_store_defaults_to_sqlite_locally_and_supabase_on_aws_stages():
    assert Settings(environ={}).episode_store == "sqlite"
    assert Settings(environ={"PODCASTO_STAGE": "prod"}).episode_store == "supabase"


def test_malformed_setting_names_the_variable_never_the_value():
    with pytest.raises(ConfigurationError) as raised:
        Settings(environ={"MAX_MESSAGES": "lots-of-them"}).integer("MAX_MESSAGES")
    assert "MAX_MESSAGES" in str(raised.value)
    assert "lots-of-them" not in str(raised.value)


def test_secret_resolved_from_a_reference_once_and_never_echoed():
    calls = []

    def resolver(kind, ref, region):
        calls.append((kind, ref))
        return "s3cr3t-value"

    settings = Settings(
        environ={"SUPABASE_KEY_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:1:secret:k"},
        secret_resolver=resolver,
    )
    assert settings.secret("SUPABASE_KEY") == "s3cr3t-value"
    assert settings.secret("SUPABASE_KEY") == "s3cr3t-value"
    assert calls == [("SECRET_ARN", "arn:aws:secretsmanager:us-east-1:1:secret:k")]


def test_missing_secret_names_every_accepted_variable():
    with pytest.raises(ConfigurationError, match="SUPABASE_KEY_SECRET_ARN"):
        Settings(environ={}).secret("SUPABASE_KEY")


def test_nothing_is_read_at_construction():
    class Exploding(dict):
        def get(self, *args):
            raise AssertionError("read too early")

    Settings(environ=Exploding())  # constructing reads nothing


@pytest.mark.parametrize("raw, expected", [(None, False), ("true", True), ("1", True), ("ON", True),
                                           ("false", False), ("0", False), ("no", False)])
def test_upload_photos_is_off_unless_turned_on(raw, expected):
    environ = {} if raw is None else {"UPLOAD_PHOTOS": raw}
    assert Settings(environ=environ).flag("UPLOAD_PHOTOS") is expected


def test_a_flag_that_is_neither_true_nor_false_names_the_variable():
    with pytest.raises(ConfigurationError, match="UPLOAD_PHOTOS"):
        Settings(environ={"UPLOAD_PHOTOS": "sometimes"}).flag("UPLOAD_PHOTOS")


@pytest.mark.parametrize("raw", ["nan", "inf", "-1", "0", "soon"])
def test_a_duration_setting_must_be_a_positive_finite_number(raw):
    with pytest.raises(ConfigurationError, match="SUPABASE_TIMEOUT_SECONDS must be a"):
        Settings(environ={"SUPABASE_TIMEOUT_SECONDS": raw}).optional_float("SUPABASE_TIMEOUT_SECONDS")


@pytest.mark.parametrize("stage", ["prod", "dev"])
def test_an_aws_stage_without_an_api_key_fails_closed(stage):
    with pytest.raises(ConfigurationError, match="PODCASTO_API_KEY"):
        Settings(environ={"PODCASTO_STAGE": stage}).api_key


def test_only_the_local_stage_has_a_default_api_key():
    assert Settings(environ={}).api_key == LOCAL_API_KEY
    assert Settings(environ={"PODCASTO_STAGE": "prod", "PODCASTO_API_KEY": "k"}).api_key == "k"


def test_a_whole_number_above_its_maximum_names_the_variable_and_the_bound():
    with pytest.raises(ConfigurationError, match="AUDIO_URL_EXPIRES_SECONDS must be at most 604800"):
        Settings(environ={"AUDIO_URL_EXPIRES_SECONDS": "604801"}).integer(
            "AUDIO_URL_EXPIRES_SECONDS", minimum=60, maximum=604800)
