"""Offline speech with espeak-ng, for development and tests (never imported on Lambda).

The ``espeakng-loader`` wheel bundles libespeak-ng and its data, so nothing outside pip is needed.
We call the library in-process through ctypes in ``AUDIO_OUTPUT_SYNCHRONOUS`` mode: ``espeak_Synth``
returns only after the callback has received every sample, on the calling thread, with no
audio thread of its own. A subprocess per call would cost ~10x the synthesis of a typical turn.

Determinism. libespeak-ng keeps process-global state that changes every utterance: function
statics in the wave generator (the pitch-flutter index) and a random generator seeded from the
environment. Measured: the same text and voice twice in one process gave different samples and
even different lengths, and ``espeak_Terminate`` + ``espeak_Initialize`` does not reset those
statics. So each call loads the library afresh (``dlopen``), fixes the seed
(``espeak_ng_SetRandSeed``), synthesises, terminates and ``dlclose``s it: the same text, voice and
rate then give the same bytes in any order, thread or process, for ~4 ms a call.
A ``_LOCK`` serialises calls: the C library is one global instance, and its callback is shared.
"""
from __future__ import annotations

import ctypes
import threading

from chalicelib.audio.base import chosen_voice
from chalicelib.errors import AudioRejected, ConfigurationError, InvalidInput

# speak_lib.h constants (API revision 12).
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_PARAM_RATE = 1
_EE_OK = 0

# Two clearly different voices per language: a male and a female variant of the same language.
DEFAULT_RATE_WPM = 165
VOICES: dict[str, dict[str, str]] = {
    "en": {"host_a": "en+m3", "host_b": "en+f3", "narrator": "en+m3"},
    "he": {"host_a": "he+m3", "host_b": "he+f3", "narrator": "he+m3"},
}


class _Event(ctypes.Structure):
    # espeak_EVENT; we never read events, but the callback signature needs the pointer type.
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_void_p),
    ]


_Callback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)

_LOCK = threading.Lock()


_SEED = 1  # any fixed value: the breath noise of the female variants draws on espeak's generator


def _bind(lib: ctypes.CDLL) -> None:
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_Initialize.restype = ctypes.c_int
    lib.espeak_SetSynthCallback.argtypes = [_Callback]
    lib.espeak_SetSynthCallback.restype = None
    lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
    lib.espeak_ng_SetRandSeed.restype = ctypes.c_int
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetVoiceByName.restype = ctypes.c_int
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_SetParameter.restype = ctypes.c_int
    lib.espeak_Synth.argtypes = [
        ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
        ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
    ]
    lib.espeak_Synth.restype = ctypes.c_int
    lib.espeak_Terminate.argtypes = []
    lib.espeak_Terminate.restype = ctypes.c_int


class _Synthesiser:
    """Runs one utterance on a freshly loaded libespeak-ng. Callers hold _LOCK."""

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as exc:  # dev-only dependency
            raise ConfigurationError(
                "espeakng-loader is not installed (pip install -r requirements-dev.txt)"
            ) from exc
        self._library_path = espeakng_loader.get_library_path()
        self._data_path = espeakng_loader.get_data_path().encode()
        self._chunks: list[bytes] = []
        # One trampoline for the process: ctypes frees it when the Python object dies.
        self._callback = _Callback(self._collect)

    def _collect(self, wav, numsamples, _events) -> int:
        if wav and numsamples > 0:
            self._chunks.append(ctypes.string_at(wav, numsamples * 2))
        return 0  # continue synthesis

    def speak(self, text: str, voice_name: str, rate_wpm: int) -> tuple[int, bytes]:
        """(sample rate, s16le PCM) for ``text``."""
        import _ctypes

        lib = ctypes.CDLL(self._library_path)
        try:
            _bind(lib)
            rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, self._data_path, 0)
            if rate <= 0:
                raise ConfigurationError(f"espeak-ng failed to initialise (returned {rate})")
            try:
                return rate, self._speak(lib, text, voice_name, rate_wpm)
            finally:
                lib.espeak_Terminate()
        finally:
            handle = lib._handle
            del lib
            _ctypes.dlclose(handle)  # the next dlopen starts from the library's initial state

    def _speak(self, lib: ctypes.CDLL, text: str, voice_name: str, rate_wpm: int) -> bytes:
        lib.espeak_SetSynthCallback(self._callback)
        lib.espeak_ng_SetRandSeed(_SEED)
        if lib.espeak_SetVoiceByName(voice_name.encode()) != _EE_OK:
            raise ConfigurationError(f"espeak-ng has no voice {voice_name!r}")
        # Set after the voice: selecting a voice may reset the speaking rate.
        lib.espeak_SetParameter(_PARAM_RATE, rate_wpm, 0)
        data = text.encode("utf-8")
        self._chunks = []
        try:
            status = lib.espeak_Synth(
                data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
            )
            if status != _EE_OK:
                raise AudioRejected(f"espeak-ng synthesis failed (status {status})")
            return b"".join(self._chunks)
        finally:
            self._chunks = []


_synthesiser: _Synthesiser | None = None


def _loaded() -> _Synthesiser:
    """Caller holds _LOCK."""
    global _synthesiser
    if _synthesiser is None:
        _synthesiser = _Synthesiser()
    return _synthesiser


class EspeakSpeech:
    """SpeechEngine backed by the bundled libespeak-ng: 16-bit mono PCM at 22050 Hz."""

    sample_rate = 22050  # what libespeak-ng's formant synthesiser produces; checked every call

    def __init__(self, rate_wpm: int = DEFAULT_RATE_WPM):
        if not 80 <= rate_wpm <= 450:  # espeakRATE_MINIMUM..espeakRATE_MAXIMUM
            raise ConfigurationError(f"rate_wpm must be between 80 and 450, got {rate_wpm}")
        self.rate_wpm = rate_wpm

    def synthesize(self, text: str, *, voice: str, language: str) -> bytes:
        voice_name = self.voice_name(voice=voice, language=language)
        # NUL would end the C string early and silently drop the rest of the turn.
        clean = text.replace("\x00", " ")
        if not clean.strip():
            raise AudioRejected("nothing to say: the text is empty")
        with _LOCK:
            rate, pcm = _loaded().speak(clean, voice_name, self.rate_wpm)
        if rate != self.sample_rate:
            raise ConfigurationError(f"espeak-ng produced {rate} Hz, expected {self.sample_rate}")
        if not pcm:
            raise AudioRejected(f"espeak-ng produced no audio for a {len(clean)}-character text")
        return pcm

    @staticmethod
    def voice_name(*, voice: str, language: str) -> str:
        """The espeak-ng voice that plays ``voice`` (a script role, or a host's own voice) in
        ``language``."""
        if chosen_voice(voice):
            return chosen_voice(voice)
        try:
            roles = VOICES[language]
        except KeyError:
            raise InvalidInput(
                f"language must be one of {sorted(VOICES)}, got {language!r}"
            ) from None
        try:
            return roles[voice]
        except KeyError:
            raise InvalidInput(f"voice must be one of {sorted(roles)}, got {voice!r}") from None
