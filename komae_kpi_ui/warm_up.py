"""Once per server process: load what the pages draw with, then set it aside from the garbage
collector.

Streamlit runs a full garbage collection after every script run (runner.postScriptGC), and the
message that ends the run reaches the browser only after it: the collection holds the GIL that the
server's event loop needs to send it. With plotly, pandas and duckdb loaded, a full collection
walks about 140,000 long-lived objects (modules, classes, plotly's validators): 90-220 ms on the
bench machine, against under 10 ms for the framework's bare floor page, on every page load.
gc.freeze() moves every object that exists after the imports into the permanent generation, which
collections skip; what a run creates is still collected as before, so memory does not build up.
"""

from __future__ import annotations

import gc
import importlib
import pkgutil
import threading

# The packages the pages draw with; every module in them (and so plotly, pandas, duckdb, openpyxl,
# python-pptx, jinja2 through them) is loaded before freezing, so that a first visit to any page
# does not leave its modules to be walked by every later collection. About 1.5 s, once.
PACKAGES = (
    "komae_kpi.views",
    "komae_kpi.judgement",
    "komae_kpi.imports",
    "komae_kpi.outputs",
)
_lock = threading.Lock()
_done = False


def once() -> None:
    """Import every module of PACKAGES and freeze what exists; later calls do nothing."""
    global _done
    if _done:
        return
    with _lock:
        if _done:
            return
        for name in PACKAGES:
            package = importlib.import_module(name)
            for module in pkgutil.walk_packages(package.__path__, f"{name}."):
                importlib.import_module(module.name)
        gc.collect()  # what is garbage already goes now, not into the permanent generation
        gc.freeze()
        _done = True


def frozen() -> bool:
    return _done
