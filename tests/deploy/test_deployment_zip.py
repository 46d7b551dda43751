"""dist/deployment.zip: small, bytecode for the runtime, nothing dev-only, and it imports."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import re
import sys
import zipfile

from podcasto_deploy import sandbox

# Modules each function may load when the Lambda runtime imports app.py (the API's cold start).
HEAVY = ("telethon", "supabase", "postgrest", "google.genai", "lameenc", "mutagen", "chalicelib.audio",
         "chalicelib.sources.telethon_source", "chalicelib.script", "PIL", "bidi", "chalicelib.feed")



def test_the_zip_is_under_21_mb(packaged):
    # 18.3 MB before cover art; Pillow (the title card and upload checks, trimmed to JPEG/PNG and
    # FreeType by podcasto_deploy.bundle) and python-bidi brought it to 20.03 MB. The budget is
    # ours, not Lambda's (50 MB zipped): the next step past it is a layer, not a bigger zip.
    assert packaged.zip_path.stat().st_size <= 21 * 1000 * 1000


def test_nothing_dev_only_or_offline_is_shipped(packaged):
    tops = {name.split("/")[0] for name in zipfile.ZipFile(packaged.zip_path).namelist()}
    for dev_only in ("podcasto_local", "podcasto_deploy", "tests", "bench", "moto", "espeakng_loader",
                     "piper", "boto3", "botocore", "pytest", "aws_lambda_powertools", "samtranslator", "cfnlint"):
        assert not any(top == dev_only or top.startswith(dev_only + "-") or top.startswith(dev_only + ".")
                       for top in tops), dev_only
    assert {"app.py", "chalicelib", "telethon", "postgrest", "lameenc.cpython-311-x86_64-linux-gnu.so"} <= tops
    # Only Supabase's PostgREST client ships: its auth, storage and realtime clients are unused.
    for unused in ("supabase", "supabase_auth", "storage3", "realtime", "supabase_functions"):
        assert unused not in tops, unused


def _pyc_flags(path) -> int:
    return int.from_bytes(path.read_bytes()[4:8], "little")


def test_own_code_ships_sources_and_unchecked_hash_bytecode_for_the_runtime(packaged):
    tag = sys.implementation.cache_tag  # cpython-311: the runtime the template declares
    sources = [packaged.extracted / "app.py", *sorted((packaged.extracted / "chalicelib").rglob("*.py"))]
    assert len(sources) > 30
    for source in sources:
        cached = source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc"
        assert cached.is_file(), cached
        # 0b01: hash-based, source never checked: zip extraction's fresh mtimes cannot stale it.
        assert _pyc_flags(cached) == 0b01, cached
        assert cached.read_bytes()[:4] == importlib.util.MAGIC_NUMBER


def test_third_party_code_ships_as_bytecode_only(packaged):
    for module in ("telethon/__init__", "postgrest/__init__", "pydantic/main", "google/genai/types", "mutagen/mp3/__init__"):
        assert (packaged.extracted / f"{module}.pyc").is_file(), module
        assert not (packaged.extracted / f"{module}.py").exists(), module
    assert not list(packaged.extracted.glob("*.dist-info/RECORD"))


_PROBE = r"""
import json, os, sys
report = {}
import app
report["after_import_app"] = sorted(m for m in sys.modules)
handler = app.app  # the API function's handler: a wrong key is refused before any store is built
event = json.loads(os.environ["PROBE_EVENT"])
report["api_status"] = handler(event, None)["statusCode"]
report["after_api_call"] = sorted(m for m in sys.modules)
# Every seam a task may build on AWS, imported from the zip.
import chalicelib.steps.collect, chalicelib.steps.script, chalicelib.steps.speech, chalicelib.steps.stitch
import chalicelib.steps.status, chalicelib.steps.validate, chalicelib.steps.reconcile
import chalicelib.stores.supabase_store, chalicelib.sources.telethon_source
import chalicelib.audio.polly, chalicelib.audio.gemini_tts, chalicelib.script.gemini, chalicelib.script.bedrock
import postgrest, telethon, google.genai, lameenc, mutagen.mp3, num2words, pythonjsonlogger.json
from chalicelib.stores.supabase_store import SupabaseEpisodeStore  # the store builds from the zip alone
SupabaseEpisodeStore.from_settings("https://example.supabase.co", "header.payload.signature")
import cryptography.hazmat.bindings._rust, pydantic_core
import google.auth.crypt._python_rsa  # the ASN.1 modules the bundle keeps of pyasn1-modules
# Publishing: a Hebrew title card drawn and checked with the zip's own Pillow, libraries and font.
import chalicelib.steps.publish
from chalicelib.feed.cover import check_cover, title_card
report["card"] = check_cover(title_card("טק בקצרה 2026", "he", size=1400))
report["files"] = {name: getattr(m, "__file__", None) for name, m in list(sys.modules.items())}
report["loaders"] = {name: type(getattr(m, "__loader__", None)).__name__ for name, m in list(sys.modules.items())}
print(json.dumps(report))
"""


def test_every_function_imports_from_the_zip_alone_and_the_api_loads_nothing_heavy(packaged, tmp_path):
    task, env = sandbox.prepare(packaged.zip_path, tmp_path)
    env["PROBE_EVENT"] = json.dumps(sandbox.UNAUTHORISED_LIST_PODCASTS)
    # -S: no site-packages of the dev venv; only the zip, the runtime's boto3 and the stdlib.
    result = subprocess.run([sys.executable, "-S", "-c", _PROBE], capture_output=True, text=True, env=env,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["api_status"] == 401
    assert report["card"] == ["jpg", "image/jpeg"]
    assert report["files"]["PIL"].startswith(str(task))
    for phase in ("after_import_app", "after_api_call"):
        loaded = [m for m in report[phase] if any(m == h or m.startswith(h + ".") for h in HEAVY)]
        assert not loaded, f"the API function loads {loaded} ({phase})"
    assert report["files"]["telethon"].startswith(str(task))
    assert report["loaders"]["telethon"] == "SourcelessFileLoader"
    assert report["loaders"]["chalicelib.factory"] == "SourceFileLoader"  # with its __pycache__ bytecode


def test_the_admin_page_ships_beside_the_code_that_serves_it(packaged):
    from chalicelib import admin_page

    shipped = packaged.extracted / "chalicelib" / "admin_page"
    for name in admin_page.ASSETS:
        assert (shipped / name).read_bytes() == (admin_page.HERE / name).read_bytes(), name


def test_every_binary_package_is_a_manylinux_wheel_the_lambda_runtime_can_load(packaged):
    """The python3.11 runtime is Amazon Linux 2, glibc 2.26: a wheel tagged for a newer glibc,
    or one Chalice built from source on this machine (``linux_x86_64``, linked against this
    machine's libraries), would fail to import on Lambda."""
    tags = {}
    for wheel in packaged.extracted.glob("*.dist-info/WHEEL"):
        tags[wheel.parent.name] = [line.split(":", 1)[1].strip() for line in wheel.read_text().splitlines()
                                   if line.startswith("Tag:")]
    assert tags
    legacy = {"manylinux1_x86_64": (2, 5), "manylinux2010_x86_64": (2, 12), "manylinux2014_x86_64": (2, 17)}

    def loadable(tag: str) -> bool:
        platform = tag.split("-")[-1]
        if platform == "any":
            return True
        glibc = re.match(r"manylinux_(\d+)_(\d+)_x86_64$", platform)
        version = (int(glibc[1]), int(glibc[2])) if glibc else legacy.get(platform)
        return version is not None and version <= (2, 26)

    for dist, found in tags.items():  # a wheel tagged for several platforms needs one that fits
        assert any(loadable(tag) for tag in found), (dist, found)


def test_cover_art_ships_with_its_libraries_font_and_licence(packaged):
    names = set(zipfile.ZipFile(packaged.zip_path).namelist())
    assert "chalicelib/feed/fonts/PodcastoCard-Bold.ttf" in names
    assert "chalicelib/feed/fonts/LICENSE-DejaVu.txt" in names
    libraries = {n.split("/")[-1].split("-")[0] for n in names if n.startswith("pillow.libs/")}
    assert {"libjpeg", "libpng16", "libfreetype"} <= libraries  # Pillow's own, not the runtime's
