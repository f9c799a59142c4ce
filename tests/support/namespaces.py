"""Several machines on one: Linux network namespaces joined by a bridge, for the classroom tests.

Each host is a network namespace with its own network stack, loopback and one address on a
private subnet; a hidden "switch" namespace holds the bridge that joins them, so nothing of it
touches this machine's own network. Traffic goes only to the addresses made here. Needs root
(`ip netns`, from iproute2); `Network.available()` says why not, if it cannot be made.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
from dataclasses import dataclass

SUBNET = "10.213.47"  # the hosts get .1, .2, ...; no route leads out of the namespaces
_networks = itertools.count()


@dataclass
class Host:
    name: str
    namespace: str
    address: str
    link: str  # the host's end of its cable, in its own namespace
    port: str  # the switch's end

    def command(self, *command: str) -> list[str]:
        """`command` run on this host."""
        return ["ip", "netns", "exec", self.namespace, *command]


class Network:
    """A switch and the hosts plugged into it; `close` takes it all down."""

    def __init__(self) -> None:
        self.tag = f"pd{os.getpid() % 100000}n{next(_networks)}"
        self.switch = f"{self.tag}-switch"
        self.hosts: dict[str, Host] = {}
        self.namespaces: list[str] = []
        self._ip("netns", "add", self.switch)
        self.namespaces.append(self.switch)
        self._ip("-n", self.switch, "link", "add", "br0", "type", "bridge")
        self._ip("-n", self.switch, "link", "set", "br0", "up")

    @staticmethod
    def available() -> str | None:
        """None if namespaces can be made here, else the reason they cannot."""
        if shutil.which("ip") is None:
            return "the ip command (iproute2) is not installed"
        if os.geteuid() != 0:
            return "network namespaces need root"
        probe = f"pd{os.getpid() % 100000}probe"
        made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
        if made.returncode != 0:
            return f"ip netns add failed: {made.stderr.strip()}"
        subprocess.run(["ip", "netns", "delete", probe], capture_output=True)
        return None

    def add(self, name: str) -> Host:
        """Plug a new host into the switch; its address is the next one on the subnet."""
        number = len(self.hosts) + 1
        namespace = f"{self.tag}-{name}"
        link, port = f"{self.tag}h{number}", f"{self.tag}s{number}"
        self._ip("netns", "add", namespace)
        self.namespaces.append(namespace)
        self._ip("link", "add", link, "netns", namespace, "type", "veth", "peer", "name", port, "netns", self.switch)
        self._ip("-n", self.switch, "link", "set", port, "master", "br0", "up")
        self._ip("-n", namespace, "link", "set", "lo", "up")
        self._ip("-n", namespace, "addr", "add", f"{SUBNET}.{number}/24", "dev", link)
        self._ip("-n", namespace, "link", "set", link, "up")
        host = Host(name, namespace, f"{SUBNET}.{number}", link, port)
        self.hosts[name] = host
        return host

    def unplug(self, host: Host) -> None:
        """Take the host's link down, with no goodbye to anyone: a laptop that leaves the Wi-Fi."""
        self._ip("-n", host.namespace, "link", "set", host.link, "down")
        self._ip("-n", self.switch, "link", "set", host.port, "down")

    def close(self) -> None:
        for namespace in reversed(self.namespaces):
            subprocess.run(["ip", "netns", "delete", namespace], capture_output=True)
        self.namespaces.clear()

    @staticmethod
    def _ip(*args: str) -> None:
        subprocess.run(["ip", *args], check=True, capture_output=True, text=True, timeout=10)
