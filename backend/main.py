"""ASGI entry point: `uvicorn backend.main:app`.

The process's composition root: it reads the settings and plugs in what they ask for around the
app — record and replay of the model's traffic — so that nothing below knows of those tools.
"""

from backend.app import create_app
from backend.settings import Settings
from replay.wiring import wire

wiring = wire(Settings())
app = create_app(wiring.settings, llm_transport=wiring.transport, observers=wiring.observers)
