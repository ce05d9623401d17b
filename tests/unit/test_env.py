"""Process settings: pandera's probe of pyspark.pandas is refused, other imports are not."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

HAS_PYSPARK = importlib.util.find_spec("pyspark") is not None


@pytest.mark.skipif(not HAS_PYSPARK, reason="pyspark is not installed (datalife[spark])")
def test_pandera_does_not_import_pyspark_through_datalife() -> None:
    code = (
        "import sys, datalife, pandera.pandas\n"
        "assert 'pyspark' not in sys.modules, sorted(m for m in sys.modules if 'spark' in m)\n"
        "import pyspark.sql\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "FutureWarning" not in out.stderr


@pytest.mark.skipif(not HAS_PYSPARK, reason="pyspark is not installed (datalife[spark])")
def test_the_probe_can_be_kept() -> None:
    code = "import sys, datalife, pandera.pandas\nprint('pyspark' in sys.modules)\n"
    env = {"DATALIFE_PANDERA_PYSPARK": "1", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout.strip() == "True", out.stderr
