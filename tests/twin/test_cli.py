"""``tamna twin build`` and ``tamna twin run``, and ``tamna demo --scenario`` refusing a bad scenario: clear
messages and exit code 2 for what cannot be run."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tamna.cli.main import app

KEPT = {"TAMNA_DATA", "TAMNA_TEST_POSTGRES"}


@pytest.fixture(autouse=True)
def _own_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("TAMNA_") and name not in KEPT:
            monkeypatch.delenv(name)
    monkeypatch.setenv("TAMNA_DATA_DIR", str(tmp_path / "var"))
    yield


def tamna(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, [str(arg) for arg in args])
    return result.exit_code, result.output


@pytest.mark.data
def test_run_prints_a_summary(shared_data: Path, tmp_path: Path) -> None:
    config = shared_data / "sumo" / "cologne1" / "cologne1.sumocfg"
    code, output = tamna("twin", "run", "--scenario", config, "--until", "25500", "--db", tmp_path / "t.duckdb")
    assert code == 0, output
    assert "scenario cologne1: finished" in output
    assert "simulated 25200–25500 s (300 s, 300 steps)" in output
    assert "readings 40, 40 stored, 0 refused" in output  # 8 generated loops, 5 intervals
    assert (tmp_path / "var" / "twin" / "cologne1" / "detectors.add.xml").is_file()


@pytest.mark.data
def test_run_refuses_an_until_before_the_begin(shared_data: Path) -> None:
    config = shared_data / "sumo" / "cologne1" / "cologne1.sumocfg"
    code, output = tamna("twin", "run", "--scenario", config, "--until", "600", "--no-ingest")
    assert code == 2 and "--until 600 is not after the scenario's begin (25200 s)" in output


def test_an_unknown_scenario_exits_2(tmp_path: Path) -> None:
    code, output = tamna("twin", "run", "--scenario", tmp_path / "nope.sumocfg")
    assert code == 2 and "nope.sumocfg: no such file" in output
    code, output = tamna("demo", "--scenario", tmp_path / "nope.sumocfg")
    assert code == 2 and "nope.sumocfg: no such file" in output


def test_a_broken_scenario_exits_2(tmp_path: Path) -> None:
    (tmp_path / "x.net.xml").write_text("<net><edge id='a'>", encoding="utf-8")
    config = tmp_path / "broken.sumocfg"
    config.write_text('<configuration><net-file value="x.net.xml"/></configuration>', encoding="utf-8")
    code, output = tamna("twin", "run", "--scenario", config)
    assert code == 2 and "x.net.xml: malformed XML" in output
    code, output = tamna("demo", "--scenario", config, "--port", "8765")
    assert code == 2 and "x.net.xml: malformed XML" in output


def test_build_makes_the_generated_city_under_the_data_dir(tmp_path: Path, generated_city: Path) -> None:
    code, output = tamna("twin", "build", "--generated", "--out", generated_city.parent)
    assert code == 0 and output.strip() == str(generated_city)  # reused, not rebuilt
    code, output = tamna("twin", "build")
    assert code == 2 and "exactly one of --generated, --city jeju, --osm FILE" in output
    code, output = tamna("twin", "build", "--city", "atlantis")
    assert code == 2 and "only jeju is known" in output


def test_the_demo_picks_jeju_when_it_can_and_the_generated_city_otherwise(
    tmp_path: Path, generated_city: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tamna.cli import twin as cli_twin
    from tamna.core.settings import Settings

    monkeypatch.chdir(tmp_path)  # no ../shared/data beside the working folder
    monkeypatch.delenv("TAMNA_DATA", raising=False)
    settings = Settings(data_dir=tmp_path / "var")
    shutil.copytree(generated_city.parent, tmp_path / "var" / "twin" / "generated-1")  # built already: reused
    data = tmp_path / "data"
    data.mkdir()

    assert cli_twin.choose_scenario(settings, data) == tmp_path / "var" / "twin" / "generated-1" / generated_city.name
    assert "the generated city" in capsys.readouterr().out  # the shared data has no jeju/ folder

    calls: list[tuple[Path, Path, bool, int]] = []

    def build_jeju(data: Path, out_dir: Path, *, whole_island: bool = False, seed: int = 1) -> Path:
        calls.append((data, out_dir, whole_island, seed))
        return out_dir / "jeju.sumocfg"

    monkeypatch.setattr(cli_twin, "_builder", lambda module, name: build_jeju if module == "jeju" else None)
    (data / "jeju").mkdir()
    assert cli_twin.choose_scenario(settings, data) == tmp_path / "var" / "twin" / "jeju" / "jeju.sumocfg"
    assert calls == [(data.resolve(), tmp_path / "var" / "twin" / "jeju", False, 1)]
    assert "Jeju-si centre" in capsys.readouterr().out
