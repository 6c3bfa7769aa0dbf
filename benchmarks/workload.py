"""The benchmark workload, generated deterministically: a synthetic road network, sensors on its links, and
their readings every 5 minutes (the issue's 1,000 sensors x 30 days = 8.64 M observations).

The network is a synthetic grid near Jeju-si, not the real node-link network: query cost depends on how many
links and sensors there are and how many readings each holds, not on where the roads run. Readings follow a
daily profile (morning and evening peaks) with seeded noise, so every run of every script sees the same bytes.

Data is generated one day at a time with a generator seeded by (seed, day): any slice of the workload is the
same whichever script asks for it and in whatever order.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from tamna.domain.network import Link, Node, RoadNetwork
from tamna.domain.sensors import Sensor, SensorKind
from tamna.store.base import Store

STEP = timedelta(minutes=5)
STEPS_PER_DAY = 288
#: A fixed instant in the past: readings are never "in the future" and the data never depends on today.
EPOCH = datetime(2025, 3, 1, tzinfo=UTC)
SEED = 20250301
SENSORS_PER_LINK = 2
_ORIGIN = (126.50, 33.48)  # Jeju-si
_SPACING_DEG = 0.004  # ~ 370-440 m between junctions
_QUALITY_NAMES = np.array(["ok", "suspect"])


@dataclass(frozen=True)
class Workload:
    """``sensors`` sensors reporting every 5 minutes for ``days`` days from :data:`EPOCH`."""

    sensors: int = 1000
    days: int = 30
    seed: int = SEED

    @property
    def name(self) -> str:
        return f"{self.sensors}x{self.days}d"

    @property
    def steps(self) -> int:
        return self.days * STEPS_PER_DAY

    @property
    def observations(self) -> int:
        return self.sensors * self.steps

    @property
    def links(self) -> int:
        return math.ceil(self.sensors / SENSORS_PER_LINK)

    @property
    def start(self) -> datetime:
        return EPOCH

    @property
    def end(self) -> datetime:
        """The instant after the last reading."""
        return EPOCH + self.steps * STEP

    def sensor_id(self, index: int) -> str:
        return f"S{index + 1:05d}"

    def link_id(self, index: int) -> str:
        return f"L{index + 1:05d}"

    def sensor_ids(self) -> list[str]:
        return [self.sensor_id(i) for i in range(self.sensors)]

    def link_ids(self) -> list[str]:
        return [self.link_id(i) for i in range(self.links)]

    # ---- network and sensors ------------------------------------------------------------------------
    def network(self) -> RoadNetwork:
        """A square grid with two-way streets; the first ``links`` directed edges carry sensors."""
        side = 2
        while 4 * side * (side - 1) < self.links:
            side += 1

        def node_id(x: int, y: int) -> str:
            return f"N{x:03d}_{y:03d}"

        def where(x: int, y: int) -> tuple[float, float]:
            return (round(_ORIGIN[0] + x * _SPACING_DEG, 6), round(_ORIGIN[1] + y * _SPACING_DEG, 6))

        nodes = [
            Node(id=node_id(x, y), lon=where(x, y)[0], lat=where(x, y)[1], kind="traffic_light")
            for x in range(side)
            for y in range(side)
        ]
        edges = []
        for x in range(side):
            for y in range(side):
                if x + 1 < side:
                    edges += [((x, y), (x + 1, y)), ((x + 1, y), (x, y))]
                if y + 1 < side:
                    edges += [((x, y), (x, y + 1)), ((x, y + 1), (x, y))]
        links = []
        for index, (a, b) in enumerate(edges[: self.links]):
            geometry = [where(*a), where(*b)]
            links.append(
                Link(
                    id=self.link_id(index),
                    from_node=node_id(*a),
                    to_node=node_id(*b),
                    geometry=geometry,
                    lanes=2,
                    length_m=_metres(geometry[0], geometry[1]),
                    speed_limit_kmh=50.0,
                    freeflow_speed_kmh=55.0,
                    name=f"Synthetic road {index + 1}",
                    road_class="arterial",
                )
            )
        used = {link.from_node for link in links} | {link.to_node for link in links}
        return RoadNetwork(nodes=[node for node in nodes if node.id in used], links=links)

    def sensor_list(self) -> list[Sensor]:
        network = self.network()
        sensors = []
        for index in range(self.sensors):
            link = network.links[index // SENSORS_PER_LINK]
            (lon0, lat0), (lon1, lat1) = link.geometry[0], link.geometry[-1]
            share = 0.3 + 0.4 * (index % SENSORS_PER_LINK)
            sensors.append(
                Sensor(
                    id=self.sensor_id(index),
                    kind=SensorKind.LOOP,
                    link_id=link.id,
                    lon=round(lon0 + share * (lon1 - lon0), 6),
                    lat=round(lat0 + share * (lat1 - lat0), 6),
                    name=f"Loop {index + 1}",
                )
            )
        return sensors

    def register(self, store: Store) -> None:
        """Migrate ``store`` and load the network and the sensors into it."""
        store.migrate()
        store.upsert_network(self.network())
        store.upsert_sensors(self.sensor_list())

    # ---- readings ------------------------------------------------------------------------------------
    def day_table(self, day: int) -> pa.Table:
        """One day of readings, time-major (every sensor at 00:00, then every sensor at 00:05, ...), in the
        canonical column layout with ``quality`` as its name, the way a CSV or JSON producer writes it."""
        rng = np.random.default_rng([self.seed, day])
        profile = np.random.default_rng([self.seed, 1_000_000])  # per-sensor constants, the same every day
        base_speed = profile.uniform(40.0, 70.0, self.sensors)
        capacity = profile.uniform(1200.0, 2200.0, self.sensors)
        steps = np.arange(day * STEPS_PER_DAY, (day + 1) * STEPS_PER_DAY)
        hour_utc = (steps % STEPS_PER_DAY) * (24 / STEPS_PER_DAY)
        hour = (hour_utc + 9.0) % 24.0  # Asia/Seoul
        peak = np.exp(-((hour - 8.0) ** 2) / 2.0) + 0.8 * np.exp(-((hour - 18.0) ** 2) / 3.0)
        demand = 0.15 + 0.55 * np.clip(np.sin(np.pi * (hour - 5.0) / 19.0), 0.0, None) + 0.3 * peak
        n = len(steps) * self.sensors
        sensor_index = np.tile(np.arange(self.sensors), len(steps))
        step_index = np.repeat(np.arange(len(steps)), self.sensors)
        load = np.clip(demand[step_index] * rng.normal(1.0, 0.08, n), 0.02, 1.3)
        speed = base_speed[sensor_index] * (1.0 - 0.55 * np.clip(load - 0.5, 0.0, None)) + rng.normal(0.0, 2.5, n)
        flow = capacity[sensor_index] * load
        occupancy = 100.0 * np.clip(load * 0.35 + rng.normal(0.0, 0.02, n), 0.0, 1.0)
        micros = (EPOCH - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
        times = micros + steps[step_index] * (STEP // timedelta(microseconds=1))
        quality = _QUALITY_NAMES[(rng.random(n) < 0.01).astype(np.int8)]
        return pa.table(
            {
                "sensor_id": pa.array(np.array(self.sensor_ids(), dtype=object)[sensor_index], pa.string()),
                "time": pa.array(times, pa.timestamp("us", tz="UTC")),
                "speed_kmh": np.round(np.clip(speed, 1.0, 120.0), 1),
                "flow_vph": np.round(flow),
                "occupancy_pct": np.round(occupancy, 1),
                "quality": pa.array(quality, pa.string()),
            }
        )

    def tables(self) -> Iterator[pa.Table]:
        for day in range(self.days):
            yield self.day_table(day)

    def step_records(self, day: int) -> Iterator[list[dict[str, object]]]:
        """JSON-ready records of one day, one list per 5-minute step (one reading from every sensor)."""
        table = self.day_table(day)
        times = np.datetime_as_string(table.column("time").to_numpy(), unit="s")
        columns = {name: table.column(name).to_pylist() for name in table.column_names if name != "time"}
        for start in range(0, table.num_rows, self.sensors):
            yield [
                {
                    "sensor_id": columns["sensor_id"][row],
                    "time": f"{times[row]}Z",
                    "speed_kmh": columns["speed_kmh"][row],
                    "flow_vph": columns["flow_vph"][row],
                    "occupancy_pct": columns["occupancy_pct"][row],
                    "quality": columns["quality"][row],
                }
                for row in range(start, start + self.sensors)
            ]

    def json_batches(self, records_per_batch: int, limit: int | None = None) -> list[bytes]:
        """The workload as JSON array bodies of ``records_per_batch`` records (at most ``limit`` records)."""
        bodies: list[bytes] = []
        pending: list[dict[str, object]] = []
        sent = 0
        for day in range(self.days):
            for step in self.step_records(day):
                pending.extend(step)
                while len(pending) >= records_per_batch:
                    bodies.append(orjson.dumps(pending[:records_per_batch]))
                    pending = pending[records_per_batch:]
                    sent += records_per_batch
                    if limit is not None and sent >= limit:
                        return bodies
        if pending:
            bodies.append(orjson.dumps(pending))
        return bodies

    # ---- files ---------------------------------------------------------------------------------------
    def write_parquet(self, path: Path) -> Path:
        writer: pq.ParquetWriter | None = None
        try:
            for table in self.tables():
                if writer is None:
                    writer = pq.ParquetWriter(path, table.schema, compression="zstd")
                writer.write_table(table, row_group_size=1_000_000)
        finally:
            if writer is not None:
                writer.close()
        return path

    def write_csv(self, path: Path) -> Path:
        """CSV as a field system exports it: ISO 8601 times with ``Z``, plain decimals, quality by name."""
        with pacsv.CSVWriter(path, _CSV_SCHEMA, write_options=pacsv.WriteOptions(quoting_style="none")) as writer:
            for table in self.tables():
                times = np.datetime_as_string(table.column("time").to_numpy(), unit="s")
                text = table.set_column(1, "time", pa.array(np.char.add(times, "Z"), pa.string()))
                writer.write_table(text.cast(_CSV_SCHEMA))
        return path

    def files(self, folder: Path) -> tuple[Path, Path]:
        """The workload as ``(parquet, csv)`` in ``folder``, generated once and reused when already there."""
        folder.mkdir(parents=True, exist_ok=True)
        parquet, csv = folder / f"obs-{self.name}-{self.seed}.parquet", folder / f"obs-{self.name}-{self.seed}.csv"
        for path, write in ((parquet, self.write_parquet), (csv, self.write_csv)):
            if not path.exists():
                partial = path.with_suffix(path.suffix + ".partial")
                write(partial)
                partial.rename(path)
        return parquet, csv


_CSV_SCHEMA = pa.schema(
    [
        ("sensor_id", pa.string()),
        ("time", pa.string()),
        ("speed_kmh", pa.float64()),
        ("flow_vph", pa.float64()),
        ("occupancy_pct", pa.float64()),
        ("quality", pa.string()),
    ]
)

FULL = Workload()
QUICK = Workload(sensors=100, days=3)


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat = math.radians((a[1] + b[1]) / 2)
    dx = (b[0] - a[0]) * 111_320.0 * math.cos(lat)
    dy = (b[1] - a[1]) * 110_540.0
    return round(math.hypot(dx, dy), 1)
