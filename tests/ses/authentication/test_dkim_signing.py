"""Unit tests of DKIM signing's logic: which domain signs, and signatures dkimpy accepts."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import dkim
import pytest

from poolmail.cognito.signin import rs256
from poolmail.protocol.errors import AwsError
from poolmail.ses.authentication import dkim_keys, dkim_signing

NOW = 1_800_000_000.0
SIGNING = {"DkimOrigin": "AWS_SES", "DkimTokens": ["t1"], "DkimVerificationStatus": "Success"}
NAMES = ["a@sub.example.com", "sub.example.com", "example.com"]


@pytest.mark.parametrize(
    ("found", "expected"),
    [
        ({}, None),
        ({"example.com": ("Domain", SIGNING)}, "example.com"),
        # A subdomain identity without DKIM set up leaves it to its parent.
        ({"sub.example.com": ("Domain", {}), "example.com": ("Domain", SIGNING)}, "example.com"),
        (
            {"sub.example.com": ("Domain", SIGNING), "example.com": ("Domain", SIGNING)},
            "sub.example.com",
        ),
        # The most specific domain with DKIM decides, even when it does not sign.
        (
            {
                "sub.example.com": ("Domain", {**SIGNING, "DkimEnabled": False}),
                "example.com": ("Domain", SIGNING),
            },
            None,
        ),
        ({"example.com": ("Domain", {**SIGNING, "DkimVerificationStatus": "Pending"})}, None),
        # An address's own setting overrides its domain's.
        (
            {
                "a@sub.example.com": ("EmailAddress", {"DkimEnabled": False}),
                "example.com": ("Domain", SIGNING),
            },
            None,
        ),
        (
            {"a@sub.example.com": ("EmailAddress", {}), "example.com": ("Domain", SIGNING)},
            "example.com",
        ),
    ],
)
def test_signing_domain(found: dict[str, tuple[str, dict[str, Any]]], expected: str | None) -> None:
    chosen = dkim_signing.signing_domain(found, NAMES, NOW)
    assert (chosen[0] if chosen else None) == expected


def test_a_failed_dkim_search_does_not_sign() -> None:
    pending = {**SIGNING, "DkimVerificationStatus": "Pending", "DkimStartedAt": NOW - 73 * 3600}
    assert dkim_signing.signing_domain({"example.com": ("Domain", pending)}, NAMES, NOW) is None


@pytest.mark.parametrize("linesep", [b"\r\n", b"\n"])
def test_signature_verifies_and_reads_like_ses(linesep: bytes) -> None:
    pem = dkim_keys.generate_pem(1024)
    record = dkim_keys.key_record(pem).encode()
    message = linesep.join(
        [
            b"MIME-Version: 1.0",
            b"From: Sender <a@example.com>",
            b"To: b@example.org",
            b"X-Other: not signed",
            b"Subject: Hello",
            b"Content-Type: text/plain",
            b"",
            b"Body  with  spaces ",
            b"",
        ]
    )
    header = dkim_signing.signature(message, "example.com", "sel", pem, 1_700_000_000)
    assert header.endswith(linesep) and header.startswith(b"DKIM-Signature: v=1; a=rsa-sha256;")
    tags = dkim.util.parse_tag_value(header.split(b":", 1)[1])
    assert [name.strip() for name in tags[b"h"].split(b":")] == [
        b"MIME-Version",
        b"From",
        b"To",
        b"Subject",
        b"Content-Type",
    ]
    assert (tags[b"c"], tags[b"t"], tags[b"d"], tags[b"s"]) == (
        b"relaxed/simple",
        b"1700000000",
        b"example.com",
        b"sel",
    )
    assert b"i" not in tags
    assert dkim.verify(header + message, dnsfunc=lambda name, timeout=5: record)
    # c=.../simple: a changed body breaks it.
    assert not dkim.verify(header + message + b"more", dnsfunc=lambda name, timeout=5: record)


def test_external_keys_are_checked() -> None:
    pem = dkim_keys.generate_pem(1024)
    body = b"".join(line for line in pem.splitlines() if not line.startswith(b"-----"))
    parsed, bits = dkim_keys.parse_external_key(body.decode())
    assert bits == 1024
    assert dkim_keys.public_key_base64(parsed) == dkim_keys.public_key_base64(pem)
    with pytest.raises(AwsError) as caught:
        dkim_keys.parse_external_key(base64.b64encode(b"junk").decode())
    assert caught.value.code == "BadRequestException"


# Messages the fast parser reads (CRLF throughout) and ones it leaves to dkimpy.
SHAPES = [
    b"From: a@example.com\r\nTo: b@example.org\r\nSubject: Hi\r\n\r\nBody\r\n",
    # Folded values, tabs, runs of spaces, trailing spaces, a repeated header.
    b"From: a@example.com\r\nSubject:  A\t long\r\n\tfolded   subject  \r\nTo: x@example.org\r\n"
    b"To: y@example.org\r\nContent-Type: text/plain;\r\n charset=UTF-8\r\n\r\nBody\r\n\r\n\r\n",
    # An empty body, and a body of empty lines only.
    b"From: a@example.com\r\nSubject: Empty\r\n\r\n",
    b"From: a@example.com\r\nSubject: Lines\r\n\r\n\r\n\r\n",
    # A value with no space after the colon, and a header name in odd case.
    b"FROM:a@example.com\r\nsUbJeCt:x\r\n\r\nb",
    # Left to dkimpy: bare LFs, and a mix of both.
    b"From: a@example.com\nSubject: LF\n\nBody\n",
    b"From: a@example.com\r\nSubject: Mixed\n\r\nBody\r\n",
]


@pytest.mark.parametrize("message", SHAPES)
def test_fast_parsing_reads_as_dkimpy_does(message: bytes) -> None:
    parsed = dkim_signing._split(message)
    if b"\n" in message.replace(b"\r\n", b""):
        assert parsed is None
    else:
        signer = dkim.DKIM(message)
        assert parsed == ([(name, value) for name, value in signer.headers], signer.body)
        relaxed = dkim.canonicalization.Relaxed.canonicalize_headers(signer.headers)
        assert [dkim_signing._relaxed(name, value) for name, value in parsed[0]] == [
            name + b":" + value for name, value in relaxed
        ]


@pytest.mark.parametrize("message", SHAPES)
@pytest.mark.parametrize("domain", ["example.com", "a" * 60 + "." + "b" * 60 + ".example.com"])
def test_every_shape_verifies(message: bytes, domain: str) -> None:
    pem = dkim_keys.generate_pem(1024)
    record = dkim_keys.key_record(pem).encode()
    header = dkim_signing.signature(message, domain, "s" * 40, pem, 1_700_000_000)
    assert dkim.verify(header + message, dnsfunc=lambda name, timeout=5: record)


def _dkimpy_signature(message: bytes, domain: str, selector: str, pem: bytes, now: int) -> bytes:
    """The signature as dkimpy's own steps make it (its parser, header selection, relaxed
    canonicalisation and RE_BTAG), signed by the same RSA call: the fast paths' oracle."""
    linesep = b"\r\n" if b"\r\n" in message else b"\n"
    signer = dkim.DKIM(message, linesep=linesep)
    names: list[bytes] = []
    for name, _ in signer.headers:
        if name.lower() in dkim_signing.SIGNED_HEADERS and name.lower() not in [
            seen.lower() for seen in names
        ]:
            names.append(name)
    body = dkim.canonicalization.strip_trailing_lines(signer.body)
    fields = [
        (b"v", b"1"),
        (b"a", b"rsa-sha256"),
        (b"q", b"dns/txt"),
        (b"c", b"relaxed/simple"),
        (b"s", selector.encode()),
        (b"d", domain.encode()),
        (b"t", str(now).encode()),
        (b"h", b" : ".join(names)),
        (b"bh", base64.b64encode(hashlib.sha256(body).digest())),
        (b"b", b"0" * 60),
    ]
    unsigned = dkim.fold(b"; ".join(b"=".join(field) for field in fields), 14, b"\r\n")
    unsigned = dkim.RE_BTAG.sub(b"\\1", unsigned)
    selected = dkim.select_headers(signer.headers, [name.lower() for name in names])
    selected.append((b"DKIM-Signature", b" " + unsigned))
    canonical = dkim.canonicalization.Relaxed.canonicalize_headers(selected)
    hasher = hashlib.sha256()
    for name, value in canonical[:-1]:
        hasher.update(name + b":" + value)
    name, value = canonical[-1]
    hasher.update((name + b":" + value).rstrip())
    fields[-1] = (b"b", base64.b64encode(dkim_signing._rsa_sha256(hasher.digest(), pem)))
    value = b"; ".join(b"=".join(field) for field in fields) + linesep
    return b"DKIM-Signature: " + dkim.fold(value, 14, linesep)


SELECTORS = ["s", "224i4yxa5dv7c2xz3womw6peuasteono", "s" * 40, "b", "sel-2026.b"]
MORE_SHAPES = [
    # As SES builds a simple message; a To list long enough to fold; repeated and
    # unsigned headers in between the signed ones.
    b"From: sender@bench.example\r\nTo: someone@bench.example\r\nSubject: Benchmark\r\n"
    b"Date: Sun, 06 Dec 2026 00:00:00 +0000\r\nMessage-ID: <0000-1@email.amazonses.com>\r\n"
    b'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: 7bit\r\n'
    b"MIME-Version: 1.0\r\n\r\nHello from the benchmark.\r\n",
    b"From: a@example.com\r\nTo: "
    + b", ".join(b"r%d@example.org" % i for i in range(30))
    + b"\r\nX-A: 1\r\nSubject: s\r\nX-B: b=1; bh=2\r\nsubject: again\r\nCc: c@x.org\r\n"
    b"In-Reply-To: <x@y>\r\nReferences: <a@b> <c@d>\r\nFeedback-ID: 1:2:3\r\n\r\nBody\r\n",
    # No signed header at all.
    b"X-Only: 1\r\n\r\nBody\r\n",
]


@pytest.mark.parametrize("message", SHAPES + MORE_SHAPES)
@pytest.mark.parametrize("selector", SELECTORS)
@pytest.mark.parametrize(
    "domain", ["amazonses.com", "b.example.com", "a" * 60 + "." + "b" * 60 + ".example.com"]
)
def test_fast_paths_sign_as_dkimpy_does(message: bytes, selector: str, domain: str) -> None:
    pem = _PEM_1024
    for now in (1_700_000_000, 1_800_000_123):
        assert dkim_signing.signature(message, domain, selector, pem, now) == _dkimpy_signature(
            message, domain, selector, pem, now
        )


@pytest.mark.parametrize("bits", [1024, 2048])
def test_cryptography_signs_where_libcrypto_cannot_be_used(
    bits: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    pem = _PEM_1024 if bits == 1024 else dkim_keys.generate_pem(bits)
    message = SHAPES[0]
    through_ctypes = dkim_signing.signature(message, "example.com", "s", pem, 1_700_000_000)
    monkeypatch.setattr(rs256, "available", lambda: False)
    assert dkim_signing.signature(message, "example.com", "s", pem, 1_700_000_000) == (
        through_ctypes
    )


def test_a_b_tag_before_the_placeholder_goes_to_dkimpy() -> None:
    folded = dkim.fold(b"v=1; s=x; b =1; h=a; b=" + b"0" * 60, 14, b"\r\n")
    assert dkim_signing._without_signature(folded) == dkim.RE_BTAG.sub(b"\\1", folded)
    assert dkim_signing._without_signature(folded).count(b"b") == 2


_PEM_1024 = dkim_keys.generate_pem(1024)
