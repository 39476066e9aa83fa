"""Shared scaffolding of the sweep tests: a TCP server that is not a Dask scheduler."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest


@contextmanager
def _tcp_server(banner: bytes | None = None, reply: bytes | None = None) -> Iterator[str]:
    """A TCP server on 127.0.0.1: sends ``banner`` on connecting (None: waits) and ``reply`` to what it gets
    (None: nothing); yields its ``tcp://`` address and closes every connection on leaving.

    Like an HTTP server (``HTTP/1.1 400 Bad Request`` to bytes that are not HTTP), an SSH server (its banner
    first) or a silent port; Dask reads the first 8 bytes of any of them as the length of a frame.
    """
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    conns: list[socket.socket] = []

    def handle(conn: socket.socket) -> None:
        try:
            if banner is not None:
                conn.sendall(banner)
            if conn.recv(4096) and reply is not None:
                conn.sendall(reply)
        except OSError:
            pass

    def serve() -> None:
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:  # closed at the end of the test
                return
            conns.append(conn)
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"tcp://127.0.0.1:{srv.getsockname()[1]}"
    finally:
        srv.close()
        for c in conns:
            c.close()


@pytest.fixture
def tcp_server() -> Callable[..., AbstractContextManager[str]]:
    """``with tcp_server(banner, reply) as address:`` a port that answers but is no Dask scheduler."""
    return _tcp_server
