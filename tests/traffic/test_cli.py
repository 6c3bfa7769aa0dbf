"""``tamna forecast`` on a dataset folder made in the test: evaluate (JSON), train (artifact), refusals."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tamna.cli.main import app
from tamna.traffic.datasets import load_folder
from tamna.traffic.forecasting.artifacts import load_artifact
from tests.traffic.conftest import FolderMaker


@pytest.fixture(autouse=True)
def _no_tamna_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("TAMNA_"):
            monkeypatch.delenv(name)


def tamna(tmp_path: Path, *args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [*map(str, args), "--db", str(tmp_path / "cli.duckdb")])
    return result.exit_code, result.stdout, result.stderr


def test_evaluate_prints_both_conventions_as_json(make_folder: FolderMaker, tmp_path: Path) -> None:
    folder = make_folder(steps=3 * 288)
    code, out, err = tamna(tmp_path, "forecast", "evaluate", "--data", folder, "--model", "ridge", "--json")
    assert code == 0, err
    body = json.loads(out)
    assert body["model"] == "ridge" and body["dataset"] == "tiny" and body["unit"] == "km/h"
    assert set(body["conventions"]) == {"tgcn-pooled", "single-step"}
    assert [(r["convention"], r["horizon_min"]) for r in body["rows"]] == [
        (c, h) for c in ("tgcn-pooled", "single-step") for h in (15, 30, 45, 60)
    ]
    assert all(r["mae"] > 0 and r["rmse"] >= r["mae"] for r in body["rows"])
    assert body["fit"]["selection"]["penalty"] in body["params"]["penalties"]


def test_evaluate_prints_a_table_by_default(make_folder: FolderMaker, tmp_path: Path) -> None:
    code, out, err = tamna(tmp_path, "forecast", "evaluate", "--data", make_folder(), "--model", "last-value")
    assert code == 0, err
    assert "| last-value | tgcn-pooled | 15 min |" in out
    assert "T-GCN's convention" in out


def test_train_writes_a_versioned_artifact(make_folder: FolderMaker, tmp_path: Path) -> None:
    folder = make_folder(steps=3 * 288)
    out_dir = tmp_path / "models"
    args = ("forecast", "train", "--data", folder, "--model", "best", "--out", out_dir, "--json")
    code, out, err = tamna(tmp_path, *args, "--param", "epochs=2", "--param", "hidden=8")
    assert code == 0, err
    written = Path(json.loads(out)["artifact"])
    assert written.parent == out_dir and written.name.startswith("graph-mlp-tiny-")
    names = {p.name for p in written.iterdir()}
    assert names >= {"artifact.json", "model.json", "scaler.json", "weights.pt", "graph.npz", "metrics.json"}
    loaded = load_artifact(written)
    assert loaded.manifest["fingerprint"] == load_folder(folder).fingerprint()
    assert loaded.manifest["tamna_version"]
    assert json.loads((written / "metrics.json").read_text())["rows"]


def test_models_lists_the_registry(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["forecast", "models"])
    assert result.exit_code == 0
    assert "graph-mlp" in result.stdout and "(best)" in result.stdout and "seasonal-naive" in result.stdout


def test_bad_input_is_a_one_line_error(make_folder: FolderMaker, tmp_path: Path) -> None:
    folder = make_folder(steps=100)
    (folder / "adj.csv").write_text("1,0\n0,1\n")
    code, _, err = tamna(tmp_path, "forecast", "evaluate", "--data", folder, "--model", "ridge")
    assert code == 2
    assert "the graph is 2 rows x [2] columns but the readings have 5 sensors" in err
    code, _, err = tamna(tmp_path, "forecast", "evaluate", "--data", make_folder(), "--model", "arima")
    assert code == 2 and "unknown model 'arima'" in err
    code, _, err = tamna(tmp_path, "forecast", "evaluate", "--model", "ridge")
    assert code == 2 and "the store has no speed_kmh readings" in err


def test_an_unseen_layout_works_too(make_folder: FolderMaker, tmp_path: Path) -> None:
    """15-minute flows in veh/h: the input window is still the last hour (4 steps), the unit is kept."""
    meta = {"interval_minutes": 15, "quantity": "flow", "unit": "veh/h", "name": "flows"}
    folder = make_folder(steps=600, name="flows", meta=meta)
    code, out, err = tamna(tmp_path, "forecast", "evaluate", "--data", folder, "--model", "ridge", "--json")
    assert code == 0, err
    body = json.loads(out)
    assert body["unit"] == "veh/h"
    # 600 rows, test part 120 rows, 4 input steps: T-GCN's count at 15 min (1 step) is 120 - 4 - 1
    assert body["rows"][0]["windows"] == 115
