"""Turn Chalice's deployment.zip into one that starts fast and stays small.

Chalice zips sources only, and /var/task is read-only on Lambda, so every cold start would
compile every module it imports (telethon + supabase: ~1.3 s from .py vs ~0.36 s from .pyc,
measured in DESIGN.md). This rewrites the zip with bytecode for the packaging interpreter,
which is the Lambda runtime Chalice declares (it takes the runtime from that interpreter):

- podcasto's own code (app.py, chalicelib/) keeps its sources, so tracebacks show the lines,
  plus ``__pycache__`` bytecode;
- third-party packages ship bytecode only (sourceless ``.pyc`` beside where the ``.py`` was):
  sources and bytecode together would take the zip past 20 MB;
- bytecode is ``unchecked-hash``: zip extraction sets new mtimes, so timestamp-checked
  bytecode would be judged stale and recompiled on every cold start;
- shared libraries lose their symbol tables (``strip --strip-unneeded``), and wheels' RECORD
  files go (nothing reads them at run time);
- what nothing imports goes (``UNUSED``, ~2.5 MB zipped): Pillow's optional codecs (cover art is
  JPEG or PNG, so AVIF — its library alone is 7.8 MB —, WebP, colour management and Tk are dead
  weight, and Pillow reports them as unavailable features rather than failing to import) and
  the format plugins an upload of JPEG or PNG never reaches,
  google-genai's own test suite, and the ASN.1 modules of pyasn1-modules that google-auth does
  not import (it imports pem, rfc2459 and rfc5208, which import rfc2251);
- entries are sorted with fixed timestamps, so the same input gives the same zip.
"""
from __future__ import annotations

import compileall
import py_compile
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

OWN_CODE = ("app.py", "chalicelib/")
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
# Globs under the zip's root. Only modules nothing imports unless asked for that format, and
# the libraries only they load (readelf: PIL/_imaging needs libjpeg, libopenjp2, libtiff, libxcb;
# PIL/_imagingft libfreetype and libharfbuzz; those stay).
UNUSED = (
    "PIL/_avif.*.so", "pillow.libs/libavif-*",
    "PIL/_webp.*.so", "pillow.libs/libwebp-*", "pillow.libs/libwebpmux-*", "pillow.libs/libwebpdemux-*",
    "pillow.libs/libsharpyuv-*",
    "PIL/_imagingcms.*.so", "pillow.libs/liblcms2-*",
    "PIL/_imagingtk.*.so",
    "google/genai/tests",
)
# Pillow opens an image by trying its format plugins: these are the ones a JPEG or PNG upload
# (and the formats check_cover names when refusing one) goes through, and what they import.
# Image.init() skips a plugin that is not there, so any other format is "not an image".
PIL_PLUGINS_USED = {"BmpImagePlugin", "GifImagePlugin", "JpegImagePlugin", "MpoImagePlugin", "PngImagePlugin",
                    "PpmImagePlugin", "TiffImagePlugin"}
PIL_MODULES_UNUSED = ("PdfParser", "ImageCms", "ImageQt", "ImageTk", "ImageWin", "ImageGrab", "PSDraw")
# pyasn1-modules is 130 modules of ASN.1 definitions; google-auth's RSA signer imports these.
PYASN1_MODULES_USED = {"__init__", "pem", "rfc2251", "rfc2459", "rfc5208"}


def precompile(source_zip: Path, target_zip: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="podcasto-bundle-") as scratch:
        root = Path(scratch)
        with zipfile.ZipFile(source_zip) as archive:
            archive.extractall(root)
        _drop_unused(root)
        _compile(root)
        _strip_shared_libraries(root)
        for record in root.glob("*.dist-info/RECORD"):
            record.unlink()
        _write_zip(root, target_zip)


def _drop_unused(root: Path) -> None:
    for pattern in UNUSED:
        for path in root.glob(pattern):
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
    for module in root.glob("PIL/*.py"):
        if (module.stem.endswith("ImagePlugin") and module.stem not in PIL_PLUGINS_USED) \
                or module.stem in PIL_MODULES_UNUSED:
            module.unlink()
    for module in root.glob("pyasn1_modules/*.py"):
        if module.stem not in PYASN1_MODULES_USED:
            module.unlink()


def _is_own(relative: str) -> bool:
    return relative == OWN_CODE[0] or relative.startswith(OWN_CODE[1])


def _compile(root: Path) -> None:
    unchecked = py_compile.PycInvalidationMode.UNCHECKED_HASH
    for source in sorted(root.rglob("*.py")):
        relative = source.relative_to(root).as_posix()
        if _is_own(relative):
            compileall.compile_file(source, quiet=2, invalidation_mode=unchecked)
            continue
        try:
            py_compile.compile(str(source), cfile=str(source) + "c", doraise=True, invalidation_mode=unchecked)
        except py_compile.PyCompileError:
            continue  # not valid for this Python (a vendored py2 test file, say): ship the source
        source.unlink()


def _strip_shared_libraries(root: Path) -> None:
    strip = shutil.which("strip")
    if strip is None:
        return  # binutils absent: a bigger zip, nothing worse
    for library in root.rglob("*.so*"):
        if library.is_file():
            subprocess.run([strip, "--strip-unneeded", str(library)], check=False,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _write_zip(root: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(root).as_posix(), date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o755 if path.stat().st_mode & 0o111 else 0o644) << 16
            archive.writestr(info, path.read_bytes(), compresslevel=9)
    partial.replace(target)
