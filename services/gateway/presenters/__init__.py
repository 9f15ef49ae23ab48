"""Mastodon JSON shapes of Hubbub's records: one module per entity."""
