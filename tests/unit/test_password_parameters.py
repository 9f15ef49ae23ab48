"""Passwords are hashed at argon2-cffi's full parameters unless the test-only variable says
otherwise (the suite sets it: tests/__init__.py); a process without it hashes for real."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from services.graph import passwords

ROOT = Path(__file__).resolve().parents[2]


def test_a_process_without_the_test_variable_hashes_at_full_cost() -> None:
    env = {k: v for k, v in os.environ.items() if k != passwords.INSECURE_TEST_HASHING}
    env["PYTHONPATH"] = str(ROOT)
    out = subprocess.run(
        [sys.executable, "-c", "from services.graph.passwords import hasher; "
         "print(hasher.time_cost, hasher.memory_cost, hasher.parallelism)"],
        env=env, capture_output=True, text=True, check=True, cwd=ROOT).stdout.split()
    assert out == ["3", "65536", "4"]


def test_the_suite_hashes_at_test_cost_and_checks_either() -> None:
    assert os.environ[passwords.INSECURE_TEST_HASHING] == "1"
    assert passwords.hasher.memory_cost == 1024
    from argon2 import PasswordHasher

    full = PasswordHasher().hash("correct horse battery")
    assert passwords.hasher.verify(full, "correct horse battery")
