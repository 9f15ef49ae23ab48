"""Security findings of issue #15, one test per finding, each failing without its fix."""
