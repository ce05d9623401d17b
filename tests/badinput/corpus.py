"""The bad-input corpus: files, configs, schemas, lineage logs and option values a user can get
wrong, each with the commands it is tried against and what they must answer.

A :class:`Case` writes its bad input into a copy of a small valid workspace, runs one command
in-process and states the exit code the documentation promises (1: data fails its checks;
2: usage, config or unreadable input; 0: the command copes, e.g. a damaged lineage line is
reported and skipped) and the name the message must mention.

Cases that still end in an internal error inside the validation engines (being rewritten,
not touched here) carry ``engine_issue``: they are expected to fail (``xfail(strict=True)``),
so they flip to passing, and must be unmarked, when the engines are fixed.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

Writer = Callable[[Path], None]


@dataclass(frozen=True)
class Case:
    id: str
    argv: tuple[str, ...]
    exit: int | tuple[int, ...]
    mention: str | None = None  # a name the output must contain (stderr + stdout)
    setup: Writer | None = None
    engine_issue: str | None = None
    json_out: bool = False
    unchanged: bool = True  # nothing but lineage lines may change on failure
    extra: tuple[str, ...] = field(default_factory=tuple)  # more text the output must hold


def _write(rel: str, data: bytes | str) -> Writer:
    def write(root: Path) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)

    return write


def _both(*writers: Writer) -> Writer:
    def write(root: Path) -> None:
        for w in writers:
            w(root)

    return write


# -- bad data files -----------------------------------------------------------------------------

GOOD_CSV = "id,x,y,cls\n1,1.5,2,p\n2,3.0,1,q\n"
PARQUET_MAGIC = b"PAR1"

BAD_FILES: dict[str, bytes | str] = {
    "empty.csv": b"",
    "header_only.csv": "id,x,y,cls\n",
    "binary.csv": bytes(range(256)) * 8,
    "latin1.csv": "id,x,y,cls\n1,1.5,2,caf\xe9\n".encode("latin-1"),
    "ragged.csv": "id,x,y,cls\n1,1.5,2,p,extra,more\n2,3\n",
    "nul.csv": "id,x,y,cls\n1,1.5,2,p\x00q\n",
    "text_in_number.csv": "id,x,y,cls\n1,abc,2,p\n",
    "only_newlines.csv": "\n\n\n",
    "truncated.parquet": PARQUET_MAGIC + b"\x00" * 40,
    "csv_named.parquet": GOOD_CSV,
    "gzip_named.csv": gzip.compress(GOOD_CSV.encode()),
    "bad.jsonl": '{"id": 1, "x": 1.5, "y": 2, "cls": "p"}\n{"id": 2, "x": \n',
    "nested.jsonl": "[" * 5000 + "]" * 5000 + "\n",
    "not_object.jsonl": "[1, 2, 3]\n",
}

_READABLE = {"header_only.csv", "nul.csv", "text_in_number.csv", "latin1.csv", "ragged.csv"}

# the files whose reading goes through datalife.reading / the engines (the lead's rewrite)
ENGINE = "reading/engines rewrite (issue 17 bad-input list)"


# internal errors or unnamed files left in the validation engines and readers (not changed
# here: being rewritten); each is expected to fail until fixed there
_ENGINE_CASES: dict[str, str] = {}


def _data_cases() -> list[Case]:
    cases = []
    for name, data in BAD_FILES.items():
        rel = f"bad/{name}"
        setup = _write(rel, data)
        # readable, if odd: a header alone is 0 rows; a NUL byte is a character of a value
        readable = name in _READABLE
        fail: tuple[int, ...] = (0, 1, 2) if readable else (2,)
        cases += [
            Case(f"validate-{name}", ("validate", rel, "--schema", "raw"), (*fail, 1), name, setup),
            Case(f"stats-{name}", ("stats", rel), fail, name, setup),
            Case(f"split-{name}", ("split", rel, "--out", "sp"), (*fail, 1), name, setup),
            Case(
                f"infer-{name}",
                ("schema", "infer", rel, "--name", "fresh", "--dry-run"),
                fail,
                name,
                setup,
            ),
        ]
    cases = [
        Case(c.id, c.argv, c.exit, c.mention, c.setup, engine_issue=_ENGINE_CASES.get(c.id))
        for c in cases
    ]
    missing = "bad/missing.csv"
    cases += [
        Case("validate-missing", ("validate", missing, "--schema", "raw"), 2, "missing.csv"),
        Case("stats-missing", ("stats", missing), 2, "missing.csv"),
        Case("split-missing", ("split", missing, "--out", "sp"), 2, "missing.csv"),
        Case(
            "infer-missing",
            ("schema", "infer", missing, "--name", "z", "--dry-run"),
            2,
            "missing.csv",
        ),
        Case(
            "validate-directory-empty",
            ("validate", "emptydir", "--schema", "raw"),
            2,
            "emptydir",
            _mkdir("emptydir"),
        ),
        Case("split-out-is-a-file", ("split", "data/a.csv", "--out", "data/b.csv"), 2, "b.csv"),
        Case(
            "split-out-outside",
            ("split", "data/a.csv", "--out", "../outside"),
            2,
            "outside",
            unchanged=True,
        ),
    ]
    return cases


def _mkdir(rel: str) -> Writer:
    def make(root: Path) -> None:
        (root / rel).mkdir(parents=True, exist_ok=True)

    return make


# -- bad configs -------------------------------------------------------------------------------

BASE_CONFIG = """\
format_version = 1

[datasets.raw]
files = ["data/*.csv"]
schema = "raw"

[pipeline]
dataset = "raw"
output = "out"

[[pipeline.steps]]
transform = "zscore"
params = { columns = ["x"] }

[pipeline.split]
ratios = [0.6, 0.2, 0.2]
seed = 7
"""

BAD_CONFIGS: dict[str, str] = {
    "not_toml": "format_version = \n[datasets\n",
    "unknown_key": BASE_CONFIG.replace('schema = "raw"', 'shema = "raw"'),
    "wrong_type": BASE_CONFIG.replace('files = ["data/*.csv"]', 'files = "data/*.csv"'),
    "dotdot_glob": BASE_CONFIG.replace("data/*.csv", "../*.csv"),
    "absolute_glob": BASE_CONFIG.replace("data/*.csv", "/etc/*.conf"),
    "empty_glob": BASE_CONFIG.replace('"data/*.csv"', '" "'),
    "unknown_pipeline_dataset": BASE_CONFIG.replace('dataset = "raw"', 'dataset = "nope"'),
    "absolute_output": BASE_CONFIG.replace('output = "out"', 'output = "/tmp/out"'),
    "dotdot_output": BASE_CONFIG.replace('output = "out"', 'output = "../out"'),
    "newer_format": BASE_CONFIG.replace("format_version = 1", "format_version = 99"),
    "bad_compatibility": BASE_CONFIG.replace(
        "format_version = 1", 'format_version = 1\ncompatibility = "SOMETIMES"'
    ),
    "unknown_transform": BASE_CONFIG.replace('transform = "zscore"', 'transform = "zscorr"'),
    "bad_ratios": BASE_CONFIG.replace("ratios = [0.6, 0.2, 0.2]", "ratios = [0.6, 0.6, 0.2]"),
    "bad_step_params": BASE_CONFIG.replace(
        'params = { columns = ["x"] }', "params = { colums = 3 }"
    ),
    "binary": "\x00\x01\x02 not toml",
    "deep_toml": "x = " + "[" * 2000 + "]" * 2000 + "\n",
    "bad_check_module": BASE_CONFIG.replace(
        "format_version = 1", 'format_version = 1\ncheck_modules = ["no_such_module_xyz"]'
    ),
}

CONFIG_COMMANDS: dict[str, tuple[str, ...]] = {
    "validate": ("validate", "data/a.csv"),
    "run": ("run",),
    "dataset-list": ("dataset", "list"),
    "check": ("check", "--base", "HEAD"),
    "schema-list": ("schema", "list"),
}

# configs some commands never read (they only need what they use): exit 0 there
_CONFIG_OK: set[tuple[str, str]] = {
    ("unknown_pipeline_dataset", "x"),
}
# errors only the pipeline meets (a step or the split): other commands succeed
_PIPELINE_ONLY = {
    "bad_check_module",
    "unknown_transform",
    "bad_ratios",
    "bad_step_params",
    "absolute_output",
    "dotdot_output",
    "unknown_pipeline_dataset",
}


def _config_cases() -> list[Case]:
    cases = []
    for cname, text in BAD_CONFIGS.items():
        for command, argv in CONFIG_COMMANDS.items():
            expect: int | tuple[int, ...] = 2
            if cname in _PIPELINE_ONLY and command != "run":
                if cname == "bad_check_module" and command in (
                    "validate",
                    "run",
                    "check",
                    "schema-list",
                ):
                    expect = 2  # the checks are imported when a schema is used
                elif cname in ("absolute_output", "dotdot_output", "unknown_pipeline_dataset"):
                    expect = 2  # the config model refuses these for every command
                else:
                    expect = (0, 1)  # not used by this command
            cases.append(
                Case(
                    f"config-{cname}-{command}",
                    argv,
                    expect,
                    "datalife.toml" if expect == 2 else None,
                    _write("datalife.toml", text),
                )
            )
    return cases


# -- bad schemas -------------------------------------------------------------------------------

BAD_SCHEMAS: dict[str, str | bytes] = {
    "not_yaml": "name: raw\nversion: 1\nschema: [unclosed\n",
    "python_tag": "name: raw\nversion: 1\nschema: !!python/object/apply:os.system ['echo pwned']\n",
    "wrong_name": None,  # type: ignore[dict-item]  # filled from the real file below
    "empty": "",
    "binary": bytes(range(256)),
    "yaml_bomb": "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
    "deep_yaml": "a: " + "[" * 3000 + "]" * 3000 + "\n",
    "list_not_mapping": "- 1\n- 2\n",
    "bad_dtype": None,  # type: ignore[dict-item]
    "unknown_check": None,  # type: ignore[dict-item]
    "edited_release": None,  # type: ignore[dict-item]
}

SCHEMA_COMMANDS: dict[str, tuple[str, ...]] = {
    "validate": ("validate", "data/a.csv"),
    "run": ("run",),
    "check": ("check", "--base", "HEAD", "--no-data"),
    "show": ("schema", "show", "raw@1"),
}


def _edit_schema(edit: Callable[[str], str]) -> Writer:
    def write(root: Path) -> None:
        path = root / "schemas" / "raw" / "1.yaml"
        path.write_text(edit(path.read_text()))

    return write


def _schema_cases() -> list[Case]:
    cases = []
    writers: dict[str, Writer] = {}
    for sname, text in BAD_SCHEMAS.items():
        if text is not None:
            writers[sname] = _write("schemas/raw/1.yaml", text)
    writers["wrong_name"] = _edit_schema(lambda t: t.replace("name: raw", "name: other"))
    writers["bad_dtype"] = _edit_schema(lambda t: t.replace("dtype: int64", "dtype: integerish", 1))
    writers["unknown_check"] = _edit_schema(
        lambda t: t.replace("greater_than_or_equal_to: 0", "no_such_check: 0", 1)
    )
    writers["edited_release"] = _edit_schema(
        lambda t: t.replace("greater_than_or_equal_to: 0", "greater_than_or_equal_to: 5", 1)
    )
    for sname, writer in writers.items():
        for command, argv in SCHEMA_COMMANDS.items():
            # `check` reports a broken schema file as a problem: exit 2 (cannot be checked),
            # an edited release as a failed check: exit 1
            expect: int | tuple[int, ...] = 2
            if command == "check":
                expect = (1, 2)
            cases.append(Case(f"schema-{sname}-{command}", argv, expect, "1.yaml", writer))
    return cases


# -- bad lineage logs --------------------------------------------------------------------------

GOOD_EVENT = {
    "eventTime": "2026-01-01T00:00:00Z",
    "eventType": "START",
    "producer": "p",
    "schemaURL": "s",
    "run": {"runId": "r1"},
    "job": {"namespace": "n", "name": "j"},
}
LOG = "lineage/2026-01.jsonl"


def _log(*lines: bytes) -> Writer:
    good = json.dumps(GOOD_EVENT).encode()
    return _write(LOG, good + b"\n" + b"".join(lines))


def _outside_event(root: Path, name: str) -> bytes:
    """A COMPLETE event, as datalife writes them, whose output is a file outside the workspace."""
    from datalife.lineage.events import DatasetRecord, namespace_for, run_event

    ns = namespace_for(root.name)
    out = DatasetRecord(name, ns, "0" * 64, "file", bytes=10)
    event = run_event("COMPLETE", run_id="r1", job_namespace=ns, job_name="j", outputs=[out])
    return json.dumps(event).encode() + b"\n"


def _outside(name: str) -> Writer:
    def write(root: Path) -> None:
        (root.parent / "secret.txt").write_text("not datalife's business\n")
        _log(_outside_event(root, name))(root)

    return write


BAD_LOGS: dict[str, Writer] = {
    "torn": _log(b'{"eventTime": "2026'),
    "not_json": _log(b"this is not json\n"),
    "deep": _log(b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n"),
    "deep_but_parses": _log(b'{"run": {"runId": "r2"}, "x": ' + b"[" * 900 + b"]" * 900 + b"}\n"),
    "not_event": _log(b"[1, 2, 3]\n"),
    "newer_format": _log(
        json.dumps(
            {
                **GOOD_EVENT,
                "run": {"runId": "r3", "facets": {"datalife_run": {"formatVersion": 99}}},
            }
        ).encode()
        + b"\n"
    ),
    "binary": _log(bytes(range(1, 256)) + b"\n"),
    "invalid_utf8": _log(b'{"x": "\xff\xfe"}\n'),
    "end_without_start": _log(
        json.dumps({**GOOD_EVENT, "eventType": "COMPLETE", "run": {"runId": "zz"}}).encode() + b"\n"
    ),
    "outside_path": _outside("../secret.txt"),
    "absolute_path": _outside("/etc/hostname"),
    "control_chars": _log(
        json.dumps(
            {
                **GOOD_EVENT,
                "eventType": "COMPLETE",
                "job": {"namespace": "n", "name": "j\x1b]0;pwned\x07\x1b[2J"},
            }
        ).encode()
        + b"\n"
    ),
    "mermaid_directive": _log(
        json.dumps(
            {**GOOD_EVENT, "job": {"namespace": "n", "name": "%%{init: {'theme':'dark'}}%%\nx"}}
        ).encode()
        + b"\n"
    ),
}

LOG_COMMANDS: dict[str, tuple[tuple[str, ...], int | tuple[int, ...]]] = {
    "show": (("lineage", "show"), 0),
    "verify": (("lineage", "verify"), 1),
    "export-json": (("lineage", "export", "--format", "json"), 0),
    "export-mermaid": (("lineage", "export", "--format", "mermaid"), 0),
    "export-dot": (("lineage", "export", "--format", "dot"), 0),
}


def _log_cases() -> list[Case]:
    cases = []
    for lname, writer in BAD_LOGS.items():
        for command, (argv, expect) in LOG_COMMANDS.items():
            extra: tuple[str, ...] = ()
            mention = (
                "2026-01.jsonl"
                if lname
                not in {
                    "outside_path",
                    "absolute_path",
                    "control_chars",
                    "mermaid_directive",
                    "end_without_start",
                    "deep_but_parses",
                }
                else None
            )
            if command == "verify" and lname in ("control_chars", "mermaid_directive"):
                expect = (0, 1)
            if command == "verify" and lname == "outside_path":
                mention, extra = "../secret.txt", ("outside",)
            if command == "verify" and lname == "absolute_path":
                mention, extra = "/etc/hostname", ("outside",)
            if lname in ("outside_path", "absolute_path"):
                mention = mention if command == "verify" else None
            cases.append(Case(f"log-{lname}-{command}", argv, expect, mention, writer, extra=extra))
    return cases


# -- bad option values -------------------------------------------------------------------------

OPTION_CASES = [
    Case("opt-format", ("validate", "data/a.csv", "--format", "yaml"), 2, "--format"),
    Case("opt-seed-negative", ("split", "data/a.csv", "--out", "sp", "--seed", "-1"), 2, "--seed"),
    Case("opt-seed-text", ("split", "data/a.csv", "--out", "sp", "--seed", "x"), 2, "--seed"),
    Case(
        "opt-ratios-text", ("split", "data/a.csv", "--out", "sp", "--ratios", "a,b,c"), 2, "ratios"
    ),
    Case(
        "opt-ratios-sum",
        ("split", "data/a.csv", "--out", "sp", "--ratios", "0.9,0.9,0.1"),
        2,
        "ratios",
    ),
    Case(
        "opt-ratios-nan",
        ("split", "data/a.csv", "--out", "sp", "--ratios", "nan,0.5,0.5"),
        2,
        "ratio",
    ),
    Case(
        "opt-rebalance",
        ("split", "data/a.csv", "--out", "sp", "--rebalance", "magic"),
        2,
        "--rebalance",
    ),
    Case(
        "opt-stratify-unknown",
        ("split", "data/a.csv", "--out", "sp", "--stratify", "nope"),
        2,
        "nope",
    ),
    Case(
        "opt-max-categories",
        ("schema", "infer", "data/a.csv", "--name", "z", "--max-categories", "-1"),
        2,
        "--max-categories",
    ),
    Case("opt-top-k", ("stats", "data/a.csv", "--top-k", "0"), 2, "--top-k"),
    Case("opt-workspace-missing", ("-C", "nowhere", "dataset", "list"), 2, "nowhere"),
    Case("opt-unknown", ("run", "--frobnicate"), 2, "--frobnicate"),
    Case("opt-export-format", ("lineage", "export", "--format", "svg"), 2, "--format"),
    Case("opt-schema-ref", ("validate", "data/a.csv", "--schema", "raw@0"), 2, "raw"),
    Case("opt-schema-ref-garbage", ("validate", "data/a.csv", "--schema", "r a w@@"), 2, "r a w"),
    Case("opt-unknown-command", ("frobnicate",), 2, "frobnicate"),
    Case("opt-schema-unknown", ("schema", "show", "nope"), 2, "nope"),
    Case("opt-provenance-unknown", ("lineage", "provenance", "nope.parquet"), 2, "nope.parquet"),
    Case("opt-check-base", ("check", "--base", "no-such-ref"), 2, "no-such-ref"),
    Case("opt-dataset-add-dotdot", ("dataset", "add", "x", "../*.csv"), 2, "../*.csv"),
    Case("opt-stats-out-dir", ("stats", "data/a.csv", "--out", "data"), 2, "data"),
]


# damaged files datalife wrote itself: a profile, the pipeline's state, the release record
STATE_CASES = [
    Case(
        "profile-deep",
        ("stats", "bad/profile.json"),
        2,
        "profile.json",
        _write(
            "bad/profile.json", '{"format_version": 1, "columns": ' + "[" * 5000 + "]" * 5000 + "}"
        ),
    ),
    Case(
        "profile-not-json",
        ("stats", "bad/profile.json"),
        2,
        "profile.json",
        _write("bad/profile.json", '{"format_version": 1, "datalife_profile": '),
    ),
    Case("state-damaged", ("run",), 0, None, _write("out/pipeline.json", '{"fingerprint": ')),
    Case("state-deep", ("run",), 0, None, _write("out/pipeline.json", "[" * 5000 + "]" * 5000)),
    Case(
        "releases-damaged",
        ("validate", "data/a.csv"),
        2,
        ".releases.json",
        _write("schemas/.releases.json", "{not json"),
    ),
    Case(
        "releases-deep",
        ("validate", "data/a.csv"),
        2,
        ".releases.json",
        _write("schemas/.releases.json", "[" * 5000 + "]" * 5000),
    ),
    Case(
        "journal-damaged",
        ("run",),
        0,
        "rolled back",
        _write("lineage/.run.journal", '{"run_id": "x", "pha'),
    ),
]


def corpus() -> list[Case]:
    return [
        *_data_cases(),
        *_config_cases(),
        *_schema_cases(),
        *_log_cases(),
        *OPTION_CASES,
        *STATE_CASES,
    ]
