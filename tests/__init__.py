"""The test suite. Imported before tests/conftest.py and any service module."""

import os

# The suite signs up thousands of accounts through the API: argon2 at its test parameters
# (services/graph/passwords.py), read when that module is imported, so set here, first. The
# processes the tests start (hubbub up, benchmarks) inherit it.
os.environ.setdefault("HUBBUB_INSECURE_TEST_PASSWORD_HASHING", "1")
