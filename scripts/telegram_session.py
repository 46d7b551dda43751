"""Log a Telegram account in once and print its session string (``make telegram-session``).

The live content source reads channels as a user account, and a user account logs in with a
phone number, a login code and maybe a 2FA password: something a person does once, here, not a
Lambda. The result is a Telethon ``StringSession`` string that the source uses from then on.

API id and hash come from ``TELEGRAM_API_ID`` / ``TELEGRAM_API_HASH`` or are asked for; get them
at my.telegram.org → "API development tools". The phone, code and password prompts are
Telethon's own (``TelegramClient.start``); the password is read without echo.
"""
from __future__ import annotations

import asyncio
import getpass
import os
import sys
from typing import Callable, TextIO

SECRET_NAME = "podcasto/telegram-session"


def read_credentials(
    env: dict, ask: Callable[[str], str] = input, ask_secret: Callable[[str], str] = getpass.getpass
) -> tuple[int, str]:
    raw_id = env.get("TELEGRAM_API_ID") or ask("Telegram API id (my.telegram.org): ").strip()
    api_hash = env.get("TELEGRAM_API_HASH") or ask_secret("Telegram API hash (not echoed): ").strip()
    if not raw_id.isdigit():
        raise SystemExit("TELEGRAM_API_ID must be the whole number shown at my.telegram.org")
    if not api_hash:
        raise SystemExit("TELEGRAM_API_HASH is required")
    return int(raw_id), api_hash


def create_session(api_id: int, api_hash: str, client_cls=None) -> str:
    """Log in interactively and return the session string. Nothing is written to disk."""
    if client_cls is None:
        from telethon import TelegramClient

        client_cls = TelegramClient
    from telethon.sessions import StringSession

    async def login() -> str:
        # Created inside the loop, as TelethonSource does: the client binds to it on connect.
        client = client_cls(StringSession(), api_id, api_hash)
        # ``start`` prompts for the phone, the code Telegram sends, and the 2FA password if set.
        await client.start()
        try:
            return client.session.save()
        finally:
            await client.disconnect()

    return asyncio.run(login())


def advice(session: str) -> str:
    return f"""
Logged in. This is the session string, shown once; it is as good as your password:

{session}

Store it as a secret and never commit it:
  AWS:    aws secretsmanager create-secret --name {SECRET_NAME} --secret-string '<the string>'
          (then give its ARN as TELEGRAM_SESSION_SECRET_ARN)
  local:  export TELEGRAM_SESSION='<the string>'   (in your shell or an untracked .env)
To revoke it: Telegram → Settings → Devices → terminate this session; then run
`make telegram-session` again.
"""


def main(env: dict | None = None, out: TextIO = sys.stdout) -> int:
    api_id, api_hash = read_credentials(os.environ if env is None else env)
    session = create_session(api_id, api_hash)
    out.write(advice(session))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
