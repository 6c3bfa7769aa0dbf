"""``tamna db migrate`` and ``tamna keys create|list|revoke``, checked against an app on the same store."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from tamna.api.app import build_state, create_app
from tamna.core.settings import Settings
from tamna.store import open_store
from tests.cli.conftest import Tamna

KEY = re.compile(r"^tmn_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$")


def test_db_migrate_prints_the_schema_version_and_is_idempotent(tamna: Tamna, db: Path) -> None:
    first = tamna("db", "migrate")
    assert first.exit_code == 0, first.output
    store = open_store(str(db))
    try:
        version = store.schema_version()
    finally:
        store.close()
    assert version >= 1
    assert first.stdout.strip() == f"{db}: schema version {version}"
    again = tamna("db", "migrate")
    assert again.exit_code == 0
    assert again.stdout == first.stdout


def test_a_created_key_authenticates_against_the_app(tamna: Tamna, db: Path, tmp_path: Path) -> None:
    created = tamna("keys", "create", "--role", "operator", "--name", "gateway")
    assert created.exit_code == 0, created.output
    key = created.stdout.strip()  # the key alone on stdout, so that scripts can capture it
    match = KEY.match(key)
    assert match, key
    assert f"id {match.group(1)}, role operator" in created.stderr
    viewer = tamna("keys", "create").stdout.strip()  # viewer by default
    settings = Settings(db=str(db), data_dir=tmp_path, env="test")
    app = create_app(settings, app_state=build_state(settings), background=False)
    try:
        with TestClient(app) as client:
            assert client.get("/api/v1/rejections", headers={"Authorization": f"Bearer {key}"}).status_code == 200
            assert client.get("/api/v1/rejections", headers={"X-API-Key": viewer}).status_code == 403
            assert client.get("/api/v1/keys", headers={"X-API-Key": key}).status_code == 403
            assert client.get("/api/v1/rejections", headers={"X-API-Key": key[:-1] + "x"}).status_code == 401
    finally:
        app.state.tamna.store.close()


def test_keys_list_and_revoke(tamna: Tamna, db: Path, tmp_path: Path) -> None:
    admin = tamna("keys", "create", "--role", "admin", "--name", "ops desk").stdout.strip()
    operator = tamna("keys", "create", "--role", "operator", "--name", "twin").stdout.strip()
    admin_id, operator_id = KEY.match(admin).group(1), KEY.match(operator).group(1)  # type: ignore[union-attr]
    listed = tamna("keys", "list")
    assert listed.exit_code == 0
    rows = {line.split("\t")[0]: line.split("\t") for line in listed.stdout.splitlines()}
    assert rows == {
        admin_id: [admin_id, "admin", "active", "ops desk"],
        operator_id: [operator_id, "operator", "active", "twin"],
    }
    assert admin not in listed.output
    assert operator not in listed.output

    revoked = tamna("keys", "revoke", operator_id)
    assert revoked.exit_code == 0, revoked.output
    assert revoked.stdout.strip() == f"revoked {operator_id}"
    rows = {line.split("\t")[0]: line.split("\t") for line in tamna("keys", "list").stdout.splitlines()}
    assert rows[operator_id][2].startswith("revoked 20")
    assert rows[admin_id][2] == "active"

    unknown = tamna("keys", "revoke", "000000000000")
    assert unknown.exit_code == 2
    assert "error: API key '000000000000' not found" in unknown.stderr
    assert "revoked 000000000000" not in unknown.stdout

    settings = Settings(db=str(db), data_dir=tmp_path, env="test")
    app = create_app(settings, app_state=build_state(settings), background=False)
    try:
        with TestClient(app) as client:
            assert client.get("/api/v1/rejections", headers={"X-API-Key": operator}).status_code == 401
            assert client.get("/api/v1/keys", headers={"X-API-Key": admin}).status_code == 200
    finally:
        app.state.tamna.store.close()


def test_an_unknown_role_is_a_usage_error(tamna: Tamna, db: Path) -> None:
    result = tamna("keys", "create", "--role", "root")
    assert result.exit_code == 2
    assert "root" in result.stderr
    assert not db.exists()  # refused before the store was touched
