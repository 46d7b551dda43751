"""Load with faults: N episodes started at once through the admin API on the local engine, with
faults injected at every boundary, and the engine killed (kill -9) and restarted in the middle.

What runs: `chalice local` (the API, admission control on: MAX_EPISODES_IN_FLIGHT = the bound)
and the local engine in its own process, as `make local` runs them, on a fresh PODCASTO_HOME.
The engine's seams are wrapped (this file's `inject_faults`), each failing at random with rate
FAULT_RATE: S3 answers HTTP 500 (on the wire, so botocore's own retries see it), the episode
store answers 503 (StoreUnavailable), speech is throttled (SpeechThrottled), the source meets
Telegram flood waits (short ones waited out, long ones SourceUnavailable). Retry and Wait sleeps
are compressed (time_scale 0.05).

The client posts all N at once; a 429 is retried after its Retry-After. Once half are accepted
and one has ended, the engine is killed with SIGKILL and started again: the episodes it was
running are failed by the sweeper as ExecutionLost, and the client retries those (and any whose
start met the engine down, WorkflowUnavailable) once, as an operator would.

Prints, at the bound and at 3x the bound: completed, failed with a reason (by error), left
unfinished or lost (must be 0), p50/p95 time from the first POST to the final status, 429s,
faults injected, and the engine's peak threads and RSS.

Run: .venv/bin/python bench/bench_load.py [BOUND]   (default: 10, so 10 and 30 episodes)
"""
from __future__ import annotations

import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FAULT_RATE = 0.1
TIME_SCALE = 0.05
KEY = "podcasto-local-key"
PODCAST = "bench-load"
TERMINAL = ("completed", "failed", "skipped")
INFRASTRUCTURE = ("ExecutionLost", "WorkflowUnavailable")  # retried once by the client
DEADLINE_SECONDS = 900
# Every episode asks for the export's day explicitly: without a window, a podcast's next episode
# starts where its last completed one ended (chalicelib.continuity), past the export.
WINDOW = {"start_date": "2026-11-20", "end_date": "2026-11-20"}


# --- the engine process, with faults ------------------------------------------------------------
def inject_faults(services, *, rate: float, seed: int, counts_path: Path) -> None:
    """Wrap the engine's seams so each fails at random with ``rate``."""
    from botocore.awsrequest import AWSResponse

    from chalicelib.errors import SourceUnavailable, SpeechThrottled, StoreUnavailable

    chance = random.Random(seed)
    counts = {"s3_500": 0, "store_503": 0, "speech_throttled": 0, "flood_wait_waited": 0,
              "flood_wait_too_long": 0}
    if counts_path.exists():  # the engine before the restart counted its own
        counts.update(json.loads(counts_path.read_text()))
    lock = threading.Lock()

    def hit(kind: str) -> bool:
        with lock:
            if chance.random() >= rate:
                return False
            counts[kind] += 1
            return True

    def write_counts() -> None:
        while True:
            with lock:
                text = json.dumps(counts)
            counts_path.write_text(text)
            time.sleep(0.5)

    threading.Thread(target=write_counts, daemon=True).start()

    class _Body:
        def __init__(self, data: bytes):
            self.data = data

        def read(self, *_):
            data, self.data = self.data, b""
            return data

        def stream(self, **_):
            yield self.read()

    def s3_500(request, **_):
        if hit("s3_500"):
            body = b"<Error><Code>InternalError</Code><Message>injected</Message></Error>"
            return AWSResponse(request.url, 500, {}, _Body(body))
        return None

    services.objects.inner._s3.meta.events.register("before-send.s3", s3_500)

    class Store:
        def __init__(self, inner):
            self._inner = inner

        def __getattr__(self, name):
            attribute = getattr(self._inner, name)
            if name not in ("get_episode", "claim", "transition", "get_podcast", "unfinished"):
                return attribute

            def call(*args, **kwargs):
                if hit("store_503"):
                    raise StoreUnavailable(f"the episode store answered 503 (injected, {name})")
                return attribute(*args, **kwargs)
            return call

    services.episodes = Store(services.episodes)

    real_speech_for = services.speech_for

    class Speech:
        def __init__(self, inner):
            self._inner = inner
            self.sample_rate = inner.sample_rate

        def synthesize(self, text, *, voice, language):
            if hit("speech_throttled"):
                raise SpeechThrottled("the speech provider answered 429 (injected)")
            return self._inner.synthesize(text, voice=voice, language=language)

    services.speech_for = lambda language, provider=None: Speech(real_speech_for(language, provider))

    real_source_for = services.source_for

    class Source:
        def __init__(self, inner):
            self._inner = inner

        def collect(self, window):
            if hit("flood_wait_waited"):
                time.sleep(0.2)  # a short FloodWait, waited out inside the task
            if hit("flood_wait_too_long"):
                raise SourceUnavailable("Telegram asked to wait 600 s (injected flood wait)")
            return self._inner.collect(window)

    services.source_for = lambda podcast: Source(real_source_for(podcast))


def engine_child(argv: list[str]) -> int:
    port, ready, counts, seed = argv
    from podcasto_local import engine_server

    return engine_server.main(
        ["--port", port, "--ready-file", ready, "--time-scale", str(TIME_SCALE)],
        prepare=lambda services: inject_faults(services, rate=FAULT_RATE, seed=int(seed), counts_path=Path(counts)),
    )


# --- the client -----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(method: str, url: str, body: dict | None = None, headers: dict | None = None) -> tuple[int, dict, dict]:
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body is not None else None,
                                     headers={"X-Api-Key": KEY, "Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}"), dict(error.headers)
    except (urllib.error.URLError, OSError, http.client.HTTPException):
        # chalice local serves one request at a time with a short listen backlog: under a burst
        # a connection can be refused or reset. Status 0: no answer, ask again.
        return 0, {}, {}


def write_export(folder: Path, messages: int = 6) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    texts = ["Release 2.0 is out with faster builds and a new plugin system.",
             "The team fixed forty bugs this week, most of them in the parser.",
             "Benchmarks show a third less memory on large projects.",
             "A security advisory covers the old upload endpoint; update soon.",
             "Docs now have a migration guide for the configuration format.",
             "Thanks to twelve new contributors who joined this month."]
    first = 1795168800  # 2026-11-20 10:00 UTC: inside WINDOW
    data = {"name": "Load Channel", "type": "public_channel", "id": 4242, "messages": [
        {"id": i + 1, "type": "message", "date": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(first + i * 600)),
         "date_unixtime": str(first + i * 600),
         "from": "Load Channel", "from_id": "channel4242", "text": texts[i % len(texts)]}
        for i in range(messages)]}
    path = folder / "result.json"
    path.write_text(json.dumps(data))
    return path


class Stack:
    """The API and the engine, as `make local` runs them, on one PODCASTO_HOME."""

    def __init__(self, home: Path, bound: int):
        self.home, self.bound = home, bound
        self.api_port, self.sfn_port = free_port(), free_port()
        self.api = f"http://127.0.0.1:{self.api_port}"
        self.env = {**os.environ, "PODCASTO_HOME": str(home), "AWS_REGION": "us-east-1",
                    "AWS_DEFAULT_REGION": "us-east-1", "SWEEP_GRACE_SECONDS": "5", "SWEEP_INTERVAL_SECONDS": "2",
                    "MAX_EPISODES_IN_FLIGHT": str(bound), "ADMISSION_RETRY_AFTER_SECONDS": "1"}
        self.env.pop("PODCASTO_API_KEY", None)
        self.engine: subprocess.Popen | None = None
        self.api_process: subprocess.Popen | None = None
        self.peak_threads = self.peak_rss_mb = 0
        self.restarts = 0

    def start_engine(self, seed: int) -> None:
        ready = self.home / f"engine-ready-{seed}"
        log = open(self.home / "engine.log", "a")  # noqa: SIM115 - lives as long as the child
        self.engine = subprocess.Popen(
            [sys.executable, __file__, "--engine-child", str(self.sfn_port), str(ready),
             str(self.home / "faults.json"), str(seed)],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while not ready.exists():
            if self.engine.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the engine did not start; see {self.home / 'engine.log'}")
            time.sleep(0.1)

    def start(self) -> None:
        self.start_engine(seed=1)
        env = {**self.env, "SFN_ENDPOINT_URL": f"http://127.0.0.1:{self.sfn_port}",
               "S3_ENDPOINT_URL": f"http://127.0.0.1:{self.sfn_port}",
               "STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:podcasto-local"}
        self.api_process = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "chalice"), "local", "--no-autoreload", "--stage", "local",
             "--host", "127.0.0.1", "--port", str(self.api_port)],
            cwd=ROOT, env=env, stdout=open(self.home / "api.log", "a"), stderr=subprocess.STDOUT)  # noqa: SIM115
        deadline = time.monotonic() + 60
        while True:
            try:
                if call("GET", f"{self.api}/podcasts")[0] == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the API did not start")
            time.sleep(0.2)

    def kill_and_restart_engine(self) -> None:
        self.engine.send_signal(signal.SIGKILL)
        self.engine.wait()
        self.restarts += 1
        self.start_engine(seed=2)

    def sample(self) -> None:
        try:
            status = Path(f"/proc/{self.engine.pid}/status").read_text()
        except OSError:
            return
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        self.peak_threads = max(self.peak_threads, int(fields["Threads"]))
        self.peak_rss_mb = max(self.peak_rss_mb, int(fields["VmRSS"].split()[0]) // 1024)

    def stop(self) -> None:
        for process in (self.api_process, self.engine):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()


def run(episodes: int, bound: int) -> dict:
    from chalicelib.stores.episodes import Podcast
    from chalicelib.stores.sqlite_store import SqliteEpisodeStore

    home = Path(tempfile.mkdtemp(prefix="podcasto-bench-load-"))
    export = write_export(home / "export")
    # A podcast per episode: a podcast never tells a message twice, so N episodes of one
    # podcast over one export would be all but one skipped as nothing new.
    store = SqliteEpisodeStore(str(home / "podcasto.db"))
    for number in range(episodes):
        store.put_podcast(Podcast(id=f"{PODCAST}-{number}", title="Load", format="narrator",
                                  sources=[{"export": str(export)}], days_back=None))
    stack = Stack(home, bound)
    stack.start()
    refused_429 = 0
    lock = threading.Lock()
    first_post: dict[str, float] = {}
    ended_at: dict[str, float] = {}
    retried: set[str] = set()
    retrying: dict = {}  # episode id -> the future of its retry request

    def start_one(number: int) -> str:
        """POST until accepted; one Idempotency-Key per episode, so a POST repeated after a 503
        (the engine was down) finds the episode that 503 left failed instead of making another."""
        nonlocal refused_429
        began = time.monotonic()
        key = {"Idempotency-Key": f"bench-{episodes}-{number}"}
        while True:
            status, body, headers = call("POST", f"{stack.api}/podcasts/{PODCAST}-{number}/episodes", WINDOW, key)
            if status == 429:
                with lock:
                    refused_429 += 1
                time.sleep(float(headers.get("Retry-After", "1")))
                continue
            if status == 202:
                first_post[body["episode_id"]] = began
                return body["episode_id"]
            if status in (0, 503):  # no answer, or the engine is down: the same key finds the episode
                time.sleep(1)
                continue
            raise RuntimeError(f"unexpected answer {status}: {body}")

    def retry_one(episode_id: str) -> None:
        nonlocal refused_429
        while True:
            status, body, headers = call("POST", f"{stack.api}/episodes/{episode_id}/retry")
            if status == 429:
                with lock:
                    refused_429 += 1
                time.sleep(float(headers.get("Retry-After", "1")))
                continue
            if status in (0, 503):
                time.sleep(1)
                continue
            return

    started = time.monotonic()
    final: dict[str, dict] = {}
    try:
        with ThreadPoolExecutor(max_workers=episodes + 4) as pool:
            posting = [pool.submit(start_one, i) for i in range(episodes)]
            retries = []
            while time.monotonic() - started < DEADLINE_SECONDS:
                stack.sample()
                accepted = list(first_post)
                for episode_id in accepted:
                    if episode_id in ended_at:
                        continue
                    status, episode, _ = call("GET", f"{stack.api}/episodes/{episode_id}")
                    if status != 200 or episode["status"] not in TERMINAL:
                        continue
                    if episode["status"] == "failed" and episode["error"] in INFRASTRUCTURE and episode_id not in retried:
                        retried.add(episode_id)
                        retrying[episode_id] = pool.submit(retry_one, episode_id)
                        retries.append(retrying[episode_id])
                        continue
                    if episode_id in retrying and not retrying[episode_id].done():
                        continue  # the retry is not accepted yet (429): the failure shown is the old one
                    ended_at[episode_id] = time.monotonic()
                    final[episode_id] = episode
                if (not stack.restarts and len(accepted) >= episodes / 2 and ended_at):
                    stack.kill_and_restart_engine()
                for future in (*posting, *retries):
                    if future.done() and future.exception() is not None:
                        raise future.exception()
                if all(f.done() for f in posting) and len(ended_at) == episodes and all(f.done() for f in retries):
                    break
                time.sleep(0.5)
    finally:
        stack.stop()
    faults = json.loads((home / "faults.json").read_text()) if (home / "faults.json").exists() else {}
    times = sorted(ended_at[e] - first_post[e] for e in ended_at)
    errors: dict[str, int] = {}
    for episode in final.values():
        if episode["status"] == "failed":
            errors[episode["error"]] = errors.get(episode["error"], 0) + 1
    return {
        "episodes": episodes, "bound": bound,
        "completed": sum(e["status"] == "completed" for e in final.values()),
        "skipped": sum(e["status"] == "skipped" for e in final.values()),
        "failed": errors, "failed_without_reason": sum(e["status"] == "failed" and not e["cause"] for e in final.values()),
        "unfinished_or_lost": episodes - len(final),
        "p50": statistics.median(times) if times else None,
        "p95": times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))] if times else None,
        "refused_429": refused_429, "retried": len(retried), "restarts": stack.restarts, "faults": faults,
        "peak_threads": stack.peak_threads, "peak_rss_mb": stack.peak_rss_mb, "wall": time.monotonic() - started,
    }


def report(result: dict) -> None:
    print(f"{result['episodes']} episodes at once, admission bound {result['bound']}, "
          f"fault rate {FAULT_RATE:.0%} per call, {result['restarts']} engine kill -9 + restart")
    print(f"  completed: {result['completed']}; skipped (nothing new): {result['skipped']}")
    failed = ", ".join(f"{k} {v}" for k, v in sorted(result["failed"].items())) or "none"
    print(f"  failed with a reason: {sum(result['failed'].values())} ({failed}); "
          f"without a reason: {result['failed_without_reason']}")
    print(f"  left unfinished or lost: {result['unfinished_or_lost']}")
    if result["p50"] is not None:
        print(f"  time to final status: p50 {result['p50']:.1f} s, p95 {result['p95']:.1f} s "
              f"(wall {result['wall']:.0f} s)")
    print(f"  429 answers: {result['refused_429']}; retried after ExecutionLost/WorkflowUnavailable: {result['retried']}")
    print(f"  faults injected: {', '.join(f'{k} {v}' for k, v in result['faults'].items())}")
    print(f"  engine peak: {result['peak_threads']} threads, {result['peak_rss_mb']} MB RSS")


def main(bound: int = 10) -> None:
    for episodes in (bound, 3 * bound):
        report(run(episodes, bound))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--engine-child":
        sys.exit(engine_child(sys.argv[2:]))
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
