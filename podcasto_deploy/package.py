"""`make package STAGE=dev|prod`: one deployable template and one zip, in dist/.

    dist/merge-template.json   generated from statemachine.asl.json (podcasto_deploy.template)
    dist/sam.json              Chalice's SAM template with the merge template folded in
    dist/deployment.zip        the code, with bytecode for the Lambda runtime (podcasto_deploy.bundle)

Dev-only: nothing here is packaged, and Lambda never imports it.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from podcasto_deploy.bundle import precompile
from podcasto_deploy.template import API_FUNCTION, logical_id, merge_template

ROOT = Path(__file__).resolve().parent.parent
ASL_PATH = ROOT / "statemachine.asl.json"
AWS_STAGES = ("dev", "prod")


def app_functions() -> list[str]:
    """Logical ids of every function Chalice packages from app.py (importing it reads nothing)."""
    from app import app

    names = [f.name for f in app.pure_lambda_functions] + [e.name for e in app.event_sources]
    return [logical_id(n) for n in names] + ([API_FUNCTION] if app.routes else [])


def package(stage: str, out: Path) -> dict:
    if stage not in AWS_STAGES:
        raise SystemExit(f"STAGE must be one of {', '.join(AWS_STAGES)} (got {stage!r})")
    out.mkdir(parents=True, exist_ok=True)
    asl = json.loads(ASL_PATH.read_text(encoding="utf-8"))
    merge_path = out / "merge-template.json"
    merge_path.write_text(json.dumps(merge_template(asl, stage=stage, functions=app_functions()), indent=2) + "\n")

    chalice = Path(sys.executable).with_name("chalice")
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
    with tempfile.TemporaryDirectory(prefix="podcasto-package-") as scratch:
        # Chalice pip-downloads requirements.txt for Lambda's platform (manylinux wheels).
        subprocess.run(
            [str(chalice), "--project-dir", str(ROOT), "package", "--stage", stage,
             "--merge-template", str(merge_path.resolve()), scratch],
            check=True, env=env, stdout=subprocess.DEVNULL,
        )
        precompile(Path(scratch) / "deployment.zip", out / "deployment.zip")
        shutil.copyfile(Path(scratch) / "sam.json", out / "sam.json")
    template = json.loads((out / "sam.json").read_text())
    runtimes = sorted({r["Properties"]["Runtime"] for r in template["Resources"].values()
                       if r["Type"] == "AWS::Serverless::Function"})
    return {"template": out / "sam.json", "zip": out / "deployment.zip", "runtimes": runtimes,
            "zip_bytes": (out / "deployment.zip").stat().st_size}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--out", default=str(ROOT / "dist"))
    args = parser.parse_args(argv)
    result = package(args.stage, Path(args.out))
    print(f"{result['template']}  (runtime {', '.join(result['runtimes'])})")
    print(f"{result['zip']}  ({result['zip_bytes'] / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
