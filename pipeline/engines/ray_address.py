"""Joining a Ray cluster at --ray-address (or RAY_ADDRESS): one line naming where the address came from, within
seconds, where there is no cluster to join."""

import os
import socket

from pipeline.errors import ConfigError


def join_cluster(ray, address: str | None) -> None:
    """`ray.init` at `address`, after `check_reachable`; what Ray refuses (a bad address, a ray:// address without
    ray[client], a local Ray that does not start) is a ConfigError."""
    check_reachable(address)
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    except (ConnectionError, ValueError, RuntimeError) as error:  # no cluster there, a bad address, no client
        target, source = _target(address)
        if target is None:
            raise ConfigError(f"--engine ray: starting a local Ray failed: {error}") from None
        raise ConfigError(f"{source}: cannot join the Ray cluster: {error}") from None


def _target(address: str | None) -> tuple[str | None, str]:
    """The address Ray joins and where it came from: RAY_ADDRESS stands in for no address and for "auto", as in
    `ray.init`."""
    environment = os.environ.get("RAY_ADDRESS")
    if address in (None, "auto") and environment:
        return environment, f"RAY_ADDRESS {environment}"
    return address, f"--ray-address {address}"


def check_reachable(address: str | None, timeout: float = 10.0) -> None:
    """Fails fast where a cluster address (host:port, from --ray-address or RAY_ADDRESS) has nothing listening:
    ray.init retries such an address for many minutes, printing only warnings, so the run looked hung. "auto"
    (without RAY_ADDRESS), "local" and ray:// (Ray Client) addresses are left to Ray, which fails on them quickly."""
    target, source = _target(address)
    if target == "auto":
        target, source = _started_cluster()
    if not target or target == "local" or "://" in target:
        return
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"{source}: expected host:port, auto or ray://host:port")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as error:
        instead = "unset RAY_ADDRESS" if source.startswith("RAY_ADDRESS") else "leave --ray-address out"
        raise ConfigError(f"{source}: no Ray cluster answers there ({error.strerror or error}); start one with "
                          f"`ray start --head`, or {instead} for a local Ray") from None


def _started_cluster() -> tuple[str, str]:
    """"auto" is the cluster that `ray start` started on this machine: its address and where it came from. Ray
    falls back to any Ray process it finds, such as the private Ray of another `prep run`, which shuts it down, and
    this run's work with it, when it ends. The address `ray start` left may be stale: it is checked as any other."""
    from ray._private.utils import read_ray_address

    started = read_ray_address()
    if started is None:
        raise ConfigError("--ray-address auto: no cluster was started on this machine with `ray start --head`; "
                          "start one, give its host:port, or leave --ray-address out for a local Ray of this run")
    return started, f"--ray-address auto ({started}, from `ray start`)"
