"""The one environment policy of the `ictrag` command, applied when a command starts.

No module sets environment variables when it is imported; library users keep theirs. Model
loaders decide hub access themselves (`ictrag.config.local_only`), so the policy below is
only what third-party code reads from the environment.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

from ictrag.config import hub_allowed

QUIET = {
    # ictrag is offline by design: no telemetry from unstructured and its dependencies.
    "DO_NOT_TRACK": "1",
    "SCARF_NO_ANALYTICS": "true",
    # OpenMP threads that spin between torch ops steal the cores the loader processes work
    # on (measured: 67 s -> 60 s for the 366-page corpus on 2 cores). Before torch loads.
    "OMP_WAIT_POLICY": "PASSIVE",
}
OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def apply_policy(environ: MutableMapping[str, str] = os.environ) -> None:
    """Quiet, and offline unless ICTRAG_HUB=1; values the user set are kept."""
    for name, value in QUIET.items():
        environ.setdefault(name, value)
    if not hub_allowed(environ):
        for name, value in OFFLINE.items():
            environ.setdefault(name, value)
