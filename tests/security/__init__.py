"""Security tests: access control and abuse limits (issue #15)."""
