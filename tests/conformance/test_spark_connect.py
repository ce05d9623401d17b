"""The conformance suite through Spark Connect: a smaller pass whose remote path is real.

``SparkSession.builder.remote("local[2]")`` starts a Spark Connect server in a JVM of its own
and talks to it over gRPC, as a client talks to a cluster's server. A classic session and a
Connect server do not share one Python process (the local server is started on the process's
classic context), so the pass runs in a child pytest: the Spark cases of the conformance
module and the regression cases, with ``$DATALIFE_SPARK_REMOTE=local[2]`` and two hypothesis
examples per format; tests/conformance/conftest.py checks that the engine's session there is a
Connect one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from datalife.engines import unavailable
from tests.conftest import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.spark


@pytest.mark.timeout(1200)
def test_conformance_through_spark_connect() -> None:
    reason = unavailable("spark")
    if reason:
        skip_or_fail(f"Spark cannot run here: {reason}")
    env = {k: v for k, v in os.environ.items() if k != "DATALIFE_SPARK_MASTER"}
    env["DATALIFE_SPARK_REMOTE"] = "local[2]"
    env["DATALIFE_SPARK_TEST_EXAMPLES"] = "2"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--timeout=1200",
            "-k",
            "spark",
            "tests/conformance/test_engines.py",
            "tests/conformance/test_regressions.py",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=1500,
        check=False,
    )
    lines = (out.stdout + out.stderr).splitlines()
    # what failed (hypothesis' falsifying example, the assertion, the first error line), then
    # the summary: Spark's Java stack traces would push them out of a plain tail
    found = [
        line
        for line in lines
        if line.startswith(("E ", "Falsifying", "FAILED", "ERROR")) and "\tat " not in line
    ]
    tail = "\n".join([*found[:60], *lines[-5:]])
    assert out.returncode == 0, tail
    assert " passed" in out.stdout and "skipped" not in out.stdout.splitlines()[-1], tail
