"""Schema governance: released versions are immutable, new versions meet their policy, data is valid.

A schema version is **released** once git's base commit (``HEAD`` by default) holds its file,
or once the lineage log records it (a run validated data against ``name@version``). Released
versions never change: editing or deleting one is refused with a message saying to add a new
version (``datalife schema bump NAME``). A new version must meet its compatibility policy (its
``compatibility:`` key, else the workspace's ``compatibility``) against the previous version
(all earlier versions for the ``*_TRANSITIVE`` modes).

:func:`check_schema_files` checks schema files (the ``datalife-schema-check`` hook: the staged
ones); :func:`check_data_files` validates data files against their dataset's latest schema
version (the ``datalife-validate`` hook); :func:`check_workspace` does both for a whole
workspace (``datalife check``, for CI). All of them only read: they write no lineage, cache or
report, so pre-commit never sees a modified file.

Every problem is a :class:`Problem` with an exit code: 2 for input that cannot be checked (a
schema file that does not parse, a name or version that does not match its path, a version
gap, a deleted released version, a non-YAML file under ``schemas/``, a file two datasets
claim), 1 for a check that fails (an edited released version, a new version breaking its
policy, invalid data).

This module imports only the standard library at import time, so the hooks can use its git
helpers before deciding whether any heavy work is needed.

The package's modules: :mod:`~datalife.governance.problems` (what a check reports),
:mod:`~datalife.governance.git` (the git plumbing, standard library only),
:mod:`~datalife.governance.released` (which versions are released),
:mod:`~datalife.governance.schema_files` (the schema-file checks),
:mod:`~datalife.governance.compatibility` (a new version against its policy),
:mod:`~datalife.governance.data_files` (the data checks) and
:mod:`~datalife.governance.workspace` (both, for a whole workspace).
"""

from __future__ import annotations

from datalife.governance.compatibility import policy_of
from datalife.governance.data_files import check_data_files, datasets_of
from datalife.governance.git import blob_id, find_git_root, released_schema_blobs
from datalife.governance.problems import CheckReport, Problem
from datalife.governance.released import lineage_refs
from datalife.governance.schema_files import check_schema_files
from datalife.governance.workspace import check_workspace

__all__ = [
    "CheckReport",
    "Problem",
    "blob_id",
    "check_data_files",
    "check_schema_files",
    "check_workspace",
    "datasets_of",
    "find_git_root",
    "lineage_refs",
    "policy_of",
    "released_schema_blobs",
]
