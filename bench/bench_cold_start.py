"""Cold starts from the deployment zip: what each Lambda imports, as ratios against
`import chalice, boto3` measured the same way in the same run (machines are noisy; ratios less so).

Packages the app (`make package` into a temporary folder), extracts the zip, and in fresh
interpreters that see only the zip, boto3 (standing in for the Lambda runtime's) and the standard
library, times: the baseline; `import app` (every function's init); the API's first request; and
each task's first call, i.e. `import app` plus the modules that call imports on AWS (the
Supabase store, boto3 clients, the step and its seams). Prints the zip size too.
Targets: API function <= 1.5x the baseline; collect_content <= 2.5x (issue 13); zip <= 21 MB.
Run: .venv/bin/python bench/bench_cold_start.py [repeats]"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from podcasto_deploy import sandbox  # noqa: E402
from podcasto_deploy.package import package  # noqa: E402

# The store as a first call builds it (the client too, not only the module's imports).
STORE = ("from chalicelib.stores.supabase_store import SupabaseEpisodeStore\n"
         "SupabaseEpisodeStore.from_settings('https://example.supabase.co', 'header.payload.signature')")
S3 = "import boto3; boto3.client('s3', region_name='us-east-1')"
# What each task's first call imports on AWS (dev/prod defaults: Supabase, S3, Polly for
# English, the offline writer), after the app itself. Collection takes its window and podcast
# from the episode reference, but still asks the store what other episodes covered and
# records what it kept (never a repeat), so it loads the store beside S3 and its source.
# Without the store it would be S3 and Telethon: the second row, what a store-free collection
# (the covered set and the record moved to the states around it) would reach.
# A Telegram Desktop export is a source on the local stage only, so it is not timed here.
FIRST_CALLS = {
    "validate_episode": [STORE, "import chalicelib.steps.validate"],
    "collect_content": [STORE, S3, "import chalicelib.steps.collect, chalicelib.sources.telethon_source"],
    "collect_content without the store": [S3, "import chalicelib.steps.collect, chalicelib.sources.telethon_source"],
    "wait_for_content": [S3, "import chalicelib.steps.collect"],
    "mark_*, reconcile": [STORE, "import chalicelib.steps.status, chalicelib.steps.reconcile"],
    "write_script": [STORE, S3, "import chalicelib.steps.script, chalicelib.script.offline"],
    "synthesize_segment": [STORE, S3, "import chalicelib.steps.speech, chalicelib.audio.polly",
                           "import boto3; boto3.client('polly', region_name='us-east-1')"],
    "stitch_audio": [S3, "import chalicelib.steps.stitch"],
}


def timed(code: str, env: dict, cwd: Path) -> float:
    probe = ("import time; _t = time.perf_counter()\n" + code +
             "\nprint(time.perf_counter() - _t)")
    result = subprocess.run([sys.executable, "-S", "-c", probe], env=env, cwd=cwd,
                            capture_output=True, text=True, check=True)
    return float(result.stdout.strip().splitlines()[-1])


def median(code: str, env: dict, cwd: Path, repeats: int) -> float:
    return statistics.median(timed(code, env, cwd) for _ in range(repeats))


def main(repeats: int = 7) -> None:
    work = Path(tempfile.mkdtemp(prefix="podcasto-bench-cold-"))
    result = package("dev", work / "dist")
    _, env = sandbox.prepare(result["zip"], work / "lambda")
    env["PROBE_EVENT"] = json.dumps(sandbox.UNAUTHORISED_LIST_PODCASTS)
    baseline = median("import chalice, boto3", env, work, repeats)
    print(f"baseline `import chalice, boto3`: {baseline * 1000:.0f} ms (median of {repeats} fresh interpreters)")
    rows = [("import app (every function's init)", "import app")]
    rows.append(("API function: init + first request", "import app, json, os\n"
                 "app.app(json.loads(os.environ['PROBE_EVENT']), None)"))
    rows.append(("API function: + first request reading episodes", "import app\n" + STORE +
                 "\nimport chalicelib.admin, chalicelib.workflow"))
    for task, imports in FIRST_CALLS.items():
        rows.append((f"{task}: init + first call", "import app\n" + "\n".join(imports)))
    for label, code in rows:
        seconds = median(code, env, work, repeats)
        print(f"{label:48} {seconds * 1000:6.0f} ms  {seconds / baseline:4.2f}x baseline")
    size = result["zip_bytes"]
    print(f"deployment.zip: {size / 1e6:.1f} MB (target <= 21 MB); runtime {', '.join(result['runtimes'])}")
    print("targets: API function <= 1.5x baseline; collect_content <= 2.5x baseline")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
