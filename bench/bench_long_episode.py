"""Long content in bounded memory: `make generate` (the CLI, a fresh process each) on a short
export (~2 minutes of audio) and a long one (~60 minutes). Prints each run's audio duration,
wall time and peak RSS, and the growth in peak RSS (the target: at most 100 MB).
Run: .venv/bin/python bench/bench_long_episode.py"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import export_message, write_export  # noqa: E402

WORDS = ("release update network storage model chip browser kernel outage research funding "
         "security privacy battery launch partner platform developer community benchmark").split()


def story(i: int) -> str:
    words = [WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(55)]
    return f"Story {i}. " + " ".join(words).capitalize() + "."


def run(export: Path, out: Path, home: Path) -> dict:
    env = {**os.environ, "PODCASTO_HOME": str(home), "SEGMENT_CONCURRENCY": "8"}
    started = time.perf_counter()
    # Exactly what a user runs; wait4 reports the peak RSS of make's largest descendant.
    process = subprocess.Popen(
        ["make", "-s", "generate", f"EXPORT={export}", f"OUT={out}", "FORMAT=narrator"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"generate failed: {process.stderr.read().decode()[-2000:]}")
    episode = json.loads((out / "episode.json").read_text())
    return {"audio": episode["duration_seconds"], "wall": wall, "rss_mb": usage.ru_maxrss / 1024}


def main() -> None:
    base = Path(tempfile.mkdtemp(prefix="podcasto-bench-long-"))
    results = {}
    for label, count in (("short", 4), ("long", 150)):
        export = write_export(base / label, [
            export_message(i, story(i), unixtime=1763632800 + i * 600) for i in range(1, count + 1)
        ])
        results[label] = run(export, base / f"out-{label}", base / f"home-{label}")
        r = results[label]
        print(f"{label}: {r['audio'] / 60:.1f} min of audio in {r['wall']:.1f} s "
              f"({r['audio'] / r['wall']:.0f}x real time), peak RSS {r['rss_mb']:.0f} MB")
    growth = results["long"]["rss_mb"] - results["short"]["rss_mb"]
    print(f"peak RSS growth from {results['short']['audio'] / 60:.0f} to "
          f"{results['long']['audio'] / 60:.0f} minutes: {growth:.0f} MB (target: at most 100 MB)")


if __name__ == "__main__":
    main()
