"""The local engine as a long-running server, for `make local`.

Serves Step Functions and S3 (moto) on loopback at LOCAL_SFN_PORT, runs executions' tasks with
this app's handlers in this process, delivers execution-status events to the app's reconciler,
sweeps episodes whose execution is gone (at start, then every SWEEP_INTERVAL_SECONDS: a
previous engine killed mid-episode, an interrupted `make generate`), and seeds the demo podcast. `chalice local` (the API) runs in its own process and reaches this
one by endpoint URL; both share the episode store.
"""
from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path
from typing import Callable

from chalicelib.config import Settings
from chalicelib.factory import Services, use_services
from chalicelib.stores.episodes import Podcast

ROOT = Path(__file__).resolve().parent.parent
DEMO_PODCAST_ID = "demo"


def demo_podcast() -> Podcast:
    """The podcast the local stage seeds: the bundled example export, whole."""
    return Podcast(
        id=DEMO_PODCAST_ID,
        title="Byte Brief",
        language="en",
        format="dialogue",
        hosts=[{"name": "Alex", "role": "host"}, {"name": "Maya", "role": "expert"}],
        sources=[{"export": str(ROOT / "examples" / "demo-export" / "result.json"), "chat": None}],
        days_back=None,
    )


def sweep_quietly(services: Services) -> dict | None:
    """One sweep; a failure (the store locked, say) is logged and the next sweep tries again."""
    from chalicelib.errors import PodcastoError
    from chalicelib.steps.sweep import sweep_with

    try:
        return sweep_with(services)
    except PodcastoError as exc:  # the store unavailable, a setting wrong: said in one line
        logging.getLogger(__name__).warning("sweep failed: %s: %s", type(exc).__name__, exc)
    except Exception:  # noqa: BLE001 - a background chore must not end the engine
        logging.getLogger(__name__).exception("sweep failed")
    return None


def sweep_every(services: Services, interval: float, stop: threading.Event) -> threading.Thread:
    def loop() -> None:
        while not stop.wait(interval):
            sweep_quietly(services)

    thread = threading.Thread(target=loop, name="podcasto-sweeper", daemon=True)
    thread.start()
    return thread


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8083)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--ready-file", default=None, help="touched once the engine serves")
    parser.add_argument("--time-scale", type=float, default=1.0, help=argparse.SUPPRESS)  # benchmarks
    return parser.parse_args(argv)


def main(argv: list[str] | None = None, *, prepare: Callable[[Services], None] | None = None) -> int:
    """``prepare`` may replace seams of the services before the engine serves (bench/)."""
    from app import app
    from podcasto_local.engine import LocalEngine
    from podcasto_local.persistent_objects import kept_objects

    args = parse_args(argv)
    settings = Settings()
    engine = LocalEngine(
        app, host=args.host, port=args.port, bucket=settings.bucket, region=settings.region,
        time_scale=args.time_scale,
    ).start()
    # The scheduler starts executions from this process, on this engine.
    settings = Settings(overrides={"STATE_MACHINE_ARN": engine.state_machine_arn})
    objects = kept_objects(engine, settings)
    restored = objects.restore()
    services = Services(settings, s3_client=engine.client("s3"), sfn_client=engine.client("stepfunctions"),
                        executions=engine, objects=objects)
    if prepare is not None:
        prepare(services)
    use_services(services)
    if services.episodes.get_podcast(DEMO_PODCAST_ID) is None:  # an admin's edits survive a restart
        services.episodes.create_podcast(demo_podcast())
    swept = sweep_quietly(services)
    if swept and swept["failed"]:
        print(f"podcasto local engine: {len(swept['failed'])} episodes whose execution was lost "
              "are now failed (retry them)", flush=True)
    stop = threading.Event()
    sweeper = sweep_every(services, settings.integer("SWEEP_INTERVAL_SECONDS", minimum=1), stop)
    print(f"podcasto local engine: Step Functions and S3 on {engine.endpoint} "
          f"({restored} objects restored from {objects.root})", flush=True)
    print(f"podcasto local engine: state machine {engine.state_machine_arn}", flush=True)
    # The bucket's published keys are public on this server (LocalEngine._publish_public_keys),
    # with byte ranges: a podcast app on this machine can subscribe to this URL.
    print(f"podcasto feeds:    {services.public_base_url}/podcasts/<podcast_id>/feed.xml "
          f"(the demo podcast: {services.public_base_url}/podcasts/{DEMO_PODCAST_ID}/feed.xml, "
          "there once its first episode completes)", flush=True)

    period = settings.integer("SCHEDULER_TICK_SECONDS")
    if period:
        threading.Thread(target=tick_every, args=(engine, period, stop), name="scheduler", daemon=True).start()
        print(f"podcasto local engine: scheduler tick every {period} s (SCHEDULER_TICK_SECONDS)", flush=True)
    if args.ready_file:
        Path(args.ready_file).write_text(engine.state_machine_arn)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()
    sweeper.join(timeout=5)
    engine.stop()
    return 0


def tick_every(engine, seconds: int, stop: threading.Event) -> None:
    """``make local``'s stand-in for the scheduler's EventBridge rule: a tick now, then every
    ``seconds``. A tick that fails is logged and the next one runs, as on AWS."""
    while not stop.is_set():
        try:
            engine.run_scheduled("schedule_episodes")
        except Exception:  # noqa: BLE001 - a failed tick must not stop the timer
            logging.getLogger(__name__).exception("scheduler tick failed")
        stop.wait(seconds)


if __name__ == "__main__":
    sys.exit(main())
