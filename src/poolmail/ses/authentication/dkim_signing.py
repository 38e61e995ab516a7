"""The DKIM signatures SES puts on a message it sends: the From domain's (Easy DKIM or
BYODKIM, when signing is enabled and the domain's DKIM is verified) above the
`amazonses.com` one every message gets, both `a=rsa-sha256; c=relaxed/simple`.

dkimpy canonicalises, hashes, signs and folds; poolmail builds the tag list itself so that
it reads as SES's does (no `i=`; `h=` in the message's order).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from poolmail.cognito.signin import rs256
from poolmail.context import RequestContext
from poolmail.ses.authentication import dkim_keys
from poolmail.ses.authentication.dkim_keys import AMAZONSES_DOMAIN, KEY_BITS, StoredKey
from poolmail.ses.identities.coverage import bare_address, candidates, identity_rows
from poolmail.ses.identities.verification import DOMAIN, EMAIL_ADDRESS, dkim_status
from poolmail.store import Transaction

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

    from poolmail.ses.sending.outbound import Outgoing

# The headers SES signs when present, in the message's own order (facts 4; observed in
# SES-sent mail).
SIGNED_HEADERS = frozenset(
    {
        b"from",
        b"to",
        b"cc",
        b"subject",
        b"date",
        b"message-id",
        b"mime-version",
        b"content-type",
        b"content-transfer-encoding",
        b"in-reply-to",
        b"references",
        b"feedback-id",
    }
)


@functools.lru_cache(maxsize=256)
def private_key(pem: bytes) -> RSAPrivateKey:
    """The key, loaded by OpenSSL once per PEM (rotation brings a new PEM, so the cache
    never serves a stale key)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("a DKIM signing key must be RSA")
    return key


def _rsa_sha256(digest: bytes, pem: bytes) -> bytes:
    # OpenSSL through ctypes lets go of the GIL while it signs (cryptography keeps it):
    # the other requests' threads run meanwhile.
    if rs256.available():
        return rs256.sign_digest(pem.decode("ascii"), digest)
    from cryptography.hazmat.primitives.asymmetric import padding, utils
    from cryptography.hazmat.primitives.hashes import SHA256

    return private_key(pem).sign(digest, padding.PKCS1v15(), utils.Prehashed(SHA256()))


def signature(message: bytes, domain: str, selector: str, pem: bytes, timestamp: int) -> bytes:
    """One `DKIM-Signature:` header line (folded, ending in the message's line break).

    The tag list is folded by dkimpy exactly as its own ``sign`` does; the RSA signature of
    the header hash is OpenSSL's (through ctypes, ``rs256``, or cryptography), because
    dkimpy's pure-Python PKCS#1 code cost two thirds of a signature (bench/notes.md,
    optimisation 28). A message with CRLF line breaks throughout (every message SES
    builds) is parsed and canonicalised here (optimisation 31); anything else by dkimpy.
    Tests verify every signature with ``dkim.verify`` and hold the fast paths to dkimpy's,
    byte for byte.
    """
    import dkim
    from dkim.canonicalization import strip_trailing_lines

    parsed = _split(message)
    if parsed is None:
        # A raw message written with bare LFs gets its signature in the same style.
        signer = dkim.DKIM(message, linesep=b"\r\n" if b"\r\n" in message else b"\n")
        headers, body = [(name, value) for name, value in signer.headers], signer.body
    else:
        headers, body = parsed
    linesep = b"\r\n" if b"\r\n" in message else b"\n"
    names, signed_fields = _signed_fields(headers)
    # c=relaxed/simple: the body as it is, without its trailing empty lines.
    body_hash = base64.b64encode(hashlib.sha256(strip_trailing_lines(body)).digest())
    fields = [
        (b"v", b"1"),
        (b"a", b"rsa-sha256"),
        (b"q", b"dns/txt"),
        (b"c", b"relaxed/simple"),
        (b"s", selector.encode("ascii")),
        (b"d", domain.encode("ascii")),
        (b"t", str(timestamp).encode("ascii")),
        # Choice: SES writes `h=From:To:...`; dkimpy folds only at spaces and would
        # otherwise cut a header name in two, so the names are joined by ` : ` (FWS
        # around the colons is allowed by RFC 6376 and read by every verifier).
        (b"h", b" : ".join(names)),
        (b"bh", body_hash),
        # A placeholder of this length makes the folding put b= on lines of its own.
        (b"b", _PLACEHOLDER),
    ]
    # What dkimpy's DKIM.gen_header and hash_headers do, with the signing step swapped.
    name = b"DKIM-Signature"
    folded_unsigned: bytes = dkim.fold(
        b"; ".join(b"=".join(field) for field in fields), len(name), b"\r\n"
    )
    unsigned = _without_signature(folded_unsigned)
    hasher = hashlib.sha256()
    for header_name, value in signed_fields:
        hasher.update(_relaxed(header_name, value))
    # The signature's own header is hashed without its line break (RFC 6376 3.7).
    hasher.update(_relaxed(name, b" " + unsigned).rstrip())
    fields[-1] = (b"b", base64.b64encode(_rsa_sha256(hasher.digest(), pem)))
    if linesep == b"\r\n" and folded_unsigned.endswith(_FOLDED_PLACEHOLDER):
        # dkimpy folds left to right, breaking at the last space that fits: every space is
        # before b=, so the signed list folds as the unsigned one did up to the line b=
        # begins, and b='s value (base64, no space) is cut every 71 characters.
        return name + b": " + folded_unsigned[: -len(_PLACEHOLDER) - 2] + _fold_b(fields[-1][1])
    value = b"; ".join(b"=".join(field) for field in fields) + linesep
    folded: bytes = dkim.fold(value, len(name), linesep)
    return name + b": " + folded


def _fold_b(value: bytes) -> bytes:
    """``b=value`` and a CRLF as ``dkim.fold`` folds them from the start of a continuation
    line (71 characters a line, no space to break at)."""
    rest = b"b=" + value + b"\r\n"
    lines = []
    while len(rest) > 71:
        lines.append(rest[:71])
        rest = rest[71:]
    lines.append(rest)
    return b"\r\n ".join(lines)


_PLACEHOLDER = b"0" * 60
_FOLDED_PLACEHOLDER = b"\r\n b=" + _PLACEHOLDER
# Where dkimpy's RE_BTAG could start a match: a b tag's name after `;` or white space.
_B_TAG_START = re.compile(rb"[;\s]b\s*=")


def _without_signature(folded: bytes) -> bytes:
    """The folded tag list with the b= value emptied, as dkimpy's ``RE_BTAG.sub`` leaves it.

    The placeholder ends the list on a line of its own; when nothing before it could
    start another b tag, cutting it off is the substitution (whose regular expression
    cost as much as the rest of the canonicalisation). Anything else goes to dkimpy.
    """
    import dkim

    head = folded[: -len(_PLACEHOLDER)]
    if folded.endswith(_FOLDED_PLACEHOLDER) and not _B_TAG_START.search(head, 0, len(head) - 4):
        return head
    result: bytes = dkim.RE_BTAG.sub(b"\\1", folded)
    return result


def _signed_fields(
    headers: list[tuple[bytes, bytes]],
) -> tuple[list[bytes], list[tuple[bytes, bytes]]]:
    """The names for h= (each signed header once, spelled as its first occurrence, in the
    message's order) and the fields they sign: as dkimpy's ``select_headers`` picks for a
    list of distinct names, each name's last occurrence."""
    names: list[bytes] = []
    last: dict[bytes, tuple[bytes, bytes]] = {}
    for field in headers:
        lowered = field[0].lower()
        if lowered in SIGNED_HEADERS:
            if lowered not in last:
                names.append(field[0])
            last[lowered] = field
    return names, [last[name.lower()] for name in names]


_HEADER_NAME = re.compile(rb"[\x21-\x7e]+")
_WSP = re.compile(rb"[\t ]+")


def _split(message: bytes) -> tuple[list[tuple[bytes, bytes]], bytes] | None:
    """The header fields (name, value with its line breaks) and body of a message whose
    every line ends in CRLF, as dkimpy's ``rfc822_parse`` reads it; None for anything
    else (bare LFs, a leading "From " line, a malformed field), which dkimpy then reads."""
    end = message.find(b"\r\n\r\n")
    if end <= 0 or message.count(b"\n") != message.count(b"\r\n"):
        return None
    fields: list[tuple[bytes, bytes]] = []
    for line in message[:end].split(b"\r\n"):
        if line[:1] in (b" ", b"\t"):
            if not fields:
                return None
            fields[-1] = (fields[-1][0], fields[-1][1] + line + b"\r\n")
            continue
        colon = line.find(b":")
        if colon <= 0:
            return None
        fields.append((line[:colon], line[colon + 1 :] + b"\r\n"))
    # Every name non-empty and without a colon: all are printable iff their join is.
    if not _HEADER_NAME.fullmatch(b"".join(field[0] for field in fields)):
        return None
    return fields, message[end + 4 :]


def _relaxed(name: bytes, value: bytes) -> bytes:
    """A header field in the relaxed canonical form (RFC 6376 3.4.2), as dkimpy writes it."""
    value = value.replace(b"\r\n", b"").replace(b"\n", b"")
    if b"\t" in value or b"  " in value:
        value = _WSP.sub(b" ", value)
    return name.lower().rstrip() + b":" + value.strip() + b"\r\n"


# --- which key signs -------------------------------------------------------------------------


def _owner(outgoing: Outgoing, account: str, region: str) -> tuple[str, str]:
    """The account and region whose identities cover the From: the sender's own, or the
    identity owner's for delegate sending."""
    if outgoing.source_arn:
        parts = outgoing.source_arn.split(":", 5)
        if len(parts) == 6:
            return parts[4], parts[3]
    return account, region


def signing_domain(
    rows: dict[str, tuple[str, dict[str, Any]]], names: Sequence[str], now: float
) -> tuple[str, dict[str, Any]] | None:
    """The domain whose key signs mail from the address ``names[0]`` (``names`` being its
    covering identities, most specific first), with its data; None for no domain signature.

    An address identity's own setting wins over its domain's (SES: "you can disable DKIM
    signing for an email address whose domain has DKIM"); otherwise the most specific
    domain identity with DKIM set up decides. SES signs only once the DKIM records were
    found: while pending, mail goes without the domain's signature.
    """
    for name in names:
        found = rows.get(name)
        if found is None:
            continue
        kind, data = found
        if kind == EMAIL_ADDRESS:
            if data.get("DkimEnabled") is False:
                return None
            continue
        if kind == DOMAIN and data.get("DkimOrigin"):
            enabled = bool(data.get("DkimEnabled", True))
            if enabled and dkim_status(data, now) == "Success":
                return name, data
            return None
    return None


def _read(
    tx: Transaction, account: str, region: str, names: list[str]
) -> dict[str, tuple[str, dict[str, Any]]]:
    rows = identity_rows(tx, account, region, names)
    return {name: (row.kind, row.data) for name, row in rows.items()}


def _easy_key_current(stored: StoredKey | None, data: dict[str, Any]) -> bool:
    tokens = data.get("DkimTokens") or []
    return (
        stored is not None
        and bool(tokens)
        and stored.selector == tokens[0]
        and stored.created_at >= float(data.get("DkimKeyGeneratedAt", 0.0))
    )


def _domain_key(
    tx: Transaction,
    account: str,
    region: str,
    domain: str,
    data: dict[str, Any],
    now: float,
) -> StoredKey | None:
    """The domain's current key; an Easy DKIM key is made (and published) on first use
    and after each rotation, which only moves `DkimKeyGeneratedAt`."""
    stored = dkim_keys.load(tx, account, region, domain)
    if data.get("DkimOrigin") == "EXTERNAL":
        matches = stored is not None and stored.selector == data.get("DkimSelector")
        return stored if matches else None
    if _easy_key_current(stored, data):
        return stored
    tokens = list(data.get("DkimTokens") or [])
    if not tokens:
        return None
    pem = dkim_keys.generate_pem(KEY_BITS.get(str(data.get("DkimKeyLength")), 2048))
    created = max(now, float(data.get("DkimKeyGeneratedAt", 0.0)))
    dkim_keys.install_easy_key(tx, account, region, domain, tokens, pem, created)
    return StoredKey(tokens[0], pem, created)


def signed(
    tx: Transaction,
    ctx: RequestContext,
    outgoing: Outgoing,
    *,
    account: str,
    region: str,
    amazonses_key: tuple[str, bytes] | None = None,
) -> bytes:
    """``outgoing.raw`` with SES's DKIM signatures on top. Called in the send's own
    transaction once the message passed SES's checks, so a refused message leaves no key
    behind; a key made here is stored with the message. ``amazonses_key`` (selector, PEM)
    is the region's `amazonses.com` key when the caller read it in this transaction
    (send_lookups.py); without it, it is read (and made, the first time)."""
    now = ctx.clock.now().timestamp()
    owner, owner_region = _owner(outgoing, account, region)
    names = candidates(bare_address(outgoing.source))
    chosen = signing_domain(_read(tx, owner, owner_region, names), names, now)
    headers = b""
    if chosen is not None:
        domain, data = chosen
        key = _domain_key(tx, owner, owner_region, domain, data, now)
        if key is not None:
            headers += signature(outgoing.raw, domain, key.selector, key.pem, int(now))
    if amazonses_key is None:
        own = dkim_keys.amazonses_key(tx, region, now)
        amazonses_key = own.selector, own.pem
    selector, pem = amazonses_key
    headers += signature(outgoing.raw, AMAZONSES_DOMAIN, selector, pem, int(now))
    return headers + outgoing.raw
