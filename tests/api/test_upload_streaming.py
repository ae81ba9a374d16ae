"""``POST /imports/{kind}`` reads its body only after checking the caller, as a stream to disk:
an anonymous caller or a rep cannot make the server take in a file, and a chunked body over the
upload limit is refused with 413, the partial file removed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from terraplan.api.app import create_app
from terraplan.api.routes.imports import upload_dir
from terraplan.config import Settings
from terraplan.errors import StorageError
from terraplan.storage.database import Database

from .conftest import login

CHUNK = b"id,name\n" + b"x" * 992  # 1,000 bytes


def _post_counting(
    client: TestClient, chunks: int, *, headers: dict[str, str] | None = None
) -> tuple[Any, int]:
    """POST a chunked body (no Content-Length) of ``chunks`` 1,000-byte pieces to
    ``/imports/accounts`` and say how many pieces were pulled from it (the test client pulls
    the body only when the app first asks for it)."""
    pulled = 0

    def body() -> Iterator[bytes]:
        nonlocal pulled
        for _ in range(chunks):
            pulled += 1
            yield CHUNK

    response = client.post(
        "/imports/accounts", content=body(), headers={**(headers or {}), "content-type": "text/csv"}
    )
    return response, pulled


def test_a_caller_who_may_not_import_sends_no_byte_the_server_reads(
    anonymous: TestClient, as_user: Callable[[str], TestClient]
) -> None:
    response, pulled = _post_counting(anonymous, 200)
    assert response.status_code == 401 and pulled == 0
    rep = as_user("rep")
    response, pulled = _post_counting(
        rep, 200, headers={"X-CSRF-Token": rep.headers["X-CSRF-Token"]}
    )
    assert response.status_code == 403 and pulled == 0
    assert response.json()["error"]["code"] == "permission_denied"


def test_a_chunked_upload_over_the_limit_stops_being_read_and_leaves_no_file(
    db: Database, users: dict[str, str]
) -> None:
    settings = Settings(
        database_url=db.url, session_cookie_secure=True, job_workers=0, max_upload_bytes=20_500
    )
    with TestClient(create_app(settings), base_url="https://testserver") as planner:
        login(planner, "planner")
        before = set(upload_dir().iterdir())
        response, pulled = _post_counting(planner, 500)
        assert response.status_code == 413, response.text
        assert response.json()["error"]["details"] == {"limit_bytes": 20_500}
        assert pulled == 500
        assert set(upload_dir().iterdir()) == before
        # Under the limit the same stream is written to disk and queued as a job.
        response, pulled = _post_counting(planner, 3)
        assert response.status_code == 202, response.text
        assert pulled == 3 and response.json()["kind"] == "import"
        (path,) = set(upload_dir().iterdir()) - before
        assert path.read_bytes() == CHUNK * 3
        path.unlink()


def test_the_upload_folder_must_be_private_to_the_servers_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another user's folder of the same name (or one open to others) is refused: the files
    in it could be read, or swapped before their import job runs."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    folder = upload_dir()
    assert folder.parent == tmp_path and oct(folder.stat().st_mode & 0o777) == "0o700"
    folder.chmod(0o777)
    with pytest.raises(StorageError, match="not a private folder"):
        upload_dir()
    folder.rmdir()
    (tmp_path / "elsewhere").mkdir(mode=0o700)
    folder.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(StorageError, match="not a private folder"):
        upload_dir()
