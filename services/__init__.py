"""Hubbub's services: one package each, started as ``hubbub service NAME``."""
