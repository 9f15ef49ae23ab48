"""Where outgoing mail goes, read from ``HUBBUB_SMTP_URL``.

- ``smtp://[user:pass@]host[:port]``: port 587 by default; STARTTLS when the server offers it,
  ``?starttls=required`` to refuse a server that does not;
- ``smtps://[user:pass@]host[:port]``: TLS from the first byte (port 465 by default);
- ``?ca_file=PATH``: trust this CA (a private one) instead of the system's store.

Certificates and host names are always verified, as for the other servers (shared/tls.py). The
user and password are percent-decoded (``%40`` for an ``@`` in a user name) and only ever sent
over TLS: a server that offers no STARTTLS gets no password (services/notify/mailer/transport.py).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_PORTS = {"smtp": 587, "smtps": 465}
STARTTLS_MODES = ("auto", "required")


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    implicit_tls: bool  # smtps://
    starttls_required: bool
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # never in a log line
    ca_file: str | None = None

    def tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file)

    def __str__(self) -> str:
        """The target as a log line may name it: no user, no password."""
        scheme = "smtps" if self.implicit_tls else "smtp"
        return f"{scheme}://{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpTarget:
    """The target ``url`` names; ValueError (naming what is wrong, never the password) else."""
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS:
        raise ValueError("HUBBUB_SMTP_URL: the scheme must be smtp:// or smtps://")
    if not parts.hostname:
        raise ValueError("HUBBUB_SMTP_URL: no host")
    try:
        port = parts.port if parts.port is not None else DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise ValueError("HUBBUB_SMTP_URL: the port is not a number from 1 to 65535") from None
    if port == 0:
        raise ValueError("HUBBUB_SMTP_URL: the port is not a number from 1 to 65535")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    unknown = sorted(set(query) - {"starttls", "ca_file"})
    if unknown:
        raise ValueError(f"HUBBUB_SMTP_URL: unknown option {unknown[0]!r} "
                         "(known: starttls, ca_file)")
    starttls = query.get("starttls", "auto").lower()
    if starttls not in STARTTLS_MODES:
        raise ValueError("HUBBUB_SMTP_URL: starttls is 'auto' or 'required'")
    if starttls == "required" and parts.scheme == "smtps":
        raise ValueError("HUBBUB_SMTP_URL: smtps:// is TLS from the start; starttls does "
                         "not apply")
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if password is not None and not username:
        raise ValueError("HUBBUB_SMTP_URL: a password without a user name")
    return SmtpTarget(
        host=parts.hostname, port=port, implicit_tls=parts.scheme == "smtps",
        starttls_required=starttls == "required", username=username, password=password,
        ca_file=query.get("ca_file") or None,
    )
