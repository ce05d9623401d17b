"""Under ``DATALIFE_TEST_STRICT=1`` (set by ``.ci/run``) a test that would be skipped for a
missing tool fails instead; elsewhere it is skipped with its reason."""

from __future__ import annotations

import pytest

import tests.conftest as shared


def test_a_missing_tool_skips_or_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shared, "STRICT", False)
    with pytest.raises(pytest.skip.Exception, match="no Java"):
        shared.skip_or_fail("no Java")
    monkeypatch.setattr(shared, "STRICT", True)
    with pytest.raises(pytest.fail.Exception, match=r"no Java.*DATALIFE_TEST_STRICT"):
        shared.skip_or_fail("no Java")


def test_an_engine_that_cannot_run_is_not_skipped_when_strict(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("datalife.engines.unavailable", lambda name: "no Java here")
    monkeypatch.setattr(shared, "STRICT", False)
    assert all(p.marks for p in shared.engine_params())
    monkeypatch.setattr(shared, "STRICT", True)
    assert not any(p.marks for p in shared.engine_params())
