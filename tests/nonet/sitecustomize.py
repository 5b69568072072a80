"""Refuse non-loopback network connections in every Python process of the test run.

The test configuration puts this folder on PYTHONPATH and sets COURSE_NO_NETWORK=1, so the
notebook kernels that nbval and the grader start load it too. Loopback stays open: kernels talk
to Jupyter over it, and tests serve files from 127.0.0.1.
"""
import ipaddress
import os
import socket

if os.environ.get("COURSE_NO_NETWORK") == "1":
    _connect, _connect_ex, _getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo
    _LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}

    class NetworkDisabled(OSError):
        """Raised for a connection that would leave this machine during tests."""

    def _loopback(host) -> bool:
        if host is None or host == "" or host in _LOCAL_NAMES:
            return True
        try:
            ip = ipaddress.ip_address(str(host).split("%")[0])
            return ip.is_loopback or ip.is_unspecified
        except ValueError:
            return False

    def _check(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address[0]):
            raise NetworkDisabled(f"network disabled in tests: refused connection to {address[0]}")

    def connect(self, address):
        _check(self, address)
        return _connect(self, address)

    def connect_ex(self, address):
        _check(self, address)
        return _connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if isinstance(host, bytes):
            host = host.decode()
        if not _loopback(host):
            raise NetworkDisabled(f"network disabled in tests: refused to resolve {host}")
        return _getaddrinfo(host, *args, **kwargs)

    socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo
