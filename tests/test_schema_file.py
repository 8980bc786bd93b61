"""The committed JSON Schema that the example plans point editors to is the one the model
generates: a schema change without `gendoc schema -o schema/plan.schema.json` fails here."""

import json
from pathlib import Path

from gendoc.plan import json_schema

ROOT = Path(__file__).resolve().parent.parent


def test_committed_schema_matches_the_plan_model():
    committed = json.loads((ROOT / "schema" / "plan.schema.json").read_text(encoding="utf-8"))
    assert committed == json.loads(json.dumps(json_schema(), ensure_ascii=False))


def test_every_example_plan_points_editors_to_the_schema():
    from conftest import example_plans
    for plan in example_plans():
        first = plan.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../schema/plan.schema.json", plan
