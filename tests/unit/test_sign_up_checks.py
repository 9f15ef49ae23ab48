"""An address's canonical form for canonical e-mail blocks, as Mastodon's
(CanonicalEmailBlock.email_to_canonical_email): lowercase, dots and a +tag out of the local
part, for every domain; kept only as its SHA-256."""

from __future__ import annotations

import hashlib

import pytest

from services.graph.use_cases.sign_up_checks import canonical_email, email_digest


@pytest.mark.parametrize(("given", "canonical"), [
    ("ana@acme.test", "ana@acme.test"),
    ("Ana.Smith@Acme.Test", "anasmith@acme.test"),
    ("a.n.a+news+more@acme.test", "ana@acme.test"),
    ("  ana+x@mail.acme.test ", "ana@mail.acme.test"),
    ("first.last@gmail.com", "firstlast@gmail.com"),
])
def test_canonical_form(given: str, canonical: str) -> None:
    assert canonical_email(given) == canonical
    assert email_digest(given) == hashlib.sha256(canonical.encode()).hexdigest()


def test_the_domain_keeps_its_dots() -> None:
    assert canonical_email("ana@a.b.c") == "ana@a.b.c"
    assert email_digest("ana@ab.c") != email_digest("ana@a.bc")
