"""Map speed-up: the SynthesizeSegments Map state with a speech provider that takes 1 s per
segment (simulated latency, real espeak audio), at concurrency 1 and 8. Prints the Map's
wall time for each and the ratio. Run: .venv/bin/python bench/bench_map_speedup.py"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import app  # noqa: E402
from chalicelib.config import Settings  # noqa: E402
from chalicelib.factory import Services, use_services  # noqa: E402
from chalicelib.stores.episodes import Podcast  # noqa: E402
from podcasto_local.cli import log_to_file  # noqa: E402
from podcasto_local.engine import LocalEngine  # noqa: E402
from tests.conftest import export_message, write_export  # noqa: E402

LATENCY_SECONDS = 1.0


class SlowSpeech:
    """Real offline speech behind a cloud provider's round-trip time."""

    def __init__(self, inner):
        self.inner, self.sample_rate = inner, inner.sample_rate

    def synthesize(self, text, *, voice, language):
        time.sleep(LATENCY_SECONDS)
        return self.inner.synthesize(text, voice=voice, language=language)


def map_seconds(engine, arn: str) -> float:
    events = engine.history(arn)
    start = next(e["timestamp"] for e in events if e["type"] == "MapStateEntered")
    end = next(e["timestamp"] for e in events if e["type"] == "MapStateExited")
    return (end - start).total_seconds()


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="podcasto-bench-map-"))
    log_to_file(home / "tasks.log")
    export = write_export(home / "export", [
        export_message(i, f"Story {i}: the team shipped feature number {i} to every user today.",
                       unixtime=1763632800 + i * 3600)
        for i in range(1, 7)
    ])
    figures = {}
    with LocalEngine(app, time_scale=0.001) as engine:
        for concurrency in (1, 8):
            settings = Settings(environ={"PODCASTO_HOME": str(home / f"c{concurrency}"),
                                         "SEGMENT_CONCURRENCY": str(concurrency)})
            services = Services(settings, s3_client=engine.client("s3"))
            slow = SlowSpeech(services.speech_for("en"))
            services.speech_for = lambda language, provider=None, slow=slow: slow
            use_services(services)
            services.episodes.put_podcast(Podcast(id="map", title="Map", sources=[{"export": str(export)}],
                                                  days_back=None))
            description = engine.run({"podcast_id": "map"}, timeout=600)
            assert description["status"] == "SUCCEEDED", description
            # Each Map iteration synthesises a batch of segments (at least SEGMENT_CONCURRENCY
            # batches when there are that many segments).
            iterations = sum(1 for e in engine.history(description["executionArn"])
                             if e["type"] == "MapIterationSucceeded")
            segments = sum(len(payload.get("segments", [None])) for name, payload in engine.invocations
                           if name == "synthesize_segment")
            engine.invocations.clear()
            figures[concurrency] = (map_seconds(engine, description["executionArn"]), segments, iterations)
    (one, segments, one_batches), (eight, _, eight_batches) = figures[1], figures[8]
    print(f"segments: {segments} (in {one_batches} Map iteration(s) at concurrency 1, {eight_batches} at 8), "
          f"simulated provider latency: {LATENCY_SECONDS:.0f} s per segment")
    print(f"Map wall time, concurrency 1: {one:.1f} s")
    print(f"Map wall time, concurrency 8: {eight:.1f} s")
    print(f"Map speed-up 8 vs 1: {one / eight:.1f}x")


if __name__ == "__main__":
    main()
