"""``packaged``: one real `make package` run (chalice package + the merge template + bytecode),
as an operator runs it, for the session, into a temporary folder; the deploy tests read what it
wrote."""
from __future__ import annotations

import json
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STAGE = "dev"


@dataclass
class Packaged:
    template: dict
    merge_template: dict
    zip_path: Path
    extracted: Path

    def resources(self, resource_type: str) -> dict:
        return {k: v for k, v in self.template["Resources"].items() if v["Type"] == resource_type}


@pytest.fixture(scope="session")
def packaged(tmp_path_factory) -> Packaged:
    out = tmp_path_factory.mktemp("dist")
    made = subprocess.run(["make", "-s", "package", f"STAGE={STAGE}", f"DIST={out}"], cwd=ROOT,
                          capture_output=True, text=True)
    assert made.returncode == 0, made.stdout + made.stderr
    assert f"{out}/deployment.zip" in made.stdout  # it says what it wrote
    extracted = out / "extracted"
    with zipfile.ZipFile(out / "deployment.zip") as archive:
        archive.extractall(extracted)
    return Packaged(
        template=json.loads((out / "sam.json").read_text()),
        merge_template=json.loads((out / "merge-template.json").read_text()),
        zip_path=out / "deployment.zip",
        extracted=extracted,
    )


@pytest.fixture(scope="session")
def chalice_config() -> dict:
    return json.loads((ROOT / ".chalice" / "config.json").read_text())
