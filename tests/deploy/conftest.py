"""``packaged``: one real `make package` run (chalice package + the merge template + bytecode)
for the session, into a temporary folder; the deploy tests read what it wrote."""
from __future__ import annotations

import json
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
    from podcasto_deploy.package import package

    out = tmp_path_factory.mktemp("dist")
    result = package(STAGE, out)
    extracted = out / "extracted"
    with zipfile.ZipFile(result["zip"]) as archive:
        archive.extractall(extracted)
    return Packaged(
        template=json.loads(result["template"].read_text()),
        merge_template=json.loads((out / "merge-template.json").read_text()),
        zip_path=result["zip"],
        extracted=extracted,
    )


@pytest.fixture(scope="session")
def chalice_config() -> dict:
    return json.loads((ROOT / ".chalice" / "config.json").read_text())
