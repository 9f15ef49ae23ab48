"""TLS for the connections to NATS and Valkey, read from their URLs (PostgreSQL's asyncpg reads
``sslmode``/``sslrootcert`` from its DSN itself).

- NATS: ``tls://host:4222?ca_file=/etc/hubbub/ca.pem`` (optionally ``&cert_file=…&key_file=…``
  for a client certificate). nats-py takes TLS as an ``ssl.SSLContext``, not from the URL, so
  the query is read here and taken off the URL. Without ``ca_file`` a ``tls://`` server is
  checked against the system's trust store.
- Valkey: ``rediss://…?ssl_ca_certs=…`` as redis-py reads it; ``redis_ssl_context`` builds the
  same context for the lean client (shared/fastredis.py), so both check the same CA.

Verification is always on (certificate and host name), unless the URL turns it off in redis-py's
own words (``ssl_cert_reqs=none``, ``ssl_check_hostname=false``).
"""

from __future__ import annotations

import ssl
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

NATS_TLS_OPTIONS = ("ca_file", "cert_file", "key_file")
_FALSE = ("0", "false", "no", "off")


def _query(url: str) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(urlsplit(url).query).items()}


def nats_tls(url: str) -> tuple[str, ssl.SSLContext | None]:
    """``url`` without Hubbub's TLS options, and the context they make (None: nats-py's own
    default, the system's trust store for a ``tls://`` server)."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    options = {key: query.pop(key)[-1] for key in NATS_TLS_OPTIONS if key in query}
    bare = urlunsplit(parts._replace(query=urlencode(query, doseq=True)))
    if not options:
        return bare, None
    context = ssl.create_default_context(cafile=options.get("ca_file"))
    if "cert_file" in options:
        context.load_cert_chain(options["cert_file"], options.get("key_file"))
    return bare, context


def nats_tls_servers(urls: list[str]) -> tuple[list[str], ssl.SSLContext | None]:
    """``nats_tls`` for a list of a cluster's servers: every URL without Hubbub's options, and
    the context the first one with options makes (one client has one TLS context)."""
    bare: list[str] = []
    context: ssl.SSLContext | None = None
    for url in urls:
        plain, made = nats_tls(url)
        bare.append(plain)
        context = context or made
    return bare, context


def redis_ssl_context(url: str) -> ssl.SSLContext | None:
    """The context redis-py would use for ``url`` (None for redis:// and unix://)."""
    if urlsplit(url).scheme != "rediss":
        return None
    query = _query(url)
    context = ssl.create_default_context(cafile=query.get("ssl_ca_certs"),
                                         capath=query.get("ssl_ca_path"))
    requirement = query.get("ssl_cert_reqs", "required").lower()
    if query.get("ssl_check_hostname", "true").lower() in _FALSE or requirement == "none":
        context.check_hostname = False
    context.verify_mode = {"none": ssl.CERT_NONE, "optional": ssl.CERT_OPTIONAL}.get(
        requirement, ssl.CERT_REQUIRED)
    if "ssl_certfile" in query:
        context.load_cert_chain(query["ssl_certfile"], query.get("ssl_keyfile"))
    return context
