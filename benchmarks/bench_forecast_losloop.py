"""Every forecasting model on Los-loop under the published protocol, beside T-GCN's published table.

Each model runs as ``tamna forecast evaluate --json`` in its own process, so that its peak memory (maxrss) and CPU
time are its own. Writes ``benchmarks/out/forecast_losloop.json`` and prints two Markdown tables: T-GCN's pooled
convention beside the paper's Table 2, and the single-step (DCRNN / Graph WaveNet) convention.

    python benchmarks/bench_forecast_losloop.py [--data ../shared/data] [--models ridge,graph-mlp]
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import time
from pathlib import Path
from typing import Any

import harness

MODELS = ("last-value", "historical-average", "seasonal-naive", "ridge", "graph-mlp")
HORIZONS = (15, 30, 45, 60)
#: Zhao et al., "T-GCN: A Temporal Graph Convolutional Network for Traffic Prediction", IEEE T-ITS 2019, Table 2,
#: Los-loop rows (mph, 80/20 split, 12 input steps, horizon h = all steps up to h pooled)
PUBLISHED: dict[str, dict[int, dict[str, float]]] = {
    "HA (T-GCN Table 2)": {h: {"rmse": 7.4427, "mae": 4.0145} for h in HORIZONS},
    "GRU (T-GCN Table 2)": {
        15: {"rmse": 5.2182, "mae": 3.0602},
        30: {"rmse": 6.2802, "mae": 3.6505},
        45: {"rmse": 6.5733, "mae": 3.8385},
        60: {"rmse": 7.0230, "mae": 4.0253},
    },
    "T-GCN (T-GCN Table 2)": {
        15: {"rmse": 5.1264, "mae": 3.1802, "accuracy": 0.9127},
        30: {"rmse": 5.7577, "mae": 3.6064, "accuracy": 0.9020},
        45: {"rmse": 6.1127, "mae": 3.8466, "accuracy": 0.8959},
        60: {"rmse": 6.7273, "mae": 4.1288, "accuracy": 0.8855},
    },
}


def run_model(data: Path, model: str) -> dict[str, Any]:
    """One model's evaluation in a fresh process; adds its wall and CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [
            str(harness.BIN / "tamna"),
            "forecast",
            "evaluate",
            "--data",
            str(data),
            "--model",
            model,
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("TAMNA_")},
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"{model} failed: {done.stderr.strip()}")
    result: dict[str, Any] = json.loads(done.stdout)
    result["process_wall_s"] = round(wall, 1)
    result["process_cpu_s"] = round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 1)
    return result


def pooled_table(results: list[dict[str, Any]]) -> str:
    """T-GCN's convention, Tamna's models beside the published ones: RMSE / MAE / accuracy per horizon."""
    head = "| method | " + " | ".join(f"{h} min RMSE / MAE / acc." for h in HORIZONS) + " |"
    lines = [head, "|---|" + "---:|" * len(HORIZONS)]
    for name, by_h in PUBLISHED.items():
        cells = []
        for h in HORIZONS:
            v = by_h[h]
            acc = f"{v['accuracy']:.4f}" if "accuracy" in v else "–"
            cells.append(f"{v['rmse']:.4f} / {v['mae']:.4f} / {acc}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    for result in results:
        rows = {r["horizon_min"]: r for r in result["rows"] if r["convention"] == "tgcn-pooled"}
        cells = [f"{rows[h]['rmse']:.4f} / {rows[h]['mae']:.4f} / {rows[h]['accuracy']:.4f}" for h in HORIZONS]
        lines.append(f"| Tamna {result['model']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def single_table(results: list[dict[str, Any]]) -> str:
    """The DCRNN / Graph WaveNet convention: MAE / RMSE / MAPE at exactly the horizon's step."""
    head = "| method | " + " | ".join(f"{h} min MAE / RMSE / MAPE %" for h in HORIZONS) + " |"
    lines = [head, "|---|" + "---:|" * len(HORIZONS)]
    for result in results:
        rows = {r["horizon_min"]: r for r in result["rows"] if r["convention"] == "single-step"}
        cells = [f"{rows[h]['mae']:.4f} / {rows[h]['rmse']:.4f} / {rows[h]['mape']:.2f}" for h in HORIZONS]
        lines.append(f"| Tamna {result['model']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = harness.parser(__doc__.splitlines()[0], runs=1)
    ap.add_argument("--data", type=Path, default=harness.REPO.parent / "shared" / "data", help="shared data folder")
    ap.add_argument("--models", default=",".join(MODELS), help="comma-separated model names")
    args = ap.parse_args()
    folder = args.data / "traffic" / "los-loop"
    results = []
    for model in args.models.split(","):
        result = run_model(folder, model)
        print(
            f"{model}: fit {result['fit_seconds']:.1f} s, process {result['process_wall_s']} s wall / "
            f"{result['process_cpu_s']} s CPU, peak {result['peak_rss_mb']:.0f} MB",
            flush=True,
        )
        results.append(result)
    figures = [
        harness.Figure(
            name=f"{r['model']} fit time on Los-loop",
            value=r["fit_seconds"],
            unit="s",
            target=15 * 60 if r["model"] == "graph-mlp" else None,
            better="lower",
            note=f"{r['process_cpu_s']} s CPU for the whole process; peak RSS {r['peak_rss_mb']:.0f} MB",
        )
        for r in results
    ]
    pooled, single = pooled_table(results), single_table(results)
    harness.save("forecast_losloop", args, figures, results=results, pooled_table=pooled, single_step_table=single)
    print("\nT-GCN convention (horizon h pools every 5-min step up to h), mph:\n" + pooled)
    print("\nSingle-step convention (DCRNN / Graph WaveNet), mph:\n" + single)


if __name__ == "__main__":
    main()
