"""Web Push, one of notify's channels: subscriptions (handlers.py), the jobs a notification
makes (jobs.py) and their delivery (sender.py)."""

from services.notify.push.sender import DURABLE, Pusher

__all__ = ["DURABLE", "Pusher"]
