"""Tiny input files for the source adapters, written into a test's tmp_path. Each is small enough to check
by hand; the real data in ``../shared/data`` is read by the ``data``-marked tests."""

from __future__ import annotations

import json
from pathlib import Path

#: Where the unprojected SUMO sample is placed (lon, lat): Jeju-si's centre.
SUMO_ORIGIN = (126.53, 33.50)


def geojson_network(folder: Path) -> Path:
    """Two good links (one with named nodes, one without), a node, and five features that must be refused."""
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [126.5, 33.5]},
            "properties": {"id": "A", "name": "Gwandeokjeong", "kind": "traffic_light"},
        },
        {
            "type": "Feature",
            "id": "L1",
            "geometry": {"type": "LineString", "coordinates": [[126.5, 33.5], [126.505, 33.5004], [126.51, 33.5]]},
            "properties": {
                "from_node": "A",
                "to_node": "B",
                "lanes": 2,
                "speed_limit_kmh": 50,
                "freeflow_speed_kmh": 55.5,
                "name": "Jungang-ro",
                "road_class": 101,
            },
        },
        {
            "type": "Feature",
            "geometry": {"type": "MultiLineString", "coordinates": [[[126.51, 33.5], [126.51, 33.51]]]},
            "properties": {"id": "L2"},
        },
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[126.5, 33.5], [126.5, 33.51]]},
            "properties": {"id": "bad-lanes", "lanes": 0},
        },
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[126.5, 33.5], [126.5, 33.51]]},
            "properties": {"id": "bad-speed", "speed_limit_kmh": "fast"},
        },
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[126.5, 33.5], [126.5, 33.51]]},
            "properties": {"name": "no id"},
        },
        {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 1], [0, 0]]]},
            "properties": {"id": "P"},
        },
        "not a feature",
    ]
    path = folder / "roads.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def geojson_sensors(folder: Path) -> Path:
    """Two sensors and one with an unknown kind."""
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [126.502, 33.5002]},
            "properties": {"id": "g1", "kind": "radar", "link_id": "L1", "name": "radar 1"},
        },
        {
            "type": "Feature",
            "id": "g2",
            "geometry": {"type": "Point", "coordinates": [126.51, 33.505]},
            "properties": {},
        },
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [126.51, 33.506]},
            "properties": {"id": "g3", "kind": "laser"},
        },
    ]
    path = folder / "sensors.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def csv_sensors(folder: Path) -> Path:
    """Two sensors, one with a latitude off the globe, one with a space in its id."""
    path = folder / "sensors.csv"
    path.write_text(
        "id,kind,link_id,lon,lat,name\n"
        "c1,loop,L1,126.502,33.5002,loop one\n"
        "c2,,,,,\n"
        "c3,radar,L2,126.51,95,too far north\n"
        "bad id,loop,L1,126.5,33.5,\n",
        encoding="utf-8",
    )
    return path


SUMO_NET = """<?xml version="1.0" encoding="UTF-8"?>
<net version="1.20" junctionCornerDetail="5" limitTurnSpeed="5.50">
    <location netOffset="100.00,200.00" convBoundary="0.00,0.00,200.00,0.00"
              origBoundary="-100.00,-200.00,100.00,-200.00" projParameter="!"/>
    <edge id=":J1_0" function="internal">
        <lane id=":J1_0_0" index="0" speed="13.89" length="5.00" shape="98.00,0.00 102.00,0.00"/>
    </edge>
    <edge id="E0" from="J0" to="J1" priority="2" type="highway.primary" name="Main Street">
        <lane id="E0_0" index="0" speed="13.89" length="100.00" shape="0.00,-4.80 100.00,-4.80"/>
        <lane id="E0_1" index="1" speed="13.89" length="100.00" shape="0.00,-1.60 100.00,-1.60"/>
    </edge>
    <edge id="E1" from="J1" to="J2" priority="1" shape="100.00,0.00 150.00,20.00 200.00,0.00">
        <lane id="E1_0" index="0" speed="8.33" length="110.00" shape="100.00,-1.60 150.00,18.40 200.00,-1.60"/>
    </edge>
    <edge id="F0" from="J1" to="J0" priority="1">
        <lane id="F0_0" index="0" allow="pedestrian" speed="2.00" length="100.00" shape="100.00,1.60 0.00,1.60"/>
    </edge>
    <junction id="J0" type="dead_end" x="0.00" y="0.00" incLanes="F0_0" intLanes="" shape="0.00,0.00"/>
    <junction id="J1" type="traffic_light" x="100.00" y="0.00" incLanes="E0_0 E0_1" intLanes=":J1_0_0"
              shape="100.00,0.00"/>
    <junction id="J2" type="dead_end" x="200.00" y="0.00" incLanes="E1_0" intLanes="" shape="200.00,0.00"/>
    <junction id=":J1_0_0" type="internal" x="100.00" y="0.00" incLanes="" intLanes=""/>
</net>
"""


def sumo_net(folder: Path) -> Path:
    """Three junctions 100 m apart on a line, two road edges and a footpath, with no projection ('!')."""
    path = folder / "line.net.xml"
    path.write_text(SUMO_NET, encoding="utf-8")
    return path


def jeju_nodelink(folder: Path) -> Path:
    """A three-link extract: two links inside Jeju-si's centre, one leading out of it, one bad lane count;
    free-flow speeds beside it for one link."""
    roads = folder / "road-network"
    roads.mkdir()
    (roads / "Jeju_nodes.csv").write_text(
        ",Id,NODE_TYPE,NODE_NAME,TURN_P,UPDATEDATE,REMARK,HIST_TYPE,HISTREMARK,latitude,longitude\n"
        "0,N1,101,Gwandeokjeong,0,20230519,,,,33.5130,126.5220\n"
        "1,N2,101,,0,20230519,,,,33.5100,126.5300\n"
        "2,N3,103,Shinjeju,1,20230519,,,,33.4890,126.4900\n"
        "3,N4,101,Seogwipo,0,20230519,,,,33.2500,126.5600\n",
        encoding="utf-8",
    )
    columns = (
        ",LINK_ID,Source,Target,LANES,ROAD_RANK,ROAD_TYPE,ROAD_NO,ROAD_NAME,ROAD_USE,MULTI_LINK,CONNECT,MAX_SPD,"
        "REST_VEH,REST_W,REST_H,C-ITS,LENGTH,UPDATEDATE,REMARK,HIST_TYPE,HISTREMARK\n"
    )
    (roads / "Jeju_links.csv").write_text(
        columns
        + "0,K1,N1,N2,2,103,000,1132,Jungang-ro,0,0,0,60,0,0,0,0,830.5,20230519,,,\n"
        + "1,K2,N2,N3,3,106,000,-,-,0,0,0,0,0,0,0,0,3900.25,20230519,,,\n"
        + "2,K3,N3,N4,2,101,000,1139,1100-ro,0,0,0,80,0,0,0,0,27000,20230519,,,\n"
        + "3,K4,N2,N1,x,103,000,1132,Jungang-ro,0,0,0,60,0,0,0,0,830.5,20230519,,,\n",
        encoding="utf-8",
    )
    freeflow = folder / "freeflow-speed"
    freeflow.mkdir()
    (freeflow / "road-baseline.json").write_text(json.dumps({"K1": 47, "K3": 70}), encoding="utf-8")
    return roads


def sensor_dataset(folder: Path, *, name: str = "tiny") -> Path:
    """A week of 6-hourly speeds (mph) for sensors a, b and c from Monday 2026-03-02 00:00 in Seoul; the value
    of sensor a is its row number, b is 10 mph, c is missing in every odd row."""
    data = folder / name
    data.mkdir()
    rows = ["a,b,c", *(f"{index},10,{'' if index % 2 else '20'}" for index in range(28))]
    (data / "speed.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (data / "places.csv").write_text("sid,lat,lon\na,33.50,126.52\nb,33.51,126.53\n", encoding="utf-8")
    meta = {
        "name": name,
        "quantity": "speed",
        "unit": "mph",
        "interval_minutes": 360,
        "start": "2026-03-02T00:00:00",
        "timezone": "Asia/Seoul",
        "readings": {"file": "speed.csv"},
        "locations": {"file": "places.csv", "id_column": "sid", "lat_column": "lat", "lon_column": "lon"},
    }
    (data / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return data
