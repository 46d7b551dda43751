"""`make demo` / `make generate`: one episode through the local engine, results in a folder.

Dev-only. Runs the real ASL on the local engine, the app's real handlers, the configured
episode store (SQLite by default), moto's S3 on loopback, and leaves in OUT:
podcast.mp3, transcript.txt, episode.json, and the episode as a feed: feed.xml naming the
files beside it (captions.vtt, transcript.json, chapters.json, cover.jpg) by file:// URLs.

Exit status (the README's table):
  0    the episode completed
  1    the episode did not complete (failed, or skipped: nothing new); the last line says why,
       OUT/episode.json has the details
  2    refused before anything ran: a bad argument or input (an unreadable or malformed export,
       a malformed channel, a bad date)
  3    refused before anything ran: a setting is missing or wrong
  4    podcasto itself failed (a bug): one line here, the traceback in OUT/podcasto.log
  130  interrupted (Ctrl-C)
A failure is always one line on stderr, never a traceback.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

from chalicelib import redact
from chalicelib.config import Settings
from chalicelib.domain import new_episode_id
from chalicelib.errors import ConfigurationError, PodcastoError
from chalicelib.factory import Services, use_services
from chalicelib.stores.episodes import Podcast

ROOT = Path(__file__).resolve().parent.parent
DEMO_EXPORT = ROOT / "examples" / "demo-export" / "result.json"


EXIT_COMPLETED, EXIT_FAILED, EXIT_REFUSED, EXIT_CONFIGURATION, EXIT_BUG, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130


def podcast_for_export(path: Path, *, chat: str | None, language: str, format: str) -> Podcast:
    """A podcast record for an export file: the id is derived from the file and chat, so
    repeated runs on the same export reuse one podcast. The export is walked (streamed, so a
    busy channel's hundreds of megabytes never sit in memory) and its shape checked here,
    before any engine starts: a bad file fails in a moment, in one line."""
    from chalicelib.sources.export import inspect_export
    from podcasto_local.memory import release_freed_memory

    title = inspect_export(path, chat)
    release_freed_memory()  # what the walk freed, before the engine starts beside it
    digest = hashlib.sha256(f"{path}\0{chat or ''}".encode()).hexdigest()[:12]
    return Podcast(
        id=f"export-{digest}",
        title=title,
        language=language,
        format=format,
        hosts=[],
        sources=[{"export": str(path), "chat": chat}],
        days_back=None,  # an export's default window is the whole export
    )


def podcast_for_channels(channels: list[str], *, language: str, format: str) -> Podcast:
    """A podcast record for live channels (read with Telethon); default window: 7 days."""
    from chalicelib.sources.channels import parse_channel_ref

    labels = [parse_channel_ref(c).label for c in channels]  # InvalidInput before any network
    digest = hashlib.sha256("\0".join(sorted(labels)).encode()).hexdigest()[:12]
    return Podcast(
        id=f"channels-{digest}",
        title=", ".join(labels),
        language=language,
        format=format,
        sources=labels,
        days_back=7,
    )


class StatePrinter:
    """Prints a line as each state starts and ends (and each failed attempt)."""

    # States run once per Map item: counted, not printed (a long episode has hundreds).
    ITERATED = {"SynthesizeSegment"}

    def __init__(self, stream=sys.stdout):
        self.stream = stream
        self.started: dict[str, object] = {}
        self.iterations = 0

    def __call__(self, event: dict) -> None:
        details = event.get("stateEnteredEventDetails") or event.get("stateExitedEventDetails")
        if details and details["name"] in self.ITERATED:
            self.iterations += "stateExitedEventDetails" in event
            return
        # Timings come from the execution history's own timestamps, not from when we polled.
        if "stateEnteredEventDetails" in event:
            name = event["stateEnteredEventDetails"]["name"]
            self.started[name] = event["timestamp"]
            print(f"  -> {name}", file=self.stream, flush=True)
        elif "stateExitedEventDetails" in event:
            name = event["stateExitedEventDetails"]["name"]
            started = self.started.get(name, event["timestamp"])
            took = (event["timestamp"] - started).total_seconds() * 1000
            extra = f", {self.iterations} batches of segments" if event["type"] == "MapStateExited" else ""
            print(f"  <- {name} ({took:.0f} ms{extra})", file=self.stream, flush=True)
        elif event["type"] in ("LambdaFunctionFailed", "LambdaFunctionTimedOut"):
            details = event.get("lambdaFunctionFailedEventDetails") or event.get(
                "lambdaFunctionTimedOutEventDetails", {}
            )
            print(f"     attempt failed: {details.get('error')}", file=self.stream, flush=True)


def log_to_file(path: Path) -> None:
    """The tasks' JSON log lines go to OUT/podcasto.log: the terminal shows the states."""
    import logging

    from chalicelib.log import logger

    logger()  # creates the JSON handler the tasks write with
    stream = open(path, "a", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    for handler in logging.getLogger("podcasto").handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(stream)


def run_episode(args: argparse.Namespace) -> int:
    from app import app
    from podcasto_local.engine import GENERATE_MACHINE_PREFIX, LocalEngine
    from podcasto_local.engine_server import sweep_quietly
    from podcasto_local.persistent_objects import kept_objects

    out = Path(args.out).expanduser().resolve()
    out.mkdir(parents=True, exist_ok=True)
    settings = Settings()
    language, fmt = args.language or "en", args.format or "dialogue"
    if args.channel:
        channels = [c.strip() for c in args.channel.split(",") if c.strip()]
        podcast = podcast_for_channels(channels, language=language, format=fmt)
        origin = ", ".join(podcast.sources)
    else:
        export = Path(args.export).expanduser().resolve()
        podcast = podcast_for_export(export, chat=args.chat, language=language, format=fmt)
        origin = str(export)
    execution_input: dict = {"podcast_id": podcast.id, "episode_id": new_episode_id()}
    for field in ("language", "format", "start_date", "end_date", "days_back"):
        if getattr(args, field) is not None:
            execution_input[field] = getattr(args, field)

    # Refused now, in one line, rather than by ValidateEpisode after the engine started.
    from chalicelib.episode_request import parse_episode_request

    parse_episode_request(execution_input)
    log_to_file(out / "podcasto.log")
    # Its own state machine, named after this process: a `make local` engine (or the next
    # `make generate`) can tell, once this process is gone, that its execution went with it.
    machine = f"{GENERATE_MACHINE_PREFIX}{os.getpid()}"
    with LocalEngine(app, bucket=settings.bucket, region=settings.region, state_machine_name=machine) as engine:
        # Objects are kept under PODCASTO_HOME for `make local` (not restored: this run reads
        # only what it writes, and a large home would slow every start).
        services = Services(settings, s3_client=engine.client("s3"), executions=engine,
                            objects=kept_objects(engine, settings))
        previous = use_services(services)
        try:
            services.episodes.put_podcast(podcast)  # a store that cannot work fails here, in one line
            sweep_quietly(services)  # episodes of earlier `make generate` runs killed mid-way
            print(f"podcasto: episode {execution_input['episode_id']} of {origin}", flush=True)
            name = f"episode-{execution_input['episode_id']}"
            try:
                description = engine.run(execution_input, name=name, on_event=StatePrinter())
            except KeyboardInterrupt:
                return interrupted(services, engine, execution_input["episode_id"], name)
            return write_results(services, engine, description, execution_input, out)
        finally:
            use_services(previous)


def interrupted(services, engine, episode_id: str, name: str) -> int:
    """Ctrl-C: the engine and its execution end with this process, so the episode is failed
    now, with the reason, instead of waiting for a sweep."""
    from chalicelib.steps.status import record_failure

    arn = engine.state_machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{name}"
    record_failure(services.episodes, episode_id, execution_id=arn, error="ExecutionAborted",
                   cause="make generate was interrupted", failed_state=None, owner_required=True)
    print(f"podcasto: episode {episode_id} failed: ExecutionAborted: make generate was interrupted",
          file=sys.stderr)
    return 130


def write_results(services, engine, description: dict, execution_input: dict, out: Path) -> int:
    episode = services.episodes.get_episode(execution_input["episode_id"])
    result = {
        "episode_id": execution_input["episode_id"],
        "status": episode.status if episode else "not_created",
        "execution_arn": description["executionArn"],
        "execution_status": description["status"],
        "audio_path": None,
        "transcript_path": None,
        "feed_path": None,
        "duration_seconds": episode.duration_seconds if episode else None,
        "error": episode.error if episode else description.get("error"),
        "cause": episode.cause if episode else description.get("cause"),
        "failed_state": episode.failed_state if episode else None,
        "outcome": episode.outcome if episode else None,
        "status_history": services.episodes.history(episode.id) if episode else [],
        "states": engine.states_passed(description["executionArn"]),
    }
    if episode and episode.audio_key:
        with open(out / "podcast.mp3", "wb") as audio:
            services.objects.download(episode.audio_key, audio)
        result["audio_path"] = "podcast.mp3"
    if episode and episode.transcript_key:
        with open(out / "transcript.txt", "wb") as transcript:
            services.objects.download(episode.transcript_key, transcript)
        result["transcript_path"] = "transcript.txt"
    if episode and episode.status == "completed":
        result["feed_path"] = write_feed(services, episode, out)
    result = redact.anything(result)
    (out / "episode.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    if result["status"] == "completed":
        print(
            f"podcasto: completed, {result['duration_seconds']:.1f} s of audio in "
            f"{out / 'podcast.mp3'}",
            flush=True,
        )
        print(f"podcasto: the episode as a feed: {(out / 'feed.xml').as_uri()}", flush=True)
        return EXIT_COMPLETED
    reason = " ".join(str(result["cause"] or result["error"] or description["status"]).split())
    # A skipped episode has no error, only its outcome ("nothing_new").
    print(f"podcasto: episode {result['status']}: {result['error'] or result['outcome']}: {reason}",
          file=sys.stderr)
    return EXIT_FAILED


def run_tick(args: argparse.Namespace) -> int:
    """One scheduler tick at ``--now`` (default: now). Beside a running ``make local``
    (SFN_ENDPOINT_URL set) its episodes start there; otherwise on an engine of its own, and the
    command waits for them to end."""
    from datetime import datetime, timezone

    from chalicelib.domain import parse_moment
    from chalicelib.steps import scheduler

    now = parse_moment(args.now, "--now") if args.now else datetime.now(timezone.utc)
    settings = Settings()
    if settings.get("SFN_ENDPOINT_URL"):
        services = Services(settings, clock=lambda: now)
        result = scheduler.run_schedule(episodes=services.episodes, start_slot=services.admin.start_slot,
                                        now=now, batch=settings.integer("SCHEDULER_BATCH", minimum=1))
        return report_tick(result)
    from app import app
    from podcasto_local.engine import LocalEngine

    with LocalEngine(app, bucket=settings.bucket, region=settings.region) as engine:
        settings = Settings(overrides={"STATE_MACHINE_ARN": engine.state_machine_arn})
        services = Services(settings, s3_client=engine.client("s3"), sfn_client=engine.client("stepfunctions"),
                            clock=lambda: now)
        previous = use_services(services)
        try:
            result = engine.run_scheduled("schedule_episodes")
            for started in result["started"]:
                episode = services.episodes.get_episode(started["episode_id"])
                if episode.execution_id:
                    engine.wait(episode.execution_id)
                started["status"] = services.episodes.get_episode(started["episode_id"]).status
        finally:
            use_services(previous)
    return report_tick(result)


def report_tick(result: dict) -> int:
    print(f"podcasto: tick at {result['now']}: {result['due']} podcast(s) due", flush=True)
    for started in result["started"]:
        print(f"podcasto: {started['podcast_id']} slot {started['slot']}: episode {started['episode_id']} "
              f"{started['status']}", flush=True)
    for failed in result["failed"]:
        print(f"podcasto: {failed['podcast_id']} slot {failed['slot']}: not started ({failed['error']})",
              file=sys.stderr, flush=True)
    for deferred in result.get("deferred", []):
        print(f"podcasto: {deferred['podcast_id']}: deferred to the next tick (MAX_EPISODES_IN_FLIGHT "
              "episodes are in flight)", flush=True)
    return 1 if result["failed"] else 0


def write_feed(services, episode, out: Path) -> str:
    """OUT/feed.xml: the podcast's feed of this one episode, rendered by the writer PublishFeed
    uses, its URLs the files beside it (so a podcast app on this machine can open it as is)."""
    from chalicelib.domain import captions_key, chapters_key, transcript_json_key
    from chalicelib.feed.rss import render_feed
    from chalicelib.steps.publish import cover_url

    names = {}
    for key in (captions_key(episode.podcast_id, episode.id), transcript_json_key(episode.podcast_id, episode.id),
                chapters_key(episode.podcast_id, episode.id)):
        names[key] = Path(key).name
        with open(out / names[key], "wb") as target:
            services.objects.download(key, target)
    names[episode.audio_key] = "podcast.mp3"
    podcast = services.episodes.get_podcast(episode.podcast_id)
    cover_key = cover_url(podcast, services.objects, lambda key: key)  # makes the title card if absent
    if not cover_key.startswith("https://"):
        names[cover_key] = "cover" + Path(cover_key).suffix
        with open(out / names[cover_key], "wb") as target:
            services.objects.download(cover_key, target)

    def url_for(key: str) -> str:
        return (out / names[key]).as_uri() if key in names else key

    (out / "feed.xml").write_bytes(render_feed(
        podcast, [episode], feed_url=(out / "feed.xml").as_uri(), image_url=url_for(cover_key), url_for=url_for))
    return "feed.xml"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="podcasto", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    tick = sub.add_parser("tick", help="run the scheduler once: start the episodes that are due")
    tick.add_argument("--now", default=None, help="the moment to tick at (ISO-8601; default: now)")
    demo = sub.add_parser("demo", help="one episode of the bundled example export into out/")
    generate = sub.add_parser("generate", help="one episode of a Telegram Desktop export")
    origin = generate.add_mutually_exclusive_group(required=True)
    origin.add_argument("--export", help="path to a Telegram Desktop export's result.json")
    origin.add_argument(
        "--channel", help="live channel(s), comma-separated: @name, t.me link or numeric id "
        "(needs TELEGRAM_API_ID, TELEGRAM_API_HASH, TELEGRAM_SESSION)")
    for command in (demo, generate):
        command.add_argument("--out", default=str(ROOT / "out"))
        command.add_argument("--chat", default=None, help="chat name or id (full-account exports)")
        command.add_argument("--language", choices=("en", "he"), default=None)
        command.add_argument("--format", choices=("dialogue", "narrator"), default=None)
        command.add_argument("--start-date", dest="start_date", default=None)
        command.add_argument("--end-date", dest="end_date", default=None)
        command.add_argument("--days-back", dest="days_back", type=int, default=None)
    args = parser.parse_args(argv)
    if args.command == "tick":
        return args
    if args.command == "demo":
        args.export, args.channel = str(DEMO_EXPORT), None
    # Make passes unset variables as empty strings.
    for field in ("chat", "language", "format", "start_date", "end_date"):
        if getattr(args, field) == "":
            setattr(args, field, None)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)  # a usage error exits 2 with argparse's own message
    try:
        return run_tick(args) if args.command == "tick" else run_episode(args)
    except ConfigurationError as exc:
        return _fail(EXIT_CONFIGURATION, f"{type(exc).__name__}: {exc}")
    except PodcastoError as exc:
        return _fail(EXIT_REFUSED, f"{type(exc).__name__}: {exc}")
    except KeyboardInterrupt:
        return _fail(EXIT_INTERRUPTED, "interrupted")
    except Exception as exc:  # noqa: BLE001 - the CLI's edge: one line, the traceback to the log
        import traceback

        log_file = Path(getattr(args, "out", None) or ROOT / "out").expanduser().resolve() / "podcasto.log"
        try:
            log_file.parent.mkdir(parents=True, exist_ok=True)
            with log_file.open("a", encoding="utf-8") as log:
                log.write(redact.text(traceback.format_exc()))
        except OSError:
            return _fail(EXIT_BUG, f"internal error ({type(exc).__name__})")
        return _fail(EXIT_BUG, f"internal error ({type(exc).__name__}); the traceback is in {log_file}")


def _fail(status: int, message: str) -> int:
    """One line on stderr, secrets taken out, whatever the message held."""
    print("podcasto: " + " ".join(redact.text(message).split()), file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
