"""Inbound feeds: outside Atom, RSS and JSON feeds posted into communities by their bots."""
