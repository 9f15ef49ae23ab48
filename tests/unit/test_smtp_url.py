"""HUBBUB_SMTP_URL as the mailer reads it (services/notify/mailer/smtp_url.py)."""

from __future__ import annotations

import pytest

from services.notify.mailer.smtp_url import SmtpTarget, parse_smtp_url


@pytest.mark.parametrize(("url", "expected"), [
    ("smtp://mail.acme.test",
     SmtpTarget("mail.acme.test", 587, implicit_tls=False, starttls_required=False)),
    ("smtp://mail.acme.test:25",
     SmtpTarget("mail.acme.test", 25, implicit_tls=False, starttls_required=False)),
    ("smtps://mail.acme.test",
     SmtpTarget("mail.acme.test", 465, implicit_tls=True, starttls_required=False)),
    ("smtp://mail.acme.test?starttls=required",
     SmtpTarget("mail.acme.test", 587, implicit_tls=False, starttls_required=True)),
    ("smtp://hubbub%40acme.test:p%40ss%3Aw%2Fd@mail.acme.test:2525?ca_file=/etc/ca.pem",
     SmtpTarget("mail.acme.test", 2525, implicit_tls=False, starttls_required=False,
                username="hubbub@acme.test", password="p@ss:w/d", ca_file="/etc/ca.pem")),
    ("smtp://relay@[::1]:25",
     SmtpTarget("::1", 25, implicit_tls=False, starttls_required=False, username="relay")),
])
def test_urls(url: str, expected: SmtpTarget) -> None:
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize(("url", "says"), [
    ("http://mail.acme.test", "scheme"),
    ("mail.acme.test:25", "scheme"),
    ("smtp://", "no host"),
    ("smtp://mail.acme.test:99999", "port"),
    ("smtp://mail.acme.test:0", "port"),
    ("smtp://mail.acme.test:smtp", "port"),
    ("smtp://mail.acme.test?starttls=maybe", "starttls"),
    ("smtps://mail.acme.test?starttls=required", "starttls"),
    ("smtp://mail.acme.test?verify=false", "unknown option 'verify'"),
    ("smtp://:secret@mail.acme.test", "password without a user"),
])
def test_bad_urls_name_the_problem(url: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_smtp_url(url)


def test_the_password_stays_out_of_logs() -> None:
    target = parse_smtp_url("smtp://user:s3cret@mail.acme.test")
    assert "s3cret" not in str(target) and "s3cret" not in repr(target)
    assert str(target) == "smtp://mail.acme.test:587"
    with pytest.raises(ValueError) as refused:
        parse_smtp_url("smtp://user:s3cret@mail.acme.test?starttls=no")
    assert "s3cret" not in str(refused.value)
