"""scripts/deploy.sh (`make deploy`) against a stand-in `aws` that records what it is asked: the
AWS CLI's own behaviour is AWS's to test; the order and the arguments are ours."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FAKE_AWS = r"""#!/usr/bin/env bash
echo "$*" >> "$AWS_CALLS"
case "$1 $2" in
  "ssm get-parameters") echo "${MISSING_PARAMETERS:-}" ;;
  "cloudformation package") : ;;
  "cloudformation deploy") : ;;
  "cloudformation describe-stacks") echo "StateMachineArn  arn:aws:states:...:podcasto-dev" ;;
esac
"""


@pytest.fixture
def project(tmp_path):
    """A copy of the deploy script beside a packaged-looking dist/, and a fake aws on PATH."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "deploy.sh", tmp_path / "scripts" / "deploy.sh")
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "sam.json").write_text('{"Tags": {"aws-chalice": "version=1.34.0:stage=dev:app=podcasto"}}')
    (tmp_path / "dist" / "deployment.zip").write_bytes(b"PK")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "aws").write_text(FAKE_AWS)
    (bin_dir / "aws").chmod(0o755)
    return tmp_path


def deploy(project: Path, **env) -> tuple[subprocess.CompletedProcess, list[str]]:
    calls = project / "calls.txt"
    calls.touch()
    environment = {"PATH": f"{project / 'bin'}{os.pathsep}{os.environ['PATH']}", "AWS_CALLS": str(calls),
                   "STAGE": "dev", "DEPLOY_BUCKET": "my-artifacts", "SUPABASE_URL": "https://ref.supabase.co",
                   **env}
    result = subprocess.run(["bash", str(project / "scripts" / "deploy.sh")], env=environment,
                            capture_output=True, text=True)
    return result, calls.read_text().splitlines()


def test_checks_the_secrets_then_packages_and_deploys_the_stage_stack(project):
    result, calls = deploy(project, TELEGRAM_API_ID="12345", PUBLIC_BASE_URL="https://podcasts.example.com")
    assert result.returncode == 0, result.stderr
    assert calls[0].startswith("ssm get-parameters --names /podcasto/dev/SUPABASE_KEY /podcasto/dev/PODCASTO_API_KEY")
    assert calls[1].startswith("cloudformation package") and "--s3-bucket my-artifacts" in calls[1]
    deploy_call = calls[2]
    assert deploy_call.startswith("cloudformation deploy") and "--stack-name podcasto-dev" in deploy_call
    assert "CAPABILITY_IAM CAPABILITY_AUTO_EXPAND" in deploy_call
    assert "SupabaseUrl=https://ref.supabase.co" in deploy_call and "TelegramApiId=12345" in deploy_call
    assert "PublicBaseUrl=https://podcasts.example.com" in deploy_call  # feeds name the custom domain


def test_a_missing_secret_stops_before_anything_is_uploaded(project):
    result, calls = deploy(project, MISSING_PARAMETERS="/podcasto/dev/PODCASTO_API_KEY")
    assert result.returncode != 0
    assert "/podcasto/dev/PODCASTO_API_KEY" in result.stderr
    assert [c for c in calls if c.startswith("cloudformation")] == []


@pytest.mark.parametrize("unset, named", [("DEPLOY_BUCKET", "DEPLOY_BUCKET"), ("SUPABASE_URL", "SUPABASE_URL")])
def test_a_missing_setting_is_named(project, unset, named):
    result, calls = deploy(project, **{unset: ""})
    assert result.returncode != 0 and named in result.stderr
    assert calls == []


def test_a_package_made_for_another_stage_is_refused(project):
    result, calls = deploy(project, STAGE="prod")
    assert result.returncode != 0 and "make package STAGE=prod" in result.stderr
    assert calls == []
