"""Property-based fuzzing of the OpenAPI schema (schemathesis): no input makes a 500, and every
422 names the field at fault. Bounded: a few examples per operation."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

EXAMPLES_PER_OPERATION = 6
WARNING_STEPS = ("verify", "push", "dispose", "exclude")
SUPERVISION_STEPS = ("start", "appeal", "decide")
ROLE_OF = {
    ("POST", "/api/settlements/{setl_id}/reverse"): "reviewer",
    ("GET", "/api/audit"): "reviewer",
    ("POST", "/api/users"): "admin",
    ("GET", "/api/users"): "admin",
    ("DELETE", "/api/users/{name}"): "admin",
    ("POST", "/api/policy/reload"): "admin",
    ("POST", "/api/warnings/scan"): "reviewer",
    **{("POST", f"/api/warnings/{{warning_id}}/{step}"): "reviewer" for step in WARNING_STEPS},
    ("POST", "/api/supervision/scan"): "reviewer",
    **{("POST", f"/api/supervision/{{hit_id}}/{step}"): "admin" for step in SUPERVISION_STEPS},
}


def _check(case, tokens) -> None:
    role = ROLE_OF.get((case.method.upper(), case.path), "clerk")
    response = case.call(headers={"Authorization": f"Bearer {tokens[role]}"})
    where = f"{case.method} {case.formatted_path}"
    assert response.status_code < 500, (where, response.text[:500])
    if response.status_code == 422:
        detail = response.json()["detail"]
        assert detail, (where, response.text)
        if isinstance(detail, list):  # pydantic's errors: each has its location
            assert all(item.get("loc") for item in detail), (where, response.text)


def test_no_input_makes_a_server_error(app, tokens):
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 18
    for operation in operations:
        # Valid-by-the-schema inputs and deliberately invalid ones (wrong types, missing fields).
        strategy = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        @given(case=strategy)
        def fuzz(case):
            _check(case, tokens)

        fuzz()
