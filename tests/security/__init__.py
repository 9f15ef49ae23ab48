"""Tests that the inside stays sealed and that what must be unique stays unique."""
