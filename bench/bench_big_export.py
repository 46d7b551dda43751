"""Any window finishes: `make generate` (a fresh process, exactly what a user runs) on an
83,805-message full-account export (bench/make_big_export.py: long and short posts, replies,
forwards from many channels, media, a dozen other chats) with the default 20-minute target.
Prints the audio length against the target, wall time end to end (collection included) as a
real-time factor, peak RSS, and the time of each state.
Targets (issue 13): at least 30x real time, peak RSS at most 400 MB. The real-time factor is
also printed on the CPU time the run used: the machine is shared, and wall time measures
everyone else's work too.
Run: .venv/bin/python bench/bench_big_export.py [MESSAGES]"""
from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "bench"))
from make_big_export import MAIN_CHAT, write_big_export  # noqa: E402
from chalicelib.script.stories import DEFAULT_TARGET_SECONDS  # noqa: E402


def main(messages: int = 83_805) -> None:
    base = Path(tempfile.mkdtemp(prefix="podcasto-bench-big-"))
    export = write_big_export(base / "export", messages)
    print(f"export: {messages} messages in {MAIN_CHAT!r} beside 12 other chats, "
          f"{export.stat().st_size / 1e6:.0f} MB")
    out = base / "out"
    env = {**os.environ, "PODCASTO_HOME": str(base / "home"), "SEGMENT_CONCURRENCY": "8"}
    started = time.perf_counter()
    process = subprocess.Popen(
        ["make", "-s", "generate", f"EXPORT={export}", f"CHAT={MAIN_CHAT}", f"OUT={out}"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    stdout, stderr = process.communicate()  # small: one line per state
    # The reaped children's (make's and the CLI's) peak RSS and CPU time.
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"generate failed: {stderr[-2000:]}")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    rss_mb = usage.ru_maxrss / 1024
    cpu = usage.ru_utime + usage.ru_stime
    episode = json.loads((out / "episode.json").read_text())
    audio = episode["duration_seconds"]
    print(f"episode: {audio / 60:.1f} min of audio for a {DEFAULT_TARGET_SECONDS / 60:.0f}-minute target "
          f"({audio / DEFAULT_TARGET_SECONDS - 1:+.0%})")
    print(f"end to end: {wall:.1f} s, {audio / wall:.0f}x real time (target: at least 30x); "
          f"{cpu:.1f} s of CPU, {audio / cpu:.0f}x real time on CPU time")
    print(f"peak RSS: {rss_mb:.1f} MB (target: at most 400 MB)")
    states = re.findall(r"<- (\w+) \((\d+) ms", stdout + stderr)  # under make the CLI writes to stderr
    print("states: " + ", ".join(f"{name} {int(ms) / 1000:.1f} s" for name, ms in states))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 83_805)
