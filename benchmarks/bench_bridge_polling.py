"""Polling 50 MT5 accounts (info + positions) through a bridge on loopback: keep-alive against a
fresh connection per request, over plain HTTP and over TLS.

Both sides are :class:`bridge_link.remote.RemoteSource` with the same settings (timeouts, API key,
retries, validation, connection limits), the same requests in the same order, one account after
the other; the only difference is whether the connection pool keeps a connection between
requests (``max_keepalive_connections`` 8, as ``RemoteSource`` builds it, against 0, which closes
each connection once its answer is read). Over TLS a fresh connection costs a handshake too: the
bridge serves HTTPS there with a throwaway certificate authority made for the run (the client
trusts only it), as when a bridge is reached across a VPN by HTTPS. Server-side snapshot caching
is off, so every request reaches the demo terminal. Also shown: 8 accounts at a time with
keep-alive, which is *slower* against one terminal (interleaved accounts cost login switches).

Run: ``uv run python benchmarks/bench_bridge_polling.py``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import socket
import ssl
import statistics
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

import httpx
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bridge_link.demo_terminal import DemoTerminal
from bridge_link.direct import DirectSource
from bridge_link.remote import RemoteSource
from bridge_link.server.app import create_app
from bridge_link.server.session import AccountMeta, BridgeSession, PasswordBook
from bridge_link.demo_terminal.accounts import DemoAccount

ACCOUNTS = 50
ROUNDS = 5
KEY = "bench-key-0123456789abcdef"
FUNDS = ("CORE", "BALANCE", "DYNAMIC", "UNLIMITED", "SEPARATION")
#: What RemoteSource builds its pool with; the baseline differs only in keeping nothing alive.
KEEP_ALIVE = httpx.Limits(max_connections=16, max_keepalive_connections=8, keepalive_expiry=30.0)
FRESH = httpx.Limits(max_connections=16, max_keepalive_connections=0)


def fifty_accounts() -> list[DemoAccount]:
    return [DemoAccount(90000000 + i, f"Bench {i}", FUNDS[i % 5], "Bench", "FidusBroker-Live",
                        Decimal(100_000 + 25_000 * i)) for i in range(ACCOUNTS)]


def throwaway_tls(folder: Path) -> tuple[Path, Path, Path]:
    """A certificate authority and a server certificate for 127.0.0.1, valid for a day."""
    now = dt.datetime.now(dt.UTC)

    def certificate(subject: str, key, issuer: str, issuer_key, ca: bool) -> x509.Certificate:
        # The extensions Python's default context insists on (VERIFY_X509_STRICT since 3.13).
        usage = dict(digital_signature=True, content_commitment=False, key_encipherment=False,
                     data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                     encipher_only=False, decipher_only=False)
        builder = (x509.CertificateBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
                   .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
                   .add_extension(x509.KeyUsage(**usage), critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                                  critical=False))
        if not ca:
            builder = (builder
                       .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                       .add_extension(x509.SubjectAlternativeName(
                           [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
                           critical=False))
        return builder.sign(issuer_key, hashes.SHA256())

    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = certificate("FIDUS bench CA", ca_key, "FIDUS bench CA", ca_key, True)
    server = certificate("127.0.0.1", server_key, "FIDUS bench CA", ca_key, False)
    paths = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(server_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
    return paths


def serve(tls: tuple[Path, Path] | None = None) -> tuple[uvicorn.Server, str]:
    accounts = fifty_accounts()
    terminal = DemoTerminal(seed=1, accounts=accounts, history_months=3)
    passwords = PasswordBook()
    source = DirectSource(terminal, name="demo terminal", zone=terminal.zone, password_for=passwords)
    directory = {a.login: AccountMeta(a.login, a.name, a.fund_type) for a in accounts}
    session = BridgeSession(source, directory, passwords=passwords, snapshot_ttl=0.0)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    certfile, keyfile = tls if tls else (None, None)
    server = uvicorn.Server(uvicorn.Config(create_app(session, KEY), host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False,
                                           ssl_certfile=certfile, ssl_keyfile=keyfile))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    return server, f"{'https' if tls else 'http'}://127.0.0.1:{port}"


def client(url: str, limits: httpx.Limits, trust: ssl.SSLContext | None) -> tuple[RemoteSource, httpx.AsyncHTTPTransport]:
    transport = httpx.AsyncHTTPTransport(verify=trust if trust is not None else True, limits=limits)
    return RemoteSource("bench", url, KEY, read_timeout=30, transport=transport), transport


async def poll(source: RemoteSource, logins: list[int], concurrency: int = 1) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(login: int) -> None:
        async with gate:
            await source.account(login)
            await source.positions(login)

    await asyncio.gather(*(one(login) for login in logins))


async def timed(work) -> float:
    started = time.perf_counter()
    await work
    return time.perf_counter() - started


def pooled(transport: httpx.AsyncHTTPTransport) -> int:
    """Connections the pool still holds (0 after each request when nothing is kept alive)."""
    return len(transport._pool.connections)


async def compare(url: str, logins: list[int], trust: ssl.SSLContext | None) -> dict[str, float]:
    fresh, fresh_pool = client(url, FRESH, trust)
    kept, kept_pool = client(url, KEEP_ALIVE, trust)
    try:
        await poll(kept, logins, 8)  # warm-up: builds every account's history once
        await poll(fresh, logins[:2])
        assert pooled(fresh_pool) == 0 and pooled(kept_pool) > 0, "the pools do not do what they should"
        times: dict[str, list[float]] = {"fresh": [], "kept": [], "kept8": []}
        for _ in range(ROUNDS):
            times["fresh"].append(await timed(poll(fresh, logins)))
            times["kept"].append(await timed(poll(kept, logins)))
            times["kept8"].append(await timed(poll(kept, logins, 8)))
    finally:
        await fresh.close()
        await kept.close()
    return {name: statistics.median(values) * 1000 for name, values in times.items()}


async def main() -> None:
    logins = [a.login for a in fifty_accounts()]
    with tempfile.TemporaryDirectory() as folder:
        ca, cert, key = throwaway_tls(Path(folder))
        trust = ssl.create_default_context(cafile=str(ca))
        plain_server, plain_url = serve()
        tls_server, tls_url = serve((cert, key))
        try:
            plain = await compare(plain_url, logins, None)
            tls = await compare(tls_url, logins, trust)
        finally:
            plain_server.should_exit = tls_server.should_exit = True
    print(f"polling {ACCOUNTS} accounts (info + positions = {2 * ACCOUNTS} requests), one after the other, "
          f"median of {ROUNDS} rounds; same RemoteSource settings on both sides")
    for label, figures in (("HTTP ", plain), ("HTTPS", tls)):
        print(f"  {label} fresh connection per request (baseline): {figures['fresh']:8.1f} ms")
        print(f"  {label} keep-alive (ours):                        {figures['kept']:8.1f} ms   "
              f"ratio {figures['fresh'] / figures['kept']:4.1f}x")
    print(f"  HTTP  keep-alive, 8 accounts at a time:           {plain['kept8']:8.1f} ms   "
          f"(against one terminal: login switches)")


if __name__ == "__main__":
    asyncio.run(main())
