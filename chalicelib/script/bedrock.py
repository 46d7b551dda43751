"""The Bedrock script writer: one ``Converse`` call (boto3 ``bedrock-runtime``) per episode script.

Converse speaks the same request shape to every Bedrock chat model, so the model is only a
setting. botocore's errors are translated here, once: throttling, unavailability and timeouts
become ``SpeechThrottled`` (Step Functions retries), missing access or an unknown model
``ConfigurationError``, a request the model refuses ``ScriptRejected``.
"""
from __future__ import annotations

from botocore.exceptions import (
    BotoCoreError, ClientError, ConnectionError as BotoConnectionError, NoCredentialsError,
    ReadTimeoutError,
)

from chalicelib.errors import ConfigurationError, ScriptRejected, SpeechThrottled
from chalicelib.script.base import Host, Script
from chalicelib.script.llm_prompt import build_prompt, cast, choose_material, parse_script
from chalicelib.script.stories import DEFAULT_TARGET_SECONDS, language_pace

_TRANSIENT = {
    "ThrottlingException", "ServiceUnavailableException", "ModelTimeoutException",
    "InternalServerException", "ModelNotReadyException", "ModelErrorException",
}
_CONFIGURATION = {
    "AccessDeniedException", "ResourceNotFoundException", "UnrecognizedClientException",
    "ExpiredTokenException",
}
_DEFAULT_READ_TIMEOUT_SECONDS = 300


class BedrockScriptWriter:
    """A ``ScriptWriter`` backed by a Bedrock model; ``client`` is a ``bedrock-runtime`` client."""

    def __init__(
        self,
        client,
        *,
        model_id: str,
        temperature: float = 0.7,
        max_tokens: int = 8000,
        words_per_minute: float | None = None,
        style: str | None = None,
    ):
        self._client = client
        self._model_id = model_id
        self._temperature = temperature
        self._max_tokens = max_tokens
        self._wpm = words_per_minute
        self._style = style

    @classmethod
    def from_settings(
        cls,
        model_id: str,
        *,
        region: str | None = None,
        temperature: float = 0.7,
        max_tokens: int = 8000,
        words_per_minute: float | None = None,
        style: str | None = None,
        read_timeout_seconds: int = _DEFAULT_READ_TIMEOUT_SECONDS,
    ) -> "BedrockScriptWriter":
        """Build the client the production way. botocore's 60 s read timeout is shorter than a
        long script takes to write; its own retries are off so backoff lives in Step Functions."""
        import boto3
        from botocore.config import Config

        if not model_id:
            raise ConfigurationError("BEDROCK_MODEL_ID is not set")
        config = Config(read_timeout=read_timeout_seconds, retries={"mode": "standard", "max_attempts": 1})
        client = boto3.client("bedrock-runtime", region_name=region, config=config)
        return cls(
            client, model_id=model_id, temperature=temperature, max_tokens=max_tokens,
            words_per_minute=words_per_minute, style=style,
        )

    def write(
        self,
        bundle: dict,
        *,
        title: str,
        language: str,
        format: str,
        hosts: list[Host],
        target_seconds: float | None = None,
        style: str | None = None,
    ) -> Script:
        """``style``: the podcast's own house style, said after the deployment's SCRIPT_STYLE."""
        speakers = cast(hosts, language, format)
        target = target_seconds if target_seconds and target_seconds > 0 else DEFAULT_TARGET_SECONDS
        # The ranked, trimmed material, never the whole window (llm_prompt.choose_material).
        wpm = self._wpm or language_pace(language)  # None: the language's own spoken pace
        material, selection = choose_material(bundle, target_seconds=target, words_per_minute=wpm)
        prompt = build_prompt(
            material, title=title, language=language, speakers=speakers,
            target_seconds=target, words_per_minute=wpm, style=" ".join(s for s in (self._style, style) if s) or None,
        )
        response = self._converse(prompt.system, prompt.user)
        script = parse_script(
            _answer(response), bundle=material, language=language, format=format, speakers=speakers,
        )
        script.selection = selection.to_json()
        return script

    def _converse(self, system: str, user: str) -> dict:
        try:
            return self._client.converse(
                modelId=self._model_id,
                messages=[{"role": "user", "content": [{"text": user}]}],
                system=[{"text": system}],
                inferenceConfig={"temperature": self._temperature, "maxTokens": self._max_tokens},
            )
        except ClientError as exc:
            raise _translate(exc, self._model_id) from exc
        except (ReadTimeoutError, BotoConnectionError) as exc:
            raise SpeechThrottled(f"Bedrock did not answer in time ({type(exc).__name__})") from exc
        except NoCredentialsError as exc:
            raise ConfigurationError("no AWS credentials for Bedrock") from exc
        except BotoCoreError as exc:
            raise SpeechThrottled(f"Bedrock could not be reached ({type(exc).__name__})") from exc


def _answer(response: dict) -> str:
    """The assistant's text, or ``ScriptRejected`` when the model stopped before finishing."""
    reason = response.get("stopReason")
    if reason not in ("end_turn", "stop_sequence", None):
        # max_tokens leaves half a JSON document; guardrail_intervened and content_filtered none.
        raise ScriptRejected(f"Bedrock stopped writing early ({reason})")
    content = ((response.get("output") or {}).get("message") or {}).get("content") or []
    return "".join(block["text"] for block in content if isinstance(block, dict) and "text" in block)


def _translate(exc: ClientError, model_id: str) -> Exception:
    error = exc.response.get("Error") or {}
    code = error.get("Code") or "UnknownError"
    message = error.get("Message") or ""
    if code in _TRANSIENT:
        return SpeechThrottled(f"Bedrock is busy ({code})")
    if code in _CONFIGURATION:
        return ConfigurationError(f"BEDROCK_MODEL_ID {model_id!r} cannot be used: {code}: {message}".rstrip(": "))
    return ScriptRejected(f"Bedrock refused the request ({code}): {message}".rstrip(": "))
