"""The Gemini script writer: one ``generateContent`` call (google-genai) per episode script.

google-genai's errors are translated here, once: throttling, 5xx and timeouts become
``SpeechThrottled`` (Step Functions retries; the SDK itself is left at its default of no retries
so backoff lives in one place), a refused key ``ConfigurationError``, any other 4xx
``ScriptRejected``. The API key never reaches a message or a chained traceback.
"""
from __future__ import annotations

import httpx
import httpx2
from google import genai
from google.genai import errors, types

from chalicelib.errors import ConfigurationError, ScriptRejected, SpeechThrottled
from chalicelib.script.base import Host, Script
from chalicelib.script.llm_prompt import build_prompt, cast, choose_material, parse_script
from chalicelib.script.stories import DEFAULT_TARGET_SECONDS, language_pace

# The SDK sends with httpx2 (its own dependency) or httpx; a timeout or a dropped connection
# from either is worth retrying.
_TRANSPORT_ERRORS = (httpx.TransportError, httpx2.TransportError)
_TRANSIENT_CODES = {408, 429}
_AUTH_REASONS = {"API_KEY_INVALID", "API_KEY_SERVICE_BLOCKED", "API_KEY_HTTP_REFERRER_BLOCKED"}
_DEFAULT_TIMEOUT_SECONDS = 300.0


class GeminiScriptWriter:
    """A ``ScriptWriter`` backed by a Gemini model; ``client`` is a ``google.genai.Client``."""

    def __init__(self, client, *, model: str, temperature: float = 0.7, words_per_minute: float | None = None,
                 max_output_tokens: int = 8000, style: str | None = None):
        self._client = client
        self._model = model
        self._temperature = temperature
        self._wpm = words_per_minute
        self._max_output_tokens = max_output_tokens
        self._style = style

    @classmethod
    def from_settings(
        cls,
        api_key: str,
        model: str,
        *,
        temperature: float = 0.7,
        words_per_minute: float | None = None,
        max_output_tokens: int = 8000,
        style: str | None = None,
        timeout_seconds: float = _DEFAULT_TIMEOUT_SECONDS,
        base_url: str | None = None,
    ) -> "GeminiScriptWriter":
        """Build the client the production way. ``base_url`` points it elsewhere (a loopback
        server in tests); ``timeout_seconds`` bounds one call, the Lambda's own limit aside."""
        if not api_key:
            # Without a key the SDK would quietly fall back to GOOGLE_API_KEY from the environment.
            raise ConfigurationError("GEMINI_API_KEY is not set")
        if not model:
            raise ConfigurationError("GEMINI_SCRIPT_MODEL is not set")
        options = types.HttpOptions(timeout=int(timeout_seconds * 1000), base_url=base_url)
        client = genai.Client(api_key=api_key, vertexai=False, http_options=options)
        return cls(client, model=model, temperature=temperature, words_per_minute=words_per_minute,
                   max_output_tokens=max_output_tokens, style=style)

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
        config = types.GenerateContentConfig(
            system_instruction=prompt.system,
            temperature=self._temperature,
            max_output_tokens=self._max_output_tokens,
            response_mime_type="application/json",
        )
        response = self._generate(prompt.user, config)
        script = parse_script(
            _answer(response), bundle=material, language=language, format=format, speakers=speakers,
        )
        script.selection = selection.to_json()
        return script

    def _generate(self, contents: str, config: types.GenerateContentConfig) -> types.GenerateContentResponse:
        try:
            return self._client.models.generate_content(model=self._model, contents=contents, config=config)
        except errors.APIError as exc:
            raise _translate(exc, self._model) from _chain(exc)
        except _TRANSPORT_ERRORS as exc:
            raise SpeechThrottled(f"Gemini did not answer in time ({type(exc).__name__})") from exc


def _answer(response: types.GenerateContentResponse) -> str:
    """The model's text, or ``ScriptRejected`` saying why there is none or it is cut short."""
    feedback = response.prompt_feedback
    if feedback is not None and feedback.block_reason is not None:
        raise ScriptRejected(f"Gemini blocked the prompt ({_name(feedback.block_reason)})")
    if not response.candidates:
        raise ScriptRejected("Gemini returned no candidate")
    reason = response.candidates[0].finish_reason
    if reason is not None and _name(reason) not in ("STOP", "FINISH_REASON_UNSPECIFIED"):
        # MAX_TOKENS leaves half a JSON document; SAFETY, RECITATION, ... leave none.
        raise ScriptRejected(f"Gemini stopped writing early ({_name(reason)})")
    return response.text or ""


def _name(value: object) -> str:
    return str(getattr(value, "value", value))


def _reasons(exc: errors.APIError) -> set[str]:
    """``google.rpc.ErrorInfo`` reasons in the error body (``API_KEY_INVALID``, ...)."""
    body = exc.details if isinstance(exc.details, dict) else {}
    details = (body.get("error") or {}).get("details") or []
    return {d.get("reason") for d in details if isinstance(d, dict) and d.get("reason")}


def _is_auth(exc: errors.APIError) -> bool:
    # A bad key is a 400 INVALID_ARGUMENT with reason API_KEY_INVALID, not a 401.
    return exc.code in (401, 403) or bool(_reasons(exc) & _AUTH_REASONS)


def _chain(exc: errors.APIError) -> BaseException | None:
    """The cause to chain: none for key errors, whose body may echo the key (DebugInfo)."""
    return None if _is_auth(exc) else exc


def _translate(exc: errors.APIError, model: str) -> Exception:
    status = exc.status or ""
    if exc.code in _TRANSIENT_CODES or exc.code >= 500 or status in ("RESOURCE_EXHAUSTED", "UNAVAILABLE"):
        return SpeechThrottled(f"Gemini is busy or over quota ({exc.code} {status})")
    if _is_auth(exc):
        reason = ", ".join(sorted(_reasons(exc))) or status
        return ConfigurationError(f"GEMINI_API_KEY was refused by the Gemini API ({exc.code} {reason})")
    if exc.code == 404:
        return ConfigurationError(f"GEMINI_SCRIPT_MODEL {model!r} is not a model the Gemini API serves")
    detail = f": {exc.message}" if exc.message else ""
    return ScriptRejected(f"Gemini refused the request ({exc.code} {status}){detail}")
