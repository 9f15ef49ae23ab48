"""Outgoing mail, one of notify's channels: see mailer.py."""

from services.notify.mailer.mailer import DURABLE, Mailer

__all__ = ["DURABLE", "Mailer"]
