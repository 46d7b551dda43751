"""A stand-in for the Lambda Python runtime, to import the deployment zip as Lambda would.

The zip extracted as /var/task would be, beside a folder holding only what the runtime adds
to the standard library (boto3 and its dependencies, copied from this venv and compiled, as the
runtime ships them), for an interpreter run with ``-S`` so the dev venv's site-packages stay
out of sight. Used by the deploy tests and bench/bench_cold_start.py.
"""
from __future__ import annotations

import compileall
import os
import shutil
import zipfile
from pathlib import Path

# What the Lambda Python runtime provides besides the standard library (boto3 is not bundled).
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six.py", "urllib3")

# An API Gateway proxy event for GET /podcasts with a wrong key: the API answers 401 before any
# store or client is built, so it measures and checks the API function's own import path.
UNAUTHORISED_LIST_PODCASTS = {
    "resource": "/podcasts", "path": "/podcasts", "httpMethod": "GET",
    "headers": {"X-Api-Key": "wrong"}, "multiValueHeaders": {"X-Api-Key": ["wrong"]},
    "queryStringParameters": None, "multiValueQueryStringParameters": None, "pathParameters": None,
    "stageVariables": None, "body": None, "isBase64Encoded": False,
    "requestContext": {"resourcePath": "/podcasts", "httpMethod": "GET", "stage": "api"},
}


def prepare(zip_path: Path, folder: Path) -> tuple[Path, dict]:
    """Extract ``zip_path`` under ``folder``; return the task folder and the environment to run
    ``python -S`` in (the stage is dev, the API key set, AWS credentials throwaway)."""
    import boto3

    task, runtime = folder / "task", folder / "runtime"
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(task)
    runtime.mkdir(parents=True)
    site_packages = Path(boto3.__file__).parent.parent
    for name in RUNTIME_PROVIDED:
        source = site_packages / name
        if source.is_dir():
            shutil.copytree(source, runtime / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, runtime / name)
    # With bytecode, as /var/runtime has it (this machine sets PYTHONDONTWRITEBYTECODE, so the
    # venv may have none): a baseline that compiled boto3 on every start would flatter the ratios.
    compileall.compile_dir(runtime, quiet=2, workers=0)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": f"{task}{os.pathsep}{runtime}",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PODCASTO_STAGE": "dev",
        "PODCASTO_API_KEY": "sandbox-key",
        "AWS_ACCESS_KEY_ID": "sandbox", "AWS_SECRET_ACCESS_KEY": "sandbox", "AWS_DEFAULT_REGION": "us-east-1",
    }
    return task, env
