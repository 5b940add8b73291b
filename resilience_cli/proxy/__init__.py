"""A fault-injecting reverse proxy, in front of any HTTP service (toxiproxy's toxics, per request).

`faults.py` holds the value (`FaultProfile`) and the pure decision of one request's fate;
`server.py` the proxy on asyncio streams; `control.py` the loopback endpoint that changes
the faults at run time; `transport.py` the same faults in-process, for virtual time.
"""

from resilience_cli.proxy.faults import (
    HEALTHY,
    Action,
    Fate,
    FaultProfile,
    FaultSwitch,
    decide,
    profile_from,
)
from resilience_cli.proxy.server import FaultProxy

__all__ = [
    "HEALTHY",
    "Action",
    "Fate",
    "FaultProfile",
    "FaultProxy",
    "FaultSwitch",
    "decide",
    "profile_from",
]
