"""statemachine.asl.json checked by two real tools before it is deployed: asl-validator (npm),
which catches graph errors moto accepts (a dangling Next), and moto's own CreateStateMachine,
which catches bad Retry fields. Each check is shown to fail on a broken copy."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

ROOT = Path(__file__).resolve().parents[2]
ASL_PATH = ROOT / "statemachine.asl.json"
VALIDATOR = ROOT / "node_modules" / ".bin" / "asl-validator"


def asl_validator(path: Path) -> subprocess.CompletedProcess:
    assert VALIDATOR.exists(), "node_modules is missing: make test installs it (npm ci)"
    return subprocess.run([str(VALIDATOR), "--json-path", str(path)], capture_output=True, text=True)


def broken_copy(tmp_path: Path, change) -> Path:
    asl = json.loads(ASL_PATH.read_text())
    change(asl)
    path = tmp_path / "broken.asl.json"
    path.write_text(json.dumps(asl))
    return path


def test_asl_validator_accepts_the_workflow():
    result = asl_validator(ASL_PATH)
    assert result.returncode == 0, result.stdout + result.stderr


def test_asl_validator_refuses_a_dangling_next(tmp_path):
    path = broken_copy(tmp_path, lambda asl: asl["States"]["WaitForContent"].update(Next="Nowhere"))
    result = asl_validator(path)
    assert result.returncode != 0 and "Nowhere" in result.stdout + result.stderr


def test_moto_creates_the_workflow(engine):
    arn = engine.deploy("asl-validation", engine.definition())
    described = engine.client("stepfunctions").describe_state_machine(stateMachineArn=arn)
    assert json.loads(described["definition"])["StartAt"] == "IsolateInput"


def test_moto_refuses_a_bad_retry_field(engine, tmp_path):
    def misspell(asl):
        asl["States"]["WaitForContent"]["Retry"][0]["MaxAttempt"] = 3

    text = broken_copy(tmp_path, misspell).read_text()
    with pytest.raises(ClientError) as refused:
        engine.deploy("asl-validation-broken", engine.definition_of(text))
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "MaxAttempt" in refused.value.response["Error"]["Message"]
