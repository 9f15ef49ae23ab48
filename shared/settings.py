"""Settings from the environment, read once by a process entry point and passed down.

Nothing in Hubbub reads ``os.environ`` at import time: tests build a ``Settings`` directly.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path

import msgspec

SERVICES = ("gateway", "posts", "graph", "fanout", "notify")

# Default HTTP ports: the gateway serves the API; the others serve only /healthz, /readyz, /metrics.
DEFAULT_PORTS = {"gateway": 8080, "posts": 8081, "graph": 8082, "fanout": 8083, "notify": 8084}


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    # Where the servers are. Empty: start the embedded one (``hubbub up`` / ``hubbub infra``).
    nats_url: str = ""
    database_url: str = ""
    redis_url: str = ""
    # Streaming standbys of the PostgreSQL primary ("host:port", comma-separated), for reads
    # that can stand a little lag (shared/db.py's create_read_pool says which). Empty: every
    # read goes to the primary.
    database_standby_hosts: str = ""
    # ``redis_url`` is a seed node of a Valkey/Redis Cluster: cluster-aware clients
    # (shared/cache.py), multi-key operations split by hash slot.
    redis_cluster: bool = False
    # The role that owns the schemas and runs migrations. A service given it migrates at start;
    # without it a service waits until its schema is at its latest migration (``hubbub migrate``).
    migration_database_url: str = ""
    # Each service's own credentials (its PostgreSQL role, its Valkey user), when one process
    # holds them all: ``hubbub up`` before it starts the children, the test stack. A service
    # keeps only its own (``for_service``); ``database_url``/``redis_url`` are then the owner's
    # and the admin's, for tools.
    service_database_urls: dict[str, str] = msgspec.field(default_factory=dict)
    service_redis_urls: dict[str, str] = msgspec.field(default_factory=dict)
    data_dir: str = ".hubbub"

    host: str = "127.0.0.1"
    ports: dict[str, int] = msgspec.field(default_factory=lambda: dict(DEFAULT_PORTS))
    public_url: str = ""  # what clients should use; defaults to http://host:gateway-port

    instance_title: str = "Hubbub"
    instance_domain: str = "hubbub.local"
    # HTML of the instance's "about" page (/api/v1/instance/extended_description); none: empty.
    instance_extended_description: str = ""
    max_status_chars: int = 500
    home_timeline_max: int = 800
    # Hybrid fanout: an author with more followers than this is not written into followers'
    # home timelines; readers merge the author's own timeline at read time.
    fanout_follower_threshold: int = 5000
    # Readers with no home read for this many days are skipped by fanout; their next read
    # rebuilds the timeline from Postgres.
    inactive_days: float = 14.0
    db_pool_max: int = 10
    # JetStream: how long duplicate Nats-Msg-Ids are remembered, and redelivery limits.
    dedupe_window_s: float = 300.0
    max_deliver: int = 8
    # JetStream copies of the event stream (1 on one server; 3 on a 3-node cluster, which then
    # survives the loss of one node). Consumers inherit it. Never lowered by a start: an
    # operator's larger figure stays (shared/bus.py's ensure_stream).
    stream_replicas: int = 1
    # Refuse to serve (not ready, a log line) on a schema that has migrations this release does
    # not know, i.e. one a newer release migrated. True: serve anyway, for a roll-back whose
    # migrations the operator knows to be additive (shared/db.py's prepare_schema).
    allow_newer_schema: bool = False
    log_level: str = "INFO"
    log_json: bool = False
    # One JSON line per HTTP request (gateway) or verb handled (services): shared/access_log.py.
    access_log: bool = False
    # OpenTelemetry traces, exported over OTLP/HTTP to this URL (e.g. http://collector:4318);
    # empty: off, and the tracing calls are the API's no-ops (shared/tracing.py).
    otel_endpoint: str = ""
    # Streaming: events queued per connection before a slow client is cut off, and how many
    # connections one token, one account, one client address and one gateway process may hold
    # (an office behind one NAT address is many people: keep the per-address cap generous).
    stream_queue_size: int = 256
    stream_max_per_token: int = 16
    stream_max_per_account: int = 32
    stream_max_per_ip: int = 1_000
    stream_max_connections: int = 20_000
    # Proxies (IP addresses or CIDR networks) whose X-Forwarded-For and X-Forwarded-Proto are
    # believed: the client's address and whether it came over https. Empty: believe no one.
    trusted_proxies: tuple[str, ...] = ()
    # Private-use redirect URI schemes without a dot that apps may still register (RFC 8252 asks
    # for a reversed domain name, but some Mastodon apps predate it: e.g. "oauth2redirect").
    oauth_extra_schemes: tuple[str, ...] = ()
    # What one WebSocket connection may send: messages of at most this many bytes, no more than
    # this many bytes of them waiting to be read, and this many subscriptions.
    stream_max_message_bytes: int = 65_536
    stream_queue_bytes: int = 262_144
    stream_max_subscriptions: int = 50
    # Rate limits, "N/period" (``parse_rate``), shared by every gateway through Valkey; the
    # defaults are Mastodon's. Off only where something in front limits instead (or a benchmark).
    rate_limits: bool = True
    rate_limit_api: str = "300/5minutes"  # per access token
    rate_limit_anonymous: str = "300/5minutes"  # per IP, requests without a token
    rate_limit_sign_in_ip: str = "25/5minutes"  # password grant and sign-in form, per IP
    # Failed sign-ins on one account; past it, only IPs that signed in to it before may try.
    rate_limit_sign_in_account: str = "25/1hour"
    rate_limit_sign_up: str = "5/30minutes"  # per IP
    rate_limit_apps: str = "5/10minutes"  # app registrations per IP
    rate_limit_confirmations: str = "5/30minutes"  # confirmation e-mails resent, per IP
    # Who may join (Mastodon's ``registrations``): "open" (a confirmed address of a claimed
    # domain joins that network), "approval" (then a network admin approves it) or "closed"
    # (invitations and single sign-on only).
    registrations: str = "open"
    # Outgoing mail (notify's mailer): smtp://user:pass@host:587 (STARTTLS when offered; add
    # ?starttls=required to insist), smtps://host:465 (TLS from the start). Empty: each message
    # goes to the log and to <data_dir>/mail/ instead, for a local trial.
    smtp_url: str = ""
    mail_from: str = ""  # From: of outgoing mail; empty: "Hubbub <noreply@{instance_domain}>"
    # Single sign-on: identity providers are fetched over https only, unless this allows plain
    # http (a local trial with a provider on this machine, the tests). Never in production.
    sso_allow_http: bool = False
    # After this many failed sign-ins from an IP, that IP is locked out for lockout_base_s,
    # doubling with each lockout within a day, at most lockout_max_s.
    lockout_after: int = 5
    lockout_base_s: float = 60.0
    lockout_max_s: float = 3600.0
    # Argon2id checks (64 MiB each) one graph process runs at once: its memory ceiling.
    password_checks: int = 4
    # How long a readiness probe of a server (NATS, PostgreSQL, Valkey) may take before the
    # server counts as unreachable (shared/readiness.py).
    readiness_timeout_s: float = 1.0
    # Media files (shared/media): "local" keeps them under <data_dir>/media-files/ and the
    # gateway serves them (one machine); "s3" puts them in an S3-compatible bucket that serves
    # them itself (replicas on several machines).
    media_storage: str = "local"
    # The HMAC key of the local back end's signed URLs; empty: one generated into
    # <data_dir>/secrets/ (every process sharing the data folder signs alike).
    media_signing_key: str = ""
    s3_endpoint: str = ""  # e.g. https://s3.eu-central-1.amazonaws.com, http://minio:9000
    s3_bucket: str = ""
    s3_region: str = "us-east-1"
    s3_access_key: str = ""
    s3_secret_key: str = ""
    # Where browsers fetch public files (avatars, headers): a CDN or the bucket's public
    # address, the key appended. Empty: the endpoint's path-style URL (<endpoint>/<bucket>).
    s3_public_url: str = ""
    # Media: the processes each posts replica decodes uploads in (services/posts/media/
    # worker.py), and how long an upload waits to be attached before it is deleted.
    media_workers: int = 1
    media_orphan_hours: float = 24.0
    # How long POST /api/v2/media waits for a picture to be processed, to answer 200 with its
    # URLs as Mastodon does (services/gateway/routes/media.py); 0: always 202 at once.
    media_upload_wait_s: float = 2.0
    # How often each posts process looks for scheduled statuses whose time has come: a status
    # is posted at most this late.
    scheduled_check_seconds: float = 5.0
    # Link preview cards: the posts service fetches the first link of each status (through the
    # SSRF guard, shared/link_fetch.py). ``cards`` False: no fetching at all (a closed network
    # with no way out). ``cards_allow_private``: the guard lets private addresses through, for
    # the tests' pages on 127.0.0.1 only; never in production.
    cards: bool = True
    cards_allow_private: bool = False
    # Addresses Hubbub may reach on partners' behalf although they are not public (webhook
    # receivers, inbound feeds): comma-separated networks or addresses, e.g. "10.1.2.0/24" for
    # a partner's system reached over a VPN, "127.0.0.1" for a local trial and the tests. The
    # SSRF guard (shared/link_fetch.py) refuses every other private address.
    outbound_allow: str = ""
    # Inbound feeds (services/posts/feeds/): how often a feed is polled (failures back off from
    # it, doubling, up to a day), how often each posts process looks for due feeds, and what
    # one poll may take (bytes read, seconds in all).
    feed_interval_s: float = 900.0
    feed_check_seconds: float = 30.0
    feed_max_bytes: int = 2_000_000
    feed_timeout_s: float = 10.0
    # Incoming webhooks: posts per hook (``POST /api/hubbub/v1/hooks/<token>``).
    rate_limit_incoming_webhook: str = "30/1minute"
    # Web Push (RFC 8291/8292): the VAPID key pair, base64url (the public key an uncompressed
    # P-256 point, the private key its 32-byte scalar); empty: a pair generated once into
    # <data_dir>/secrets/ (shared/vapid.py).
    vapid_public_key: str = ""
    vapid_private_key: str = ""
    # Push endpoints are https on public addresses only (services/notify/push/endpoint.py, over
    # the SSRF guard of shared/link_fetch.py); this also lets them be on loopback (http or
    # https), for a local trial and the tests. Never in production.
    push_allow_http_localhost: bool = False
    push_timeout_s: float = 10.0  # one delivery to a push service, connect to answer
    # Outgoing webhooks (services/notify/webhooks/): a failed delivery is tried again after a
    # random wait up to base * 2^attempt (full jitter), until ``window`` seconds after the
    # event, then dead-lettered; an endpoint whose last ``disable_after`` deliveries all ended
    # dead is disabled and its admin notified. Each attempt waits at most ``timeout``.
    webhook_retry_base_s: float = 5.0
    webhook_retry_window_s: float = 86400.0
    webhook_timeout_s: float = 10.0
    webhook_disable_after: int = 5

    def port(self, service: str) -> int:
        return self.ports.get(service, DEFAULT_PORTS[service])

    def for_service(self, service: str) -> Settings:
        """What one service may hold: its own credentials, nobody else's. Where per-service
        credentials are known, a service without one of them (fanout keeps nothing in
        PostgreSQL, notify nothing in Valkey) gets no URL at all, and none gets the owner's:
        whoever holds the per-service credentials migrates before starting the services."""
        databases, caches = self.service_database_urls, self.service_redis_urls
        return msgspec.structs.replace(
            self,
            database_url=databases.get(service, "") if databases else self.database_url,
            migration_database_url="" if databases else self.migration_database_url,
            redis_url=caches.get(service, "") if caches else self.redis_url,
            service_database_urls={}, service_redis_urls={},
        )

    @property
    def owner_database_url(self) -> str:
        """The URL migrations run with: the owner's when known."""
        return self.migration_database_url or self.database_url

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port('gateway')}"

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir)


REGISTRATION_MODES = ("open", "approval", "closed")
MEDIA_STORAGES = ("local", "s3")
MIN_SIGNING_KEY_CHARS = 32


def media_storage(value: str) -> str:
    kind = value.strip().lower()
    if kind not in MEDIA_STORAGES:
        raise ValueError(f"HUBBUB_MEDIA_STORAGE must be one of {', '.join(MEDIA_STORAGES)}, "
                         f"not {value!r}")
    return kind


def media_signing_key(value: str) -> str:
    """A key short enough to guess would let anyone sign URLs: refused at start."""
    if value and len(value) < MIN_SIGNING_KEY_CHARS:
        raise ValueError(f"HUBBUB_MEDIA_SIGNING_KEY must be at least {MIN_SIGNING_KEY_CHARS} "
                         "characters (e.g. `openssl rand -base64 32`)")
    return value


def registrations_mode(value: str) -> str:
    mode = value.strip().lower()
    if mode not in REGISTRATION_MODES:
        raise ValueError(f"HUBBUB_REGISTRATIONS must be one of {', '.join(REGISTRATION_MODES)}, "
                         f"not {value!r}")
    return mode


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def from_env(env: Mapping[str, str] | None = None) -> Settings:
    """Build settings from ``HUBBUB_*`` variables (see README for the list)."""
    env = os.environ if env is None else env
    get = env.get
    ports = dict(DEFAULT_PORTS)
    for name in SERVICES:
        value = get(f"HUBBUB_{name.upper()}_PORT")
        if value is not None:
            ports[name] = int(value)
    if get("HUBBUB_PORT"):
        ports["gateway"] = int(get("HUBBUB_PORT", "8080"))
    base = Settings()
    return Settings(
        nats_url=get("HUBBUB_NATS_URL", ""),
        database_url=get("HUBBUB_DATABASE_URL", ""),
        redis_url=get("HUBBUB_REDIS_URL", ""),
        redis_cluster=_bool(get("HUBBUB_REDIS_CLUSTER", "0")),
        migration_database_url=get("HUBBUB_MIGRATION_DATABASE_URL", ""),
        database_standby_hosts=get("HUBBUB_DATABASE_STANDBY_HOSTS", "").replace(" ", ""),
        data_dir=get("HUBBUB_DATA_DIR", base.data_dir),
        host=get("HUBBUB_HOST", base.host),
        ports=ports,
        public_url=get("HUBBUB_PUBLIC_URL", ""),
        instance_title=get("HUBBUB_INSTANCE_TITLE", base.instance_title),
        instance_domain=get("HUBBUB_DOMAIN", base.instance_domain),
        instance_extended_description=get("HUBBUB_INSTANCE_EXTENDED_DESCRIPTION",
                                          base.instance_extended_description),
        max_status_chars=int(get("HUBBUB_MAX_STATUS_CHARS", base.max_status_chars)),
        home_timeline_max=int(get("HUBBUB_HOME_TIMELINE_MAX", base.home_timeline_max)),
        fanout_follower_threshold=int(get("HUBBUB_FANOUT_FOLLOWER_THRESHOLD",
                                          base.fanout_follower_threshold)),
        inactive_days=float(get("HUBBUB_INACTIVE_DAYS", base.inactive_days)),
        db_pool_max=int(get("HUBBUB_DB_POOL_MAX", base.db_pool_max)),
        dedupe_window_s=float(get("HUBBUB_DEDUPE_WINDOW_S", base.dedupe_window_s)),
        stream_replicas=stream_replicas(get("HUBBUB_STREAM_REPLICAS", "1")),
        allow_newer_schema=_bool(get("HUBBUB_ALLOW_NEWER_SCHEMA", "0")),
        max_deliver=int(get("HUBBUB_MAX_DELIVER", base.max_deliver)),
        registrations=registrations_mode(get("HUBBUB_REGISTRATIONS", base.registrations)),
        smtp_url=get("HUBBUB_SMTP_URL", ""),
        mail_from=get("HUBBUB_MAIL_FROM", ""),
        log_level=get("HUBBUB_LOG_LEVEL", base.log_level).upper(),
        log_json=_bool(get("HUBBUB_LOG_JSON", "0")),
        access_log=_bool(get("HUBBUB_ACCESS_LOG", "0")),
        otel_endpoint=get("HUBBUB_OTEL_ENDPOINT", ""),
        sso_allow_http=_bool(get("HUBBUB_SSO_ALLOW_HTTP", "0")),
        stream_queue_size=int(get("HUBBUB_STREAM_QUEUE_SIZE", base.stream_queue_size)),
        stream_max_per_token=int(get("HUBBUB_STREAM_MAX_PER_TOKEN",
                                     base.stream_max_per_token)),
        stream_max_connections=int(get("HUBBUB_STREAM_MAX_CONNECTIONS",
                                       base.stream_max_connections)),
        trusted_proxies=trusted_proxies(get("HUBBUB_TRUSTED_PROXIES", "")),
        oauth_extra_schemes=oauth_extra_schemes(get("HUBBUB_OAUTH_EXTRA_SCHEMES", "")),
        stream_max_per_account=int(get("HUBBUB_STREAM_MAX_PER_ACCOUNT",
                                       base.stream_max_per_account)),
        stream_max_per_ip=int(get("HUBBUB_STREAM_MAX_PER_IP", base.stream_max_per_ip)),
        stream_max_message_bytes=int(get("HUBBUB_STREAM_MAX_MESSAGE_BYTES",
                                         base.stream_max_message_bytes)),
        stream_queue_bytes=int(get("HUBBUB_STREAM_QUEUE_BYTES", base.stream_queue_bytes)),
        stream_max_subscriptions=int(get("HUBBUB_STREAM_MAX_SUBSCRIPTIONS",
                                         base.stream_max_subscriptions)),
        rate_limits=_bool(get("HUBBUB_RATE_LIMITS", "1")),
        rate_limit_api=_rate(get, "rate_limit_api", base.rate_limit_api),
        rate_limit_anonymous=_rate(get, "rate_limit_anonymous", base.rate_limit_anonymous),
        rate_limit_sign_in_ip=_rate(get, "rate_limit_sign_in_ip", base.rate_limit_sign_in_ip),
        rate_limit_sign_in_account=_rate(get, "rate_limit_sign_in_account",
                                         base.rate_limit_sign_in_account),
        rate_limit_sign_up=_rate(get, "rate_limit_sign_up", base.rate_limit_sign_up),
        rate_limit_apps=_rate(get, "rate_limit_apps", base.rate_limit_apps),
        rate_limit_confirmations=_rate(get, "rate_limit_confirmations",
                                       base.rate_limit_confirmations),
        lockout_after=int(get("HUBBUB_LOCKOUT_AFTER", base.lockout_after)),
        lockout_base_s=float(get("HUBBUB_LOCKOUT_BASE_S", base.lockout_base_s)),
        lockout_max_s=float(get("HUBBUB_LOCKOUT_MAX_S", base.lockout_max_s)),
        password_checks=int(get("HUBBUB_PASSWORD_CHECKS", base.password_checks)),
        readiness_timeout_s=float(get("HUBBUB_READINESS_TIMEOUT_S", base.readiness_timeout_s)),
        media_storage=media_storage(get("HUBBUB_MEDIA_STORAGE", base.media_storage)),
        media_signing_key=media_signing_key(get("HUBBUB_MEDIA_SIGNING_KEY", "")),
        s3_endpoint=get("HUBBUB_S3_ENDPOINT", "").rstrip("/"),
        s3_bucket=get("HUBBUB_S3_BUCKET", ""),
        s3_region=get("HUBBUB_S3_REGION", base.s3_region),
        s3_access_key=get("HUBBUB_S3_ACCESS_KEY", ""),
        s3_secret_key=get("HUBBUB_S3_SECRET_KEY", ""),
        s3_public_url=get("HUBBUB_S3_PUBLIC_URL", "").rstrip("/"),
        media_workers=int(get("HUBBUB_MEDIA_WORKERS", base.media_workers)),
        media_orphan_hours=float(get("HUBBUB_MEDIA_ORPHAN_HOURS", base.media_orphan_hours)),
        media_upload_wait_s=float(get("HUBBUB_MEDIA_UPLOAD_WAIT_S", base.media_upload_wait_s)),
        scheduled_check_seconds=float(get("HUBBUB_SCHEDULED_CHECK_SECONDS",
                                          base.scheduled_check_seconds)),
        cards=_bool(get("HUBBUB_CARDS", "1")),
        cards_allow_private=_bool(get("HUBBUB_CARDS_ALLOW_PRIVATE", "0")),
        outbound_allow=get("HUBBUB_OUTBOUND_ALLOW", ""),
        feed_interval_s=float(get("HUBBUB_FEED_INTERVAL_S", base.feed_interval_s)),
        feed_check_seconds=float(get("HUBBUB_FEED_CHECK_SECONDS", base.feed_check_seconds)),
        feed_max_bytes=int(get("HUBBUB_FEED_MAX_BYTES", base.feed_max_bytes)),
        feed_timeout_s=float(get("HUBBUB_FEED_TIMEOUT_S", base.feed_timeout_s)),
        rate_limit_incoming_webhook=_rate(get, "rate_limit_incoming_webhook",
                                          base.rate_limit_incoming_webhook),
        vapid_public_key=get("HUBBUB_VAPID_PUBLIC_KEY", "").strip(),
        vapid_private_key=get("HUBBUB_VAPID_PRIVATE_KEY", "").strip(),
        push_allow_http_localhost=_bool(get("HUBBUB_PUSH_ALLOW_HTTP_LOCALHOST", "0")),
        push_timeout_s=float(get("HUBBUB_PUSH_TIMEOUT_S", base.push_timeout_s)),
        webhook_retry_base_s=float(get("HUBBUB_WEBHOOK_RETRY_BASE_S",
                                       base.webhook_retry_base_s)),
        webhook_retry_window_s=float(get("HUBBUB_WEBHOOK_RETRY_WINDOW_S",
                                         base.webhook_retry_window_s)),
        webhook_timeout_s=float(get("HUBBUB_WEBHOOK_TIMEOUT_S", base.webhook_timeout_s)),
        webhook_disable_after=int(get("HUBBUB_WEBHOOK_DISABLE_AFTER",
                                      base.webhook_disable_after)),
    )


RATE_SETTINGS = ("rate_limit_api", "rate_limit_anonymous", "rate_limit_sign_in_ip",
                 "rate_limit_sign_in_account", "rate_limit_sign_up", "rate_limit_apps",
                 "rate_limit_confirmations", "rate_limit_incoming_webhook")
_RATE = re.compile(r"\s*(\d+)\s*(?:/|per)\s*(\d*)\s*(second|minute|hour|day)s?\s*")
_UNIT_S = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def parse_rate(value: str) -> tuple[int, int]:
    """A rate as ``limits`` writes it ("300/5minutes", "25 per hour"): (requests, seconds)."""
    found = _RATE.fullmatch(value.lower())
    if found is None or int(found[1]) < 1 or found[2] == "0":
        raise ValueError(f"{value!r} is not a rate such as 300/5minutes")
    return int(found[1]), int(found[2] or 1) * _UNIT_S[found[3]]


def _rate(get: Callable[[str, str], str], name: str, default: str) -> str:
    """``HUBBUB_<NAME>``, checked: a typo stops the start rather than turning a limit off."""
    value = get(f"HUBBUB_{name.upper()}", default)
    try:
        parse_rate(value)
    except ValueError as error:
        raise ValueError(f"HUBBUB_{name.upper()}: {error}") from None
    return value


# Never places to send a browser with a code, whatever an operator lists.
NEVER_REDIRECT_SCHEMES = frozenset({"javascript", "data", "vbscript", "file", "about", "blob",
                                    "http", "https"})
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]{0,63}")


def oauth_extra_schemes(value: str) -> tuple[str, ...]:
    """``HUBBUB_OAUTH_EXTRA_SCHEMES``: scheme names, separated by commas or spaces."""
    schemes = []
    for item in value.replace(",", " ").split():
        scheme = item.lower().rstrip(":/")
        if not _SCHEME.fullmatch(scheme) or scheme in NEVER_REDIRECT_SCHEMES:
            raise ValueError(f"HUBBUB_OAUTH_EXTRA_SCHEMES: {item!r} is not a scheme an app may "
                             "register")
        schemes.append(scheme)
    return tuple(schemes)


def stream_replicas(value: str) -> int:
    """``HUBBUB_STREAM_REPLICAS``: 1 to 5, as JetStream allows."""
    try:
        replicas = int(value)
    except ValueError:
        replicas = 0
    if not 1 <= replicas <= 5:
        raise ValueError(f"HUBBUB_STREAM_REPLICAS: {value!r} is not a replica count from 1 to 5")
    return replicas


def trusted_proxies(value: str) -> tuple[str, ...]:
    """``HUBBUB_TRUSTED_PROXIES``: addresses or CIDR networks, separated by commas or spaces.
    A typo must stop the start, not quietly trust nothing (or the wrong network)."""
    proxies = []
    for item in value.replace(",", " ").split():
        try:
            proxies.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError as error:
            raise ValueError(f"HUBBUB_TRUSTED_PROXIES: {item!r} is not an IP address or "
                             "network") from error
    return tuple(proxies)


def with_servers(settings: Settings, *, nats_url: str, database_url: str, redis_url: str
                 ) -> Settings:
    return msgspec.structs.replace(
        settings, nats_url=nats_url, database_url=database_url, redis_url=redis_url
    )


def server_env(settings: Settings, service: str | None = None) -> dict[str, str]:
    """The environment a child process needs to reach the same servers (as ``service``, with
    only its own credentials, when named)."""
    if service is not None:
        settings = settings.for_service(service)
    env = {
        "HUBBUB_NATS_URL": settings.nats_url,
        "HUBBUB_DATABASE_URL": settings.database_url,
        "HUBBUB_REDIS_URL": settings.redis_url,
        "HUBBUB_DATA_DIR": settings.data_dir,
        "HUBBUB_PUBLIC_URL": settings.base_url,
        # The cluster mode's figure (3) reaches the children with the servers it goes with.
        "HUBBUB_STREAM_REPLICAS": str(settings.stream_replicas),
    }
    if settings.redis_cluster:
        env["HUBBUB_REDIS_CLUSTER"] = "1"
    if settings.migration_database_url:
        env["HUBBUB_MIGRATION_DATABASE_URL"] = settings.migration_database_url
    if settings.database_standby_hosts:
        env["HUBBUB_DATABASE_STANDBY_HOSTS"] = settings.database_standby_hosts
    for name in SERVICES:
        env[f"HUBBUB_{name.upper()}_PORT"] = str(settings.port(name))
    return env
