"""City builders: SUMO scenarios made offline with SUMO's own tools, each returning its ``.sumocfg``.

``generated`` (a synthetic signalised city, the embedded default), ``jeju`` and ``osm`` (real networks).
"""
