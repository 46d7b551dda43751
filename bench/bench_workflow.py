"""Orchestration overhead of the local engine: N episodes of a small export, offline writer and
speech. Prints the median overhead per episode (wall time during which no task handler ran:
the Map's parallel segments count once) and the state transitions per episode. Run: .venv/bin/python bench/bench_workflow.py [N]"""
from __future__ import annotations

import json
import statistics
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


def main(episodes: int = 10) -> None:
    home = tempfile.mkdtemp(prefix="podcasto-bench-")
    log_to_file(Path(home) / "tasks.log")  # the tasks' JSON lines, away from the figures
    export = ROOT / "examples" / "demo-export" / "result.json"
    with LocalEngine(app, time_scale=0.001) as engine:
        services = Services(Settings(environ={"PODCASTO_HOME": home}), s3_client=engine.client("s3"))
        use_services(services)

        def podcast(number: int) -> dict:
            # A podcast of its own for each episode: a second episode of one podcast over the
            # same export would find nothing new and be skipped in a few states.
            services.episodes.put_podcast(Podcast(
                id=f"bench-{number}", title="Bench", sources=[{"export": str(export)}], days_back=None))
            return {"podcast_id": f"bench-{number}"}

        engine.run(podcast(0))  # warm-up: first execution pays imports
        overheads, transitions, totals = [], [], []
        for number in range(1, episodes + 1):
            execution_input = podcast(number)
            started = time.perf_counter()
            description = engine.run(execution_input)
            total = time.perf_counter() - started
            assert description["status"] == "SUCCEEDED", description
            episode_id = json.loads(description["output"])["episode"]["episode_id"]
            assert services.episodes.get_episode(episode_id).status == "completed", episode_id
            totals.append(total)
            overheads.append(total - engine.busy_seconds(since=started))
            transitions.append(len(engine.states_passed(description["executionArn"])))
    print(f"episodes: {episodes}")
    print(f"median wall time per episode: {statistics.median(totals) * 1000:.0f} ms")
    print(f"median orchestration overhead per episode: {statistics.median(overheads) * 1000:.0f} ms "
          f"({statistics.median(o / t for o, t in zip(overheads, totals)):.1%} of wall time)")
    print(f"state transitions per episode: {statistics.median(transitions):.0f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
