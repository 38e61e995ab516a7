"""RS256 signatures made by the OpenSSL library Python's own `hashlib` uses, called through
ctypes, which lets go of the GIL while OpenSSL signs (cryptography keeps it).

A sign-in's two 2048-bit signatures are about half of its CPU. Without the GIL they are
made at once (one on a helper thread, ``sign_pair``), so the answer waits for one
signature, not two, and other threads run meanwhile; ``start`` begins one on the helper
thread for its caller to collect after other work. Where that library cannot be used
(OpenSSL before 3.0, whose RSA settings are macros; a statically linked `_hashlib`),
``available()`` is False and the tokens are signed by cryptography.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import queue
import threading

_SIGNATURE_BYTES = 512  # room for keys up to 4096 bits; a 2048-bit key signs 256 bytes
_RSA_PKCS1_PADDING = 1  # openssl/rsa.h


class _Key:
    """An EVP_PKEY, freed with its last reference."""

    def __init__(self, lib: ctypes.CDLL, pem: bytes) -> None:
        self._lib = lib
        bio = lib.BIO_new_mem_buf(pem, len(pem))
        if not bio:
            raise MemoryError("BIO_new_mem_buf")
        try:
            # An empty passphrase: an encrypted key fails instead of asking the terminal.
            self.pointer: int = lib.PEM_read_bio_PrivateKey(bio, None, None, b"") or 0
        finally:
            lib.BIO_free(bio)
        if not self.pointer:
            lib.ERR_clear_error()  # the thread's OpenSSL error queue is Python's too
            raise ValueError("not a PEM private key")

    def __del__(self) -> None:
        if self.pointer:
            self._lib.EVP_PKEY_free(self.pointer)


class _Signer:
    """A key's signing context, set up once for RS256: a signature is then one call into
    OpenSSL (each call lets go of the GIL and takes it back, contended by the other
    signing thread). A context is used by one thread at a time, so each thread has its own.
    """

    def __init__(self, lib: ctypes.CDLL, sha256: int, key: _Key) -> None:
        self._lib = lib
        self._key = key  # the context refers to the key: it must outlive the context
        self.pointer: int = lib.EVP_PKEY_CTX_new(key.pointer, None) or 0
        if not self.pointer:
            raise MemoryError("EVP_PKEY_CTX_new")
        if (
            lib.EVP_PKEY_sign_init(self.pointer) != 1
            or lib.EVP_PKEY_CTX_set_rsa_padding(self.pointer, _RSA_PKCS1_PADDING) != 1
            or lib.EVP_PKEY_CTX_set_signature_md(self.pointer, sha256) != 1
        ):
            lib.ERR_clear_error()
            raise ValueError("not an RSA key")

    def sign(self, data: bytes) -> bytes:
        return self.sign_digest(hashlib.sha256(data).digest())

    def sign_digest(self, digest: bytes) -> bytes:
        if len(digest) != 32:
            raise ValueError("a SHA-256 digest is 32 bytes")
        signature = ctypes.create_string_buffer(_SIGNATURE_BYTES)
        length = ctypes.c_size_t(_SIGNATURE_BYTES)
        if self._lib.EVP_PKEY_sign(self.pointer, signature, ctypes.byref(length), digest, 32) != 1:
            self._lib.ERR_clear_error()
            raise ValueError("OpenSSL could not sign")
        return signature.raw[: length.value]

    def __del__(self) -> None:
        if self.pointer:
            self._lib.EVP_PKEY_CTX_free(self.pointer)


@functools.cache
def _libcrypto() -> tuple[ctypes.CDLL, int] | None:
    """(libcrypto, its SHA-256) or None. Through `_hashlib`'s handle, dlsym finds the
    libcrypto Python already loaded: no second OpenSSL, no guess at a library's name."""
    try:
        import _hashlib

        lib = ctypes.CDLL(_hashlib.__file__)
        void, size = ctypes.c_void_p, ctypes.c_size_t
        for name, result, arguments in (
            ("BIO_new_mem_buf", void, [ctypes.c_char_p, ctypes.c_int]),
            ("BIO_free", ctypes.c_int, [void]),
            ("PEM_read_bio_PrivateKey", void, [void, void, void, ctypes.c_char_p]),
            ("ERR_clear_error", None, []),
            ("EVP_PKEY_free", None, [void]),
            ("EVP_PKEY_CTX_new", void, [void, void]),
            ("EVP_PKEY_CTX_free", None, [void]),
            ("EVP_PKEY_sign_init", ctypes.c_int, [void]),
            ("EVP_PKEY_CTX_set_rsa_padding", ctypes.c_int, [void, ctypes.c_int]),
            ("EVP_PKEY_CTX_set_signature_md", ctypes.c_int, [void, void]),
            ("EVP_PKEY_sign", ctypes.c_int, [void, void, ctypes.POINTER(size), void, size]),
            ("EVP_sha256", void, []),
        ):
            function = getattr(lib, name)
            function.restype, function.argtypes = result, arguments
        sha256 = lib.EVP_sha256()
    except (ImportError, AttributeError, OSError):
        return None
    return (lib, sha256) if sha256 else None


def available() -> bool:
    return _libcrypto() is not None


@functools.lru_cache(maxsize=512)
def _key(pem: str) -> _Key:
    # Keys never change once stored: a parsed key serves the process's life.
    found = _libcrypto()
    assert found is not None
    return _Key(found[0], pem.encode())


_signers = threading.local()


def _signer(pem: str) -> _Signer:
    mine: dict[str, _Signer] | None = getattr(_signers, "by_pem", None)
    if mine is None:
        mine = _signers.by_pem = {}
    signer = mine.get(pem)
    if signer is None:
        found = _libcrypto()
        assert found is not None
        if len(mine) >= 64:
            mine.clear()
        signer = mine[pem] = _Signer(found[0], found[1], _key(pem))
    return signer


def sign(pem: str, data: bytes) -> bytes:
    """RSASSA-PKCS1-v1_5 with SHA-256 of ``data`` (RS256), by the key in ``pem``."""
    return _signer(pem).sign(data)


def sign_digest(pem: str, digest: bytes) -> bytes:
    """RSASSA-PKCS1-v1_5 of a SHA-256 ``digest`` the caller made (DKIM's rsa-sha256 hashes
    its canonical headers itself), by the key in ``pem``."""
    return _signer(pem).sign_digest(digest)


class Pending:
    """A signature offered to the helper thread, to be collected by ``result()``.

    Whichever thread claims it first signs it: the helper when it is free, else the
    collecting caller itself, so collecting never waits longer than signing would take.
    Meanwhile the caller goes on with other work (``sign_pair``: the pair's first signature)."""

    __slots__ = ("_claim", "_digest", "_done", "_pem", "_result")

    def __init__(self, pem: str, digest: bytes) -> None:
        self._pem, self._digest = pem, digest
        self._claim = threading.Lock()
        self._done = threading.Lock()
        self._done.acquire()
        self._result: bytes | BaseException = b""

    def _sign_claimed(self) -> None:
        try:
            self._result = sign_digest(self._pem, self._digest)
        except BaseException as error:  # handed to the collecting caller
            self._result = error
        self._done.release()

    def try_sign(self) -> None:
        """Sign it here if nobody has started it (the helper thread's side)."""
        if self._claim.acquire(blocking=False):
            self._sign_claimed()

    def cancel(self) -> None:
        """Not wanted after all: the helper skips it if it has not begun."""
        self._claim.acquire(blocking=False)

    def result(self) -> bytes:
        if self._claim.acquire(blocking=False):
            return sign_digest(self._pem, self._digest)
        self._done.acquire()
        if isinstance(self._result, BaseException):
            raise self._result
        return self._result


class _Helper:
    """A thread that makes signatures offered to it while their callers do other work."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[Pending] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._starting = threading.Lock()

    def _run(self) -> None:
        while True:
            self._jobs.get().try_sign()

    def _start(self) -> None:
        with self._starting:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="poolmail-rs256", daemon=True
                )
                self._thread.start()

    def offer(self, pending: Pending) -> Pending:
        if self._thread is None:
            self._start()
        self._jobs.put(pending)
        return pending


_helper = _Helper()


def _after_fork() -> None:
    # A forked worker process has no helper thread: it starts its own.
    global _helper
    _helper = _Helper()


os.register_at_fork(after_in_child=_after_fork)


def start(pem: str, data: bytes) -> Pending:
    """The RS256 signature of ``data`` by the key in ``pem``, begun on the helper thread."""
    return _helper.offer(Pending(pem, hashlib.sha256(data).digest()))


def sign_pair(first: tuple[str, bytes], second: tuple[str, bytes]) -> tuple[bytes, bytes]:
    """Two (pem, data) signatures, made at once when the helper thread is free."""
    later = start(*second)
    try:
        signed = sign(*first)
    except BaseException:
        later.cancel()
        raise
    return signed, later.result()
