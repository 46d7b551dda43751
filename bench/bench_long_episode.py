"""Long content in bounded memory: `make generate` (the CLI, a fresh process each) on a short
export (~2 minutes of audio) and a long one (TARGET_SECONDS=3600: ~60 minutes). Prints each
run's audio duration, wall time and peak RSS, and the growth in peak RSS (the target: at most
100 MB), and the long run's real-time factor on wall time and on the CPU time it used (the
machine is shared: wall time also measures everyone else).
Run: .venv/bin/python bench/bench_long_episode.py"""
from __future__ import annotations

import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import export_message, write_export  # noqa: E402

WORDS = ("release update network storage model chip browser kernel outage research funding "
         "security privacy battery launch partner platform developer community benchmark "
         "council harbour festival library station market election storm bridge tunnel").split()


def story(i: int) -> str:
    # Each story its own words: stories sharing most word triples are one story told once.
    rng = random.Random(i)
    words = [rng.choice(WORDS) for _ in range(55)]
    return f"Story {i}. " + " ".join(words).capitalize() + "."


def run(export: Path, out: Path, home: Path, target_seconds: int) -> dict:
    env = {**os.environ, "PODCASTO_HOME": str(home), "SEGMENT_CONCURRENCY": "8",
           "TARGET_SECONDS": str(target_seconds)}
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    # Exactly what a user runs; wait4 reports the peak RSS of make's largest descendant.
    process = subprocess.Popen(
        ["make", "-s", "generate", f"EXPORT={export}", f"OUT={out}", "FORMAT=narrator"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    if status != 0:
        raise SystemExit(f"generate failed: {process.stderr.read().decode()[-2000:]}")
    episode = json.loads((out / "episode.json").read_text())
    return {"audio": episode["duration_seconds"], "wall": wall, "cpu": cpu, "rss_mb": usage.ru_maxrss / 1024}


def main() -> None:
    base = Path(tempfile.mkdtemp(prefix="podcasto-bench-long-"))
    results = {}
    for label, count, target in (("short", 4, 120), ("long", 150, 3600)):
        export = write_export(base / label, [
            export_message(i, story(i), unixtime=1763632800 + i * 600) for i in range(1, count + 1)
        ])
        results[label] = run(export, base / f"out-{label}", base / f"home-{label}", target)
        r = results[label]
        print(f"{label}: {r['audio'] / 60:.1f} min of audio (target {target / 60:.0f}) in {r['wall']:.1f} s "
              f"({r['audio'] / r['wall']:.0f}x real time; {r['audio'] / r['cpu']:.0f}x on its "
              f"{r['cpu']:.1f} s of CPU), peak RSS {r['rss_mb']:.0f} MB")
    growth = results["long"]["rss_mb"] - results["short"]["rss_mb"]
    print(f"peak RSS growth from {results['short']['audio'] / 60:.0f} to "
          f"{results['long']['audio'] / 60:.0f} minutes: {growth:.0f} MB (target: at most 100 MB)")


if __name__ == "__main__":
    main()
