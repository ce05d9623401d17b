"""``import datalife``: the public API is ``__all__``, every name in it resolves, and the
functions keep working once their subpackages are imported."""

from __future__ import annotations

import importlib
import subprocess
import sys
import types

import pandas as pd

import datalife


def test_dir_is_the_public_api() -> None:
    assert dir(datalife) == sorted(datalife.__all__)
    for leaked in ("Any", "annotations", "importlib", "typing", "TYPE_CHECKING"):
        assert leaked not in dir(datalife)


def test_every_public_name_resolves_in_a_fresh_interpreter() -> None:
    code = "import datalife\nfor n in datalife.__all__: getattr(datalife, n)\nprint('ok')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"


def test_profile_and_detect_drift_survive_their_subpackages() -> None:
    importlib.import_module("datalife.stats")
    importlib.import_module("datalife.drift")
    stats_module = datalife.stats
    assert isinstance(stats_module, types.ModuleType)
    assert not callable(stats_module)  # modules are modules, not functions in disguise
    frame = pd.DataFrame({"c": ["a"] * 50 + ["b"] * 50})
    assert datalife.profile(frame)["c"].distinct == 2
    report = datalife.detect_drift(frame, pd.DataFrame({"c": ["a"] * 90 + ["b"] * 10}))
    assert report.drifted
