"""During tests, connections that would leave the machine are refused, in this process and in
notebook kernels; loopback (kernels, local test servers) keeps working."""
from __future__ import annotations

import socket

import nbformat
import pytest
from nbclient import NotebookClient


def test_non_loopback_connections_and_lookups_are_refused():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        with pytest.raises(OSError, match="network disabled"):
            s.connect(("8.8.8.8", 53))
    with pytest.raises(OSError, match="network disabled"):
        socket.getaddrinfo("example.com", 80)


def test_loopback_still_works():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=5):
            conn, _ = server.accept()
            conn.close()
    assert socket.getaddrinfo("localhost", 80)


def test_notebook_kernels_are_offline_too(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import urllib.request\n"
        "try:\n"
        "    urllib.request.urlopen('http://example.com', timeout=5)\n"
        "    print('reached the network')\n"
        "except OSError as e:\n"
        "    print('refused:', e)\n")])
    NotebookClient(nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    text = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    assert "refused" in text and "network disabled" in text, text
