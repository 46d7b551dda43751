"""The local engine as a long-running server, for `make local`.

Serves Step Functions and S3 (moto) on loopback at LOCAL_SFN_PORT, runs executions' tasks with
this app's handlers in this process, delivers execution-status events to the app's reconciler,
and seeds the demo podcast. `chalice local` (the API) runs in its own process and reaches this
one by endpoint URL; both share the episode store.
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

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


def main(argv: list[str] | None = None) -> int:
    from app import app
    from podcasto_local.engine import LocalEngine

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8083)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--ready-file", default=None, help="touched once the engine serves")
    args = parser.parse_args(argv)

    settings = Settings()
    engine = LocalEngine(
        app, host=args.host, port=args.port, bucket=settings.bucket, region=settings.region
    ).start()
    services = Services(settings, s3_client=engine.client("s3"))
    use_services(services)
    services.episodes.put_podcast(demo_podcast())
    print(f"podcasto local engine: Step Functions and S3 on {engine.endpoint}", flush=True)
    print(f"podcasto local engine: state machine {engine.state_machine_arn}", flush=True)
    if args.ready_file:
        Path(args.ready_file).write_text(engine.state_machine_arn)

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()
    engine.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
