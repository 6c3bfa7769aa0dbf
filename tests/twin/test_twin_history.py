"""The prediction benchmark on a small twin history: ``benchmarks/bench_transit_prediction.py`` builds the generated
city for two seeds, runs each as a service day through ``tamna twin run --transit`` (real SUMO, the real ingest
path into a real store), exports the stop events and evaluates both predictors on them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: 40 simulated minutes a day: four buses on each line direction, enough for the learned model's medians.
UNTIL_S = 7 * 3600 + 40 * 60


def test_the_benchmark_evaluates_both_models_on_twin_history(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable, str(REPO / "benchmarks" / "bench_transit_prediction.py"),
            "--city", "generated", "--days", "2", "--until", str(UNTIL_S),
            "--work", str(tmp_path / "work"), "--out", str(tmp_path / "out"),
        ],
        cwd=REPO / "benchmarks", capture_output=True, text=True, timeout=280, check=False,
    )  # fmt: skip
    print(done.stdout[-3000:])
    assert done.returncode == 0, done.stderr[-3000:]
    history = sorted((tmp_path / "work" / "history-generated").glob("*.csv"))
    assert [p.name for p in history] == ["20260302.csv", "20260303.csv"]
    result = json.loads((tmp_path / "out" / "transit_prediction-generated.json").read_text())
    evaluation = result["details"]["evaluation"]
    assert evaluation["train_days"] == ["20260302"]
    assert evaluation["test_days"] == ["20260303"]
    assert evaluation["train_events"] >= 50
    short = {name: scores["0-5"] for name, scores in evaluation["mae_s"].items()}
    assert short["schedule+delay"]["count"] == short["segments+dwell (learned)"]["count"] >= 30
    # the timetable is planned from free flow and every bus is late on the twin's busy morning: the history
    # has taught the learned model how late
    assert short["segments+dwell (learned)"]["mae_s"] < short["schedule+delay"]["mae_s"]
    names = [figure["name"] for figure in result["figures"]]
    assert any("schedule+delay MAE at 0-5 min" in name for name in names)
