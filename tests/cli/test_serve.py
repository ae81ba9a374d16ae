"""``terraplan serve`` runs the API; ``/docs`` and ``/redoc`` need no internet."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from fastapi.testclient import TestClient

from terraplan.api.app import create_app
from terraplan.config import Settings


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _assets(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


def test_docs_and_redoc_load_every_asset_from_the_server(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/api.db")
    with TestClient(create_app(settings)) as client:
        for page, expected in (
            ("/docs", "swagger-ui-bundle.js"),
            ("/redoc", "redoc.standalone.js"),
        ):
            response = client.get(page)
            assert response.status_code == 200
            html = response.text
            assert "cdn" not in html.lower() and "fonts.googleapis" not in html
            assets = _assets(html)
            assert any(a.endswith(expected) for a in assets), assets
            for asset in assets:
                assert asset.startswith("/static/docs/"), asset  # served here, not from a CDN
                fetched = client.get(asset)
                assert fetched.status_code == 200, asset
                assert len(fetched.content) > 1000
        assert client.get("/openapi.json").json()["info"]["title"] == "terraplan"


def test_serve_starts_the_api_and_refuses_a_taken_port(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "TERRAPLAN_DATABASE_URL": f"sqlite:///{tmp_path}/serve.db",
        "PYTHONWARNINGS": "ignore",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "terraplan", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        health = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                    health = json.load(r)
                break
            except OSError:
                time.sleep(0.3)
        assert health is not None, server.stderr.read() if server.poll() is not None else "timeout"
        assert health["status"] == "ok" and health["database"] == "sqlite"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/docs", timeout=5) as r:
            assert "/static/docs/swagger-ui-bundle.js" in r.read().decode("utf-8")

        taken = subprocess.run(
            [sys.executable, "-m", "terraplan", "serve", "--port", str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert taken.returncode == 2
        assert f"cannot listen on 127.0.0.1:{port}" in taken.stderr
        assert "Traceback" not in taken.stderr
    finally:
        server.terminate()
        server.communicate(timeout=30)
