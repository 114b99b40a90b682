"""Team-supplied addresses must not reach the server's own network: before connecting, and after every redirect,
the host is resolved and refused where any of its addresses is loopback, private, link-local, shared, reserved,
multicast or a cloud metadata address, unless SIGNALS_ALLOW names the host or a network holding the address.
The check then connects to the very address it approved (no second lookup for a rebinding DNS to change)."""
from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Union

Address = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]

# Metadata services answer on these (AWS, GCP, Azure: 169.254.169.254, also link-local; AWS IPv6; Alibaba).
METADATA = {ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")}


class Refused(Exception):
    """An address the checks will not reach; `code` is stored as the signal's detail."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def forbidden(address: Address) -> bool:
    """Whether an address belongs to the server's own or a private network (not the public internet)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (address in METADATA or not address.is_global or address.is_multicast or address.is_private
            or address.is_loopback or address.is_link_local or address.is_reserved or address.is_unspecified)


def allowed(host: str, address: Address, allow: tuple[str, ...]) -> bool:
    """Whether SIGNALS_ALLOW names the host, or a network (or single address) holding the address."""
    for item in allow:
        if item.lower() == host.lower():
            return True
        try:
            if address in ipaddress.ip_network(item, strict=False):
                return True
        except ValueError:
            continue
    return False


async def resolve(host: str, port: int, allow: tuple[str, ...]) -> str:
    """The address to connect to for `host`, once every address it resolves to is allowed; Refused otherwise."""
    if not host:
        raise Refused("no-host")
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise Refused("unknown-host") from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in found]
    if not addresses:
        raise Refused("unknown-host")
    for address in addresses:
        if forbidden(address) and not allowed(host, address, allow):
            raise Refused("private-address")
    return str(addresses[0])


class HostPacer:
    """At most one request per host every `interval` seconds: each caller is given the next free slot."""

    def __init__(self, interval: float):
        self.interval = interval
        self._next: dict[str, float] = {}
        self._lock = asyncio.Lock()

    async def wait(self, host: str) -> None:
        loop = asyncio.get_running_loop()
        async with self._lock:
            now = loop.time()
            at = max(now, self._next.get(host.lower(), now))
            self._next[host.lower()] = at + self.interval
        if at > now:
            await asyncio.sleep(at - now)
