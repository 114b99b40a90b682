"""A website's check: does it answer, with which status, at which final address after redirects, is its TLS
certificate valid and until when, how fast, and is the domain parked or for sale.

Only http and https; each hop of a redirect is resolved and refused before connecting where it points into a
private network (impact.signals.safety), and the request goes to the address approved, with the host's name for
the Host header and TLS. At most `max_bytes` of a body are read."""
from __future__ import annotations

import asyncio
import re
import time
from typing import Optional
from urllib.parse import urljoin, urlsplit

import httpx
from cryptography import x509

from impact.signals.result import Checked
from impact.signals.safety import HostPacer, Refused, resolve
from impact.signals.settings import USER_AGENT, CheckSettings

TRANSIENT_STATUSES = {429, 502, 503, 504}
# What parking and registrar pages say: English, German, French, and the parking services' names.
PARKED = re.compile(
    r"domain (name )?(is|may be) for sale|buy this domain|this domain (name )?(has expired|is parked|is for sale)"
    r"|domain (is )?parked|parked (free|domain)|sedoparking|parkingcrew|bodis\.com|hugedomains|dan\.com"
    r"|diese domain (kann|steht|ist).{0,40}(kaufen|verkauf|gekauft|geparkt)|domain ist abgelaufen"
    r"|ce domaine (est|peut).{0,30}(vendre|achet|expir)|nom de domaine (est )?(à vendre|expiré)",
    re.IGNORECASE)


def parked(text: str) -> bool:
    return bool(PARKED.search(text))


class _Hop:
    def __init__(self, status: int, location: Optional[str], body: bytes, cert: Optional[bytes], ms: int):
        self.status, self.location, self.body, self.cert, self.ms = status, location, body, cert, ms


async def _request(client: httpx.AsyncClient, url: str, settings: CheckSettings, pacer: HostPacer) -> _Hop:
    """One GET of `url` (no redirect followed) at its approved address; Refused or httpx errors."""
    parts = httpx.URL(url)
    if parts.scheme not in ("http", "https"):
        raise Refused("scheme")
    host = parts.host
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = await resolve(host, port, settings.allow)
    await pacer.wait(host)
    host_header = host if parts.port is None else f"{host}:{parts.port}"
    request = client.build_request("GET", parts.copy_with(host=address), headers={"Host": host_header},
                                   extensions={"sni_hostname": host} if parts.scheme == "https" else {})
    started = time.monotonic()
    response = await client.send(request, stream=True)
    try:
        ms = int((time.monotonic() - started) * 1000)
        cert = None
        stream = response.extensions.get("network_stream")
        ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
        if ssl_object is not None:
            cert = ssl_object.getpeercert(binary_form=True)
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) >= settings.max_bytes:
                del body[settings.max_bytes:]
                break
        return _Hop(response.status_code, response.headers.get("location"), bytes(body), cert, ms)
    finally:
        await response.aclose()


async def _follow(client: httpx.AsyncClient, url: str, settings: CheckSettings, pacer: HostPacer,
                  result: Checked) -> _Hop:
    """Follow redirects by hand, each hop checked by `_request`; the last hop's answer."""
    current = url
    for _hop in range(settings.max_redirects + 1):
        result.final_url = current
        hop = await _request(client, current, settings, pacer)
        if hop.status in (301, 302, 303, 307, 308) and hop.location:
            current = urljoin(current, hop.location)
            continue
        return hop
    raise Refused("redirects")


def _clients(settings: CheckSettings) -> tuple[httpx.AsyncClient, httpx.AsyncClient]:
    timeout = httpx.Timeout(settings.timeout)
    headers = {"User-Agent": USER_AGENT, "Accept": "text/html,*/*;q=0.5"}
    return (httpx.AsyncClient(timeout=timeout, headers=headers, follow_redirects=False, trust_env=False),
            httpx.AsyncClient(timeout=timeout, headers=headers, follow_redirects=False, trust_env=False,
                              verify=False))


class WebsiteChecker:
    """Checks websites with two clients: one verifying certificates, one for sites whose certificate fails (so
    that such a site still counts as answering, its certificate marked invalid)."""

    def __init__(self, settings: CheckSettings, pacer: HostPacer):
        self.settings, self.pacer = settings, pacer
        self.verifying, self.lenient = _clients(settings)

    async def close(self) -> None:
        await self.verifying.aclose()
        await self.lenient.aclose()

    async def check(self, url: str) -> Checked:
        result = Checked("website", url)
        try:
            if urlsplit(url).scheme.lower() not in ("http", "https"):
                raise Refused("scheme")
            hop = await self._with_retries(url, result)
        except Refused as exc:
            result.detail = exc.code
            return result
        except httpx.TimeoutException:
            result.detail = "timeout"
            return result
        except (httpx.HTTPError, OSError, ValueError):
            result.detail = "unreachable"
            return result
        result.http_status = hop.status
        result.response_ms = hop.ms
        result.ok = hop.status < 400
        result.parked = parked(hop.body.decode("utf-8", errors="replace"))
        if hop.cert is not None:
            try:
                result.tls_expires_at = x509.load_der_x509_certificate(hop.cert).not_valid_after_utc
            except ValueError:
                pass
        if result.tls_valid is None and urlsplit(result.final_url).scheme == "https":
            result.tls_valid = True
        if not result.ok and not result.detail:
            result.detail = f"status:{hop.status}"
        return result

    async def _with_retries(self, url: str, result: Checked) -> _Hop:
        attempt = 0
        while True:
            try:
                hop = await self._once(url, result)
                if hop.status not in TRANSIENT_STATUSES or attempt >= self.settings.retries:
                    return hop
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError):
                if attempt >= self.settings.retries:
                    raise
            attempt += 1
            await asyncio.sleep(min(0.5 * attempt, 5))

    async def _once(self, url: str, result: Checked) -> _Hop:
        if result.tls_valid is False:
            return await _follow(self.lenient, url, self.settings, self.pacer, result)
        try:
            return await _follow(self.verifying, url, self.settings, self.pacer, result)
        except httpx.ConnectError as exc:
            if "CERTIFICATE_VERIFY_FAILED" not in str(exc) and "certificate" not in str(exc).lower():
                raise
        result.tls_valid = False  # the site answers over TLS, but its certificate is not valid
        return await _follow(self.lenient, url, self.settings, self.pacer, result)
