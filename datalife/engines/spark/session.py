"""Where the Spark engine runs: the session, from ``[engine.spark]`` and the environment.

``datalife.toml``::

    [engine.spark]
    master = "local[*]"            # classic Spark: local[N], spark://host:7077, yarn, k8s://...
    # remote = "sc://host:15002"   # or a Spark Connect server (not both)
    conf = { "spark.executor.memory" = "4g" }   # passed to the session as it is

``$DATALIFE_SPARK_MASTER`` or ``$DATALIFE_SPARK_REMOTE`` override the file (setting both is an
error). With neither, the engine runs on ``local[*]``. A session is made once per process and
place, and reused: starting a JVM costs seconds. A Spark DataFrame brings its own session.

What can go wrong before any data is read is a :class:`~datalife.errors.ConfigError` (exit 2)
that says what to install or fix: pyspark missing, Java missing or older than 17 (classic
Spark and a local Connect server run a JVM here), a Connect server that does not answer within
:data:`CONNECT_TIMEOUT` seconds.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datalife.errors import ConfigError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = [
    "ENV_MASTER",
    "ENV_REMOTE",
    "Placement",
    "get_session",
    "java_problem",
    "placement",
    "pyspark_problem",
]

ENV_MASTER = "DATALIFE_SPARK_MASTER"
ENV_REMOTE = "DATALIFE_SPARK_REMOTE"
ENV_CONNECT_TIMEOUT = "DATALIFE_SPARK_CONNECT_TIMEOUT"
#: seconds a Spark Connect server has to answer before the engine gives up (exit 2)
CONNECT_TIMEOUT = 15.0
MIN_JAVA = 17
INSTALL = "pip install 'datalife[spark]'"

# the defaults of a session the engine starts (the user's conf wins): no progress bars on
# stderr (they would interleave with the CLI's output), and the session's time zone UTC
_DEFAULT_CONF: dict[str, str] = {
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
}


@dataclass(frozen=True)
class Placement:
    """Where a session runs: a classic ``master`` or a Connect ``remote``, and its conf."""

    master: str | None = None
    remote: str | None = None
    conf: tuple[tuple[str, str], ...] = field(default=())

    @property
    def where(self) -> str:
        return f"remote {self.remote}" if self.remote else f"master {self.master}"

    @property
    def needs_java(self) -> bool:
        """A classic session, and a Connect server started here (``remote = "local[N]"``),
        run a JVM on this machine; a remote server does not."""
        return self.remote is None or not self.remote.startswith("sc://")


def placement(start: str | Path | None = None) -> Placement:
    """The placement ``[engine.spark]`` of the workspace at ``start`` (default: the current
    folder) and the environment give; ``local[*]`` when neither says."""
    from datalife.config import Workspace

    master: str | None = None
    remote: str | None = None
    conf: dict[str, Any] = {}
    found = Workspace.locate(start)
    if found is not None:
        cfg = Workspace.load(found).config.engine.spark
        master, remote, conf = cfg.master, cfg.remote, dict(cfg.conf)
    env_master = os.environ.get(ENV_MASTER, "").strip()
    env_remote = os.environ.get(ENV_REMOTE, "").strip()
    if env_master and env_remote:
        raise ConfigError(
            f"both ${ENV_MASTER} and ${ENV_REMOTE} are set",
            hint=f"unset one: ${ENV_MASTER} for classic Spark, ${ENV_REMOTE} for Spark Connect.",
        )
    if env_master:
        master, remote = env_master, None
    elif env_remote:
        master, remote = None, env_remote
    if not master and not remote:
        master = "local[*]"
    shown = tuple(sorted((str(k), _conf_text(v)) for k, v in conf.items()))
    return Placement(master or None, remote or None, shown)


def _conf_text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


# -- what must be installed ----------------------------------------------------------------


def pyspark_problem() -> str | None:
    """Why pyspark cannot be used here (None: it can)."""
    import importlib.util

    if importlib.util.find_spec("pyspark") is None:
        return f"pyspark is not installed: {INSTALL}"
    return None


_JAVA_VERSION = re.compile(r'version "(\d+)(?:\.(\d+))?')


def java_problem() -> str | None:
    """Why no suitable Java runs here (None: Java 17 or newer was found), looked up as Spark
    looks it up: ``$JAVA_HOME/bin/java``, else ``java`` on the PATH."""
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    fix = (
        f"install Java {MIN_JAVA} or newer (Debian/Ubuntu: `apt-get install "
        f"openjdk-{MIN_JAVA}-jre-headless`; or a JDK from https://adoptium.net) and put it on "
        "the PATH or in $JAVA_HOME; or run on a Spark Connect server (remote = "
        '"sc://host:15002" in [engine.spark])'
    )
    if not java or not Path(java).exists():
        where = f"$JAVA_HOME/bin/java ({java})" if home else "java on the PATH"
        return f"Spark needs Java, and {where} was not found: {fix}"
    try:
        out = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"Spark needs Java, and {java} -version failed ({exc}): {fix}"
    m = _JAVA_VERSION.search(out.stderr + out.stdout)
    if m is None:
        return f"Spark needs Java, and {java} -version did not say its version: {fix}"
    major = int(m.group(1))
    if major == 1 and m.group(2):  # 1.8 is Java 8
        major = int(m.group(2))
    if major < MIN_JAVA:
        return f"Spark 4 needs Java {MIN_JAVA} or newer; {java} is Java {major}: {fix}"
    return None


def _connect_timeout() -> float:
    raw = os.environ.get(ENV_CONNECT_TIMEOUT, "")
    try:
        return float(raw) if raw else CONNECT_TIMEOUT
    except ValueError:
        return CONNECT_TIMEOUT


def _check_reachable(remote: str, timeout: float) -> None:
    """A Spark Connect URL's server accepts connections within ``timeout`` seconds (the
    client itself retries for minutes)."""
    m = re.match(r"^sc://([^:/;]+|\[[^\]]+\])(?::(\d+))?", remote)
    if m is None:
        raise ConfigError(
            f"{remote!r} is not a Spark Connect URL",
            hint="write it as sc://host:15002 (remote in [engine.spark], or $DATALIFE_SPARK_REMOTE).",
        )
    host = m.group(1).strip("[]")
    port = int(m.group(2) or 15002)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        raise ConfigError(
            f"the Spark Connect server {remote} did not answer within {timeout:g} s: {exc}",
            hint="start the server (`$SPARK_HOME/sbin/start-connect-server.sh`), check the "
            f"host and port, or raise ${ENV_CONNECT_TIMEOUT} (seconds).",
        ) from None


# -- sessions ------------------------------------------------------------------------------

_SESSIONS: dict[Placement, SparkSession] = {}
_LOCK = threading.Lock()


def get_session(where: Placement) -> SparkSession:
    """The session at ``where``: made on first use, then reused by this process."""
    with _LOCK:
        cached = _SESSIONS.get(where)
        if cached is not None and _alive(cached):
            return cached
        problem = pyspark_problem() or (java_problem() if where.needs_java else None)
        if problem is not None:
            raise ConfigError(f"cannot start Spark: {problem}", hint=_hint(problem))
        session = _start(where)
        _SESSIONS[where] = session
        return session


def _hint(problem: str) -> str:
    return INSTALL if problem.startswith("pyspark") else problem.rsplit(": ", 1)[-1]


def _alive(session: SparkSession) -> bool:
    """A classic session whose context was stopped cannot run jobs; make a new one."""
    ctx = getattr(session, "_sc", None)
    return ctx is None or getattr(ctx, "_jsc", None) is not None


def _start(where: Placement) -> SparkSession:
    import warnings

    from pyspark.sql import SparkSession

    builder: Any = SparkSession.builder.appName("datalife")
    if where.remote is not None:
        if where.remote.startswith("sc://"):
            _check_reachable(where.remote, _connect_timeout())
        builder = builder.remote(where.remote)
    else:
        builder = builder.master(where.master or "local[*]")
    conf = dict(_DEFAULT_CONF)
    if where.remote is None and (where.master or "").startswith("local"):
        # one machine: as many shuffle partitions as cores, not the cluster default of 200
        # (adaptive execution coalesces them on a cluster; here they are all overhead)
        m = re.match(r"local\[(\d+)", where.master or "")
        conf["spark.sql.shuffle.partitions"] = m.group(1) if m else str(os.cpu_count() or 2)
    conf.update(dict(where.conf))
    for key, value in conf.items():
        builder = builder.config(key, value)
    with warnings.catch_warnings():
        # pyspark 4.x warns that it does not yet fully support pandas 3; the engine hands it
        # Arrow tables and reads rows back, never through pandas-on-Spark
        warnings.simplefilter("ignore", FutureWarning)
        try:
            session: SparkSession = builder.getOrCreate()
        except Exception as exc:  # noqa: BLE001 - the JVM or the server: any failure is shown
            raise ConfigError(
                f"cannot start a Spark session ({where.where}): {_first_line(exc)}",
                hint="check [engine.spark] in datalife.toml (master, remote, conf) and that "
                "Spark can start here (Java 17+, free memory).",
            ) from None
    if where.remote is None:
        session.sparkContext.setLogLevel("ERROR")
    return session


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
