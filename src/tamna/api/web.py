"""The landing page at ``/``: the platform's live figures and where to go next (the map dashboard comes with
the operations-center work)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import HTMLResponse

from tamna.api.deps import PUBLIC

router = APIRouter(include_in_schema=False)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tamna</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;margin:2rem;background:#0f172a;color:#e2e8f0}
h1{margin:0 0 .2rem}a{color:#7dd3fc}.kpis{display:flex;gap:1rem;flex-wrap:wrap;margin:1.5rem 0}
.kpi{background:#1e293b;padding:1rem 1.4rem;border-radius:.6rem;min-width:11rem}
.kpi b{display:block;font-size:2rem}small{color:#94a3b8}
</style></head><body>
<h1>Tamna</h1><small>city data hub &middot; live figures refresh every 5 s</small>
<div class="kpis">
<div class="kpi"><b id="links">–</b>links in the network</div>
<div class="kpi"><b id="sensors">–</b>sensors reporting</div>
<div class="kpi"><b id="speed">–</b>mean sensor speed (km/h)</div>
<div class="kpi"><b id="latest">–</b>latest reading (UTC)</div>
<div class="kpi"><b id="stored">–</b>observations stored since start</div>
</div>
<p><a href="/docs">API documentation</a> &middot; <a href="/api/v1/network">network GeoJSON</a> &middot;
<a href="/api/v1/state/sensors">live sensor state</a> &middot; <a href="/metrics">metrics</a></p>
<script>
async function refresh(){
  const [net, states, metrics] = await Promise.all([
    fetch('/api/v1/network').then(r=>r.json()), fetch('/api/v1/state/sensors?max_age_s=900').then(r=>r.json()),
    fetch('/metrics').then(r=>r.text())]);
  document.getElementById('links').textContent = net.features.length.toLocaleString();
  document.getElementById('sensors').textContent = states.length.toLocaleString();
  const speeds = states.map(s=>s.speed_kmh).filter(v=>v!==null);
  const mean = speeds.reduce((a,b)=>a+b,0)/speeds.length;
  document.getElementById('speed').textContent = speeds.length ? mean.toFixed(1) : '–';
  const latest = states.map(s=>s.time).sort().pop();
  document.getElementById('latest').textContent = latest ? latest.slice(11,19) : '–';
  const counts = [...metrics.matchAll(/^tamna_ingest_stored_total\\{[^}]*\\} (\\d+)/gm)];
  const stored = counts.reduce((a,m)=>a+Number(m[1]),0);
  document.getElementById('stored').textContent = stored.toLocaleString();
}
refresh(); setInterval(refresh, 5000);
</script></body></html>"""


@router.get("/", response_class=HTMLResponse, openapi_extra=PUBLIC)
def index() -> HTMLResponse:
    """The landing page."""
    return HTMLResponse(PAGE)
