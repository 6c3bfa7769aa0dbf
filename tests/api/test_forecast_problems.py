"""The forecasting room's errors reach API clients as 4xx problems naming the refused field and value."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tamna.api import problems
from tamna.traffic.forecasting.errors import ForecastError
from tests.api.support import assert_problem


def test_a_forecast_error_is_a_422_problem_with_its_field_and_value() -> None:
    app = FastAPI()
    problems.install(app)

    @app.get("/refuse")
    def refuse(window: int) -> None:
        raise ForecastError(
            f"an input window of {window} steps is longer than the history", field="window", value=window
        )

    @app.get("/refuse-plainly")
    def refuse_plainly() -> None:
        raise ForecastError("the model artifact is unreadable")

    with TestClient(app) as client:
        body = assert_problem(client.get("/refuse", params={"window": 99}), 422, "forecast-input-unusable")
        assert body["detail"] == "an input window of 99 steps is longer than the history"
        assert body["errors"] == [{"field": "window", "value": "99", "reason": body["detail"]}]
        plain = assert_problem(client.get("/refuse-plainly"), 422, "forecast-input-unusable")
        assert "errors" not in plain and plain["detail"] == "the model artifact is unreadable"
