"""Property-based fuzzing of every operation in docs/openapi.json (schemathesis), against the app
served as `chalice local` serves it, on loopback.

Each operation the document lists is fuzzed — routes added later are fuzzed as soon as they are
documented (tests/functional/test_api_contract.py keeps the document and the routes equal). For
every generated request (valid and invalid paths, headers and bodies): never a 5xx, the status is
one the operation documents, and the body and headers match the document's schema. Bounded: a
fixed number of examples per operation, derandomised, no example database.
"""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
import schemathesis
from chalice.config import Config
from chalice.local import LocalDevServer
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app import app
from tests.conftest import API_KEY, ROOT

SCHEMA = schemathesis.openapi.from_path(str(Path(ROOT) / "docs" / "openapi.json"))
# Methods outside a route's own are sent too (expecting 405); only those an HTTP server hands to
# the app: chalice local answers TRACE and QUERY itself (501), as API Gateway does (403).
SCHEMA.config.phases.coverage.unexpected_methods = {"get", "put", "post", "delete", "patch", "options"}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]


class RecordingStarter:
    """Starts nothing: the fuzzer checks what the API answers, not the workflow."""

    def execution_arn(self, name):
        return f"arn:aws:states:us-east-1:123456789012:execution:podcasto-local:{name}"

    def start(self, *, name, execution_input):
        return self.execution_arn(name)


@pytest.fixture(scope="module")
def server():
    """The app behind chalice's own local server (what `chalice local` runs), on a free port."""
    local = LocalDevServer(app, Config.create(chalice_stage="local", app_name="podcasto"), "127.0.0.1", 0)
    thread = threading.Thread(target=local.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{local.server.server_address[1]}"
    local.server.shutdown()
    local.server.server_close()


@pytest.fixture
def api(server, services, podcast_for, small_export):
    services.starter = lambda: RecordingStarter()
    podcast_for(small_export, podcast_id="test-podcast")  # so some generated ids exist
    return server


@SCHEMA.parametrize()
@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_every_documented_operation_survives_fuzzing(case, api):
    case.call_and_validate(base_url=api, headers={"X-Api-Key": API_KEY}, checks=CHECKS, timeout=30)
