"""Published event contracts may only change compatibly; a breaking change is a new version."""

import json

import pytest

from shared.events.schemas import SCHEMA_DIR, current_schemas, incompatibilities


def test_every_registered_contract_has_a_committed_schema():
    missing = [p.name for p in current_schemas() if not p.exists()]
    assert not missing, f"run `python -m shared.events.schemas` and commit: {missing}"


@pytest.mark.parametrize("path", sorted(SCHEMA_DIR.glob("*.json")), ids=lambda p: p.stem)
def test_published_schema_is_still_honoured(path):
    current = current_schemas().get(path)
    assert current is not None, f"{path.stem} was published and must stay registered"
    assert incompatibilities(json.loads(path.read_text()), current) == []


def test_the_checker_catches_breaking_changes():
    published = {"properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
                 "required": ["a"]}
    assert incompatibilities(published, {"properties": {"a": {"type": "string"}}}) == [
        "b: removed"]
    assert incompatibilities(published, {"properties": {"a": {"type": "integer"},
                                                        "b": {"type": "integer"}}}) == [
        "a: type changed"]
    widened = {"properties": {**published["properties"], "c": {"type": "string"}},
               "required": ["a", "c"]}
    assert incompatibilities(published, widened) == ["c: newly required"]
    optional_added = {**widened, "required": ["a"]}
    assert incompatibilities(published, optional_added) == []
