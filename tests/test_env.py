"""One environment policy: nothing is set at import time; the CLI is offline unless
ICTRAG_HUB=1; model loaders ask the hub only when allowed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ictrag.cli.env import apply_policy
from ictrag.config import hub_allowed, local_only

ROOT = Path(__file__).resolve().parents[1]

IMPORT_ALL = """
import importlib, json, os, pkgutil
# Third-party packages that set variables of their own (cv2: LD_LIBRARY_PATH, ray:
# RAY_CLIENT_MODE) are imported first: only ictrag's modules are under test.
for name in ("cv2", "ray", "torch", "transformers", "sentence_transformers"):
    try:
        importlib.import_module(name)
    except ImportError:
        pass
before = dict(os.environ)
import ictrag
for info in pkgutil.walk_packages(ictrag.__path__, "ictrag."):
    if info.name.endswith("__main__"):
        continue
    try:
        importlib.import_module(info.name)
    except ImportError:  # an optional extra that is not installed
        pass
changed = {k: v for k, v in os.environ.items() if before.get(k) != v}
changed.update({k: None for k in before if k not in os.environ})
print(json.dumps(changed))
"""


def _clean_env() -> dict[str, str]:
    drop = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "ICTRAG_HUB", "DO_NOT_TRACK",
            "SCARF_NO_ANALYTICS", "OMP_WAIT_POLICY", "UNSTRUCTURED_DISABLE_NOTICE")  # fmt: skip
    return {k: v for k, v in os.environ.items() if k not in drop}


def test_no_module_sets_environment_variables_at_import_time():
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL], cwd=ROOT, env=_clean_env(),
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {}


def test_policy_is_offline_and_quiet_by_default():
    env: dict[str, str] = {}
    apply_policy(env)
    assert env["HF_HUB_OFFLINE"] == "1" and env["TRANSFORMERS_OFFLINE"] == "1"
    assert env["DO_NOT_TRACK"] == "1" and env["OMP_WAIT_POLICY"] == "PASSIVE"


def test_ictrag_hub_lets_hub_ids_load():
    env = {"ICTRAG_HUB": "1"}
    apply_policy(env)
    assert "HF_HUB_OFFLINE" not in env and "TRANSFORMERS_OFFLINE" not in env
    assert hub_allowed(env) and not hub_allowed({})


def test_policy_keeps_what_the_user_set():
    env = {"OMP_WAIT_POLICY": "ACTIVE", "HF_HUB_OFFLINE": "0"}
    apply_policy(env)
    assert env["OMP_WAIT_POLICY"] == "ACTIVE" and env["HF_HUB_OFFLINE"] == "0"


def test_local_only_follows_the_policy(tmp_path, monkeypatch):
    monkeypatch.delenv("ICTRAG_HUB", raising=False)
    assert local_only("Qwen/Qwen2.5-VL-3B-Instruct")
    assert local_only(str(tmp_path))  # a directory never reaches a hub
    monkeypatch.setenv("ICTRAG_HUB", "1")
    assert not local_only("Qwen/Qwen2.5-VL-3B-Instruct")
    assert local_only(str(tmp_path))


def test_a_hub_id_fails_fast_and_clearly_when_the_hub_is_off(monkeypatch):
    from ictrag.config import EmbedSettings
    from ictrag.index.embed import DenseEmbedder, EmbedError

    monkeypatch.delenv("ICTRAG_HUB", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)  # only ictrag's own decision counts
    embedder = DenseEmbedder(EmbedSettings(model="sentence-transformers/no-such-model-here"))
    with pytest.raises(EmbedError, match="no-such-model-here"):
        _ = embedder.dim
