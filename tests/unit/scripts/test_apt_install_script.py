"""scripts/apt_install.sh: what `make test` runs when Chromium (or another system package) is
missing. As root it installs with apt; anyone else is told exactly what to install."""
from __future__ import annotations

import os
import subprocess

from tests.conftest import ROOT

SCRIPT = ROOT / "scripts" / "apt_install.sh"


def test_without_root_it_names_the_packages_and_fails():
    command = [str(SCRIPT), "chromium", "chromium-driver"]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "nobody", "--", *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert "apt-get install chromium chromium-driver" in result.stderr


def test_without_packages_it_shows_its_usage():
    result = subprocess.run([str(SCRIPT)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "usage" in result.stderr


def test_make_test_installs_the_browser_before_running_the_tests():
    dry_run = subprocess.run(["make", "-n", "test"], cwd=ROOT, capture_output=True, text=True, timeout=60).stdout
    install = dry_run.index("scripts/apt_install.sh chromium chromium-driver")
    assert install < dry_run.index("-m pytest")
