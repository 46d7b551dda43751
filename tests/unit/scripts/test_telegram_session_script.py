import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "telegram_session.py"
spec = importlib.util.spec_from_file_location("telegram_session_script", SCRIPT)
telegram_session = importlib.util.module_from_spec(spec)
spec.loader.exec_module(telegram_session)


class FakeClient:
    """Stands in for TelegramClient: ``start`` "logs in" by giving the session an auth key."""

    made = []

    def __init__(self, session, api_id, api_hash):
        self.session, self.api_id, self.api_hash = session, api_id, api_hash
        self.disconnected = False
        FakeClient.made.append(self)

    async def start(self):
        from telethon.crypto import AuthKey

        self.session.set_dc(2, "149.154.167.51", 443)
        self.session.auth_key = AuthKey(b"\x02" * 256)

    async def disconnect(self):
        self.disconnected = True


def test_credentials_come_from_the_environment_without_prompting():
    def no_prompt(_):
        raise AssertionError("prompted")

    env = {"TELEGRAM_API_ID": "12345", "TELEGRAM_API_HASH": "abcdef"}
    assert telegram_session.read_credentials(env, no_prompt, no_prompt) == (12345, "abcdef")


def test_missing_credentials_are_asked_for_the_hash_without_echo():
    asked = []
    api_id, api_hash = telegram_session.read_credentials(
        {}, lambda q: asked.append(("input", q)) or " 777 ", lambda q: asked.append(("secret", q)) or "h4sh"
    )
    assert (api_id, api_hash) == (777, "h4sh")
    assert [kind for kind, _ in asked] == ["input", "secret"]


def test_a_non_numeric_api_id_stops_with_advice():
    with pytest.raises(SystemExit) as caught:
        telegram_session.read_credentials({"TELEGRAM_API_ID": "abc", "TELEGRAM_API_HASH": "x"})
    assert "TELEGRAM_API_ID" in str(caught.value)


def test_the_session_string_is_returned_and_the_client_disconnected():
    from telethon.sessions import StringSession

    session = telegram_session.create_session(12345, "abcdef", client_cls=FakeClient)
    client = FakeClient.made[-1]
    assert client.disconnected
    assert StringSession(session).auth_key.key == b"\x02" * 256


def test_advice_shows_the_string_once_and_how_to_store_it():
    text = telegram_session.advice("SESSION-STRING")
    assert text.count("SESSION-STRING") == 1
    assert "aws secretsmanager create-secret --name podcasto/telegram-session" in text
    assert "TELEGRAM_SESSION" in text
    assert "never commit" in text
