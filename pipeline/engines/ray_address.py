"""Joining a Ray cluster at --ray-address (or RAY_ADDRESS): one line naming the flag, within seconds, where there is
no cluster to join."""

import os
import socket

from pipeline.errors import ConfigError


def join_cluster(ray, address: str | None) -> None:
    """`ray.init` at `address`, after `check_reachable`; what Ray refuses (a bad address, a ray:// address without
    ray[client]) is a ConfigError naming where the address came from."""
    check_reachable(address)
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    except (ConnectionError, ValueError, RuntimeError) as error:  # no cluster there, a bad address, no client
        raise ConfigError(f"{_address_source(address)}: cannot join the Ray cluster: {error}") from None


def _address_source(address: str | None) -> str:
    return f"--ray-address {address}" if address else f"RAY_ADDRESS {os.environ.get('RAY_ADDRESS')}"


def check_reachable(address: str | None, timeout: float = 10.0) -> None:
    """Fails fast where a cluster address (host:port, from --ray-address or RAY_ADDRESS) has nothing listening:
    ray.init retries such an address for many minutes, printing only warnings, so the run looked hung. "auto",
    "local" and ray:// (Ray Client) addresses are left to Ray, which fails on them quickly."""
    target = address or os.environ.get("RAY_ADDRESS")
    if not target or target in ("auto", "local") or "://" in target:
        return
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"{_address_source(address)}: expected host:port, auto or ray://host:port")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as error:
        raise ConfigError(f"{_address_source(address)}: no Ray cluster answers there ({error.strerror or error}); "
                          f"start one with `ray start --head`, or leave --ray-address out for a local Ray") from None
