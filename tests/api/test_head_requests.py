"""``HEAD`` is answered wherever ``GET`` is (uptime monitors and ``curl -I`` ask ``HEAD
/health``; it was a 405 everywhere): same status and headers, no body."""

from __future__ import annotations

import http.client
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from terraplan.storage.database import Database

from .live import LiveServer


def test_head_has_the_status_and_headers_of_get_and_no_body(
    anonymous: TestClient, as_user: Callable[[str], TestClient]
) -> None:
    for path, status in (("/health", 200), ("/", 200), ("/plans", 401)):
        head, get = anonymous.head(path), anonymous.get(path)
        assert (head.status_code, get.status_code) == (status, status), path
        assert head.content == b"" and get.content != b""
        assert head.headers["content-length"] == get.headers["content-length"]
        assert head.headers["content-type"] == get.headers["content-type"]
    planner = as_user("planner")
    head, get = planner.head("/plans"), planner.get("/plans")
    assert head.status_code == get.status_code == 200
    assert head.content == b"" and head.headers["content-length"] == get.headers["content-length"]
    # a path without GET still says which methods it takes
    refused = anonymous.head("/auth/login")
    assert refused.status_code == 405 and "POST" in refused.headers["allow"]


def test_a_real_server_answers_head_without_a_body_on_a_kept_connection(
    db: Database, tmp_path: Path
) -> None:
    live = LiveServer(db.url, tmp_path / "server.log").start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", live.port, timeout=30)
        connection.request("HEAD", "/health")
        head = connection.getresponse()
        assert head.status == 200 and head.read() == b""
        assert int(head.headers["content-length"]) > 0
        # the same connection carries the next request: no stray body was sent
        connection.request("GET", "/health")
        get = connection.getresponse()
        assert get.status == 200 and len(get.read()) == int(head.headers["content-length"])
        connection.close()
    finally:
        live.stop()
