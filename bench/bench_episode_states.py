"""What the admin page's poll costs: GET /episodes/{id} reads the execution's history to show
its states. Prints (1) the median time of one GET for a demo episode on the local engine
without the states, with them read from the history (what each poll of a running execution
costs), and with an ended execution's states cached, and (2) the time to turn a long episode's history (2,000 Map iterations, ~10,000
events, what MAX_HISTORY_PAGES reads at most) into states.
Run: .venv/bin/python bench/bench_episode_states.py"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import app  # noqa: E402
from chalicelib.config import Settings  # noqa: E402
from chalicelib.factory import Services, use_services  # noqa: E402
from chalicelib.stores.episodes import Podcast  # noqa: E402
from chalicelib.workflow import StepFunctionsHistory, states_from_events  # noqa: E402
from podcasto_local.cli import log_to_file  # noqa: E402
from podcasto_local.engine import LocalEngine  # noqa: E402

ROUNDS = 50


def median_ms(call, rounds: int = ROUNDS) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def long_history(segments: int) -> list[dict]:
    t0 = datetime(2026, 12, 2, tzinfo=timezone.utc)
    events: list[dict] = []

    def add(kind, name=None):
        event = {"id": len(events) + 1, "previousEventId": len(events), "type": kind,
                 "timestamp": t0 + timedelta(milliseconds=len(events))}
        if name and kind.endswith("Entered"):
            event["stateEnteredEventDetails"] = {"name": name}
        if name and kind.endswith("Exited"):
            event["stateExitedEventDetails"] = {"name": name}
        events.append(event)

    add("MapStateEntered", "SynthesizeSegments")
    for _ in range(segments):
        add("TaskStateEntered", "SynthesizeSegment")
        add("LambdaFunctionScheduled")
        add("LambdaFunctionStarted")
        add("LambdaFunctionSucceeded")
        add("TaskStateExited", "SynthesizeSegment")
    add("MapStateExited", "SynthesizeSegments")
    return events


def main() -> None:
    home = tempfile.mkdtemp(prefix="podcasto-bench-")
    log_to_file(Path(home) / "tasks.log")
    export = ROOT / "examples" / "demo-export" / "result.json"
    with LocalEngine(app, time_scale=0.001) as engine:
        settings = Settings(environ={"PODCASTO_HOME": home, "STATE_MACHINE_ARN": engine.state_machine_arn})
        services = Services(settings, s3_client=engine.client("s3"), sfn_client=engine.client("stepfunctions"))
        use_services(services)
        services.episodes.put_podcast(Podcast(id="bench", title="Bench", sources=[{"export": str(export)}],
                                              days_back=None))
        _, started = services.admin.start_episode("bench", {"format": "narrator"})
        engine.wait(started["execution_arn"], timeout=600)
        episode_id = started["episode_id"]
        events = len(engine.history(started["execution_arn"]))
        admin = services.admin
        cached = median_ms(lambda: admin.episode(episode_id))
        history = admin._history
        # A poll of a running execution reads the whole history every time: a fresh reader.
        admin._history = lambda: StepFunctionsHistory(services.sfn_client)
        uncached = median_ms(lambda: admin.episode(episode_id), rounds=20)
        admin._history = None  # the same view without the states
        without = median_ms(lambda: admin.episode(episode_id))
        admin._history = history
    print(f"GET /episodes/<id> of a demo episode ({events} history events) on the local engine, medians:")
    print(f"  without states {without:.1f} ms; with states read from the history {uncached:.1f} ms "
          f"({uncached / without:.0f}x: moto's GetExecutionHistory); an ended execution's, cached, {cached:.1f} ms")
    big = long_history(2000)
    print(f"states from a {len(big):,}-event history (2,000 Map iterations): "
          f"{median_ms(lambda: states_from_events(big), rounds=10):.1f} ms")


if __name__ == "__main__":
    main()
