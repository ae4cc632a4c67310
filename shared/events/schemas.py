"""Export every registered contract's JSON Schema to the committed folder
`shared/events/schemas/` (`python -m shared.events.schemas`), and judge compatibility.

Compatibility for a published (type, version): every field a consumer could rely on stays
(same name, same type), and no new field becomes required. Additions of optional fields are
fine, since readers ignore what they don't know."""

from __future__ import annotations

import json
from pathlib import Path

import shared.events.contracts  # noqa: F401  (registers every contract)
from shared.events.registry import REGISTRY

SCHEMA_DIR = Path(__file__).parent / "schemas"


def schema_file(wire_type: str, version: int) -> Path:
    return SCHEMA_DIR / f"{wire_type}.v{version}.json"


def current_schemas() -> dict[Path, dict]:
    return {schema_file(t, v): model.model_json_schema() for (t, v), model in REGISTRY.items()}


def incompatibilities(published: dict, current: dict, path: str = "") -> list[str]:
    """Ways `current` would break a reader of `published` (recursing into definitions)."""
    problems = []
    old_props, new_props = published.get("properties", {}), current.get("properties", {})
    for name, old in old_props.items():
        if name not in new_props:
            problems.append(f"{path}{name}: removed")
        elif _shape(old) != _shape(new_props[name]):
            problems.append(f"{path}{name}: type changed")
    newly_required = set(current.get("required", [])) - set(published.get("required", []))
    problems += [f"{path}{name}: newly required" for name in sorted(newly_required)]
    for name, old_def in published.get("$defs", {}).items():
        problems += incompatibilities(old_def, current.get("$defs", {}).get(name, {}),
                                      f"{path}$defs.{name}.")
    return problems


def _shape(prop: dict) -> object:
    keys = ("type", "$ref", "anyOf", "items", "enum", "format")
    return json.dumps({k: prop.get(k) for k in keys}, sort_keys=True)


def export() -> list[Path]:
    SCHEMA_DIR.mkdir(exist_ok=True)
    written = []
    for path, schema in current_schemas().items():
        path.write_text(json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        written.append(path)
    return written


if __name__ == "__main__":
    for p in export():
        print(p.relative_to(Path.cwd()) if p.is_relative_to(Path.cwd()) else p)
