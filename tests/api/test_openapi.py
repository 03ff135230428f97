"""/openapi.json describes every API route with a summary, its response model and its errors."""

from __future__ import annotations

EXPECTED = {
    ("get", "/api/v1/health"), ("get", "/api/v1/incidents"), ("post", "/api/v1/incidents"),
    ("get", "/api/v1/incidents/{ref}"), ("patch", "/api/v1/incidents/{ref}"),
    ("get", "/api/v1/incidents/{ref}/timeline"), ("post", "/api/v1/incidents/{ref}/messages"),
    ("post", "/api/v1/incidents/{ref}/roles"), ("post", "/api/v1/incidents/{ref}/acknowledge"),
    ("post", "/api/v1/incidents/{ref}/status"), ("put", "/api/v1/incidents/{ref}/summary"),
    ("post", "/api/v1/incidents/{ref}/updates"), ("put", "/api/v1/incidents/{ref}/severity"),
    ("post", "/api/v1/incidents/{ref}/resolve"), ("post", "/api/v1/incidents/{ref}/close"),
    ("put", "/api/v1/incidents/{ref}/checklist/{key}"), ("put", "/api/v1/incidents/{ref}/pins/{entry_id}"),
    ("delete", "/api/v1/incidents/{ref}/pins/{entry_id}"), ("post", "/api/v1/incidents/{ref}/playbooks"),
    ("post", "/api/v1/commands"), ("get", "/api/v1/announcements"), ("get", "/api/v1/dashboard/figures"),
    ("get", "/api/v1/playbooks"), ("post", "/api/v1/playbooks"), ("get", "/api/v1/playbooks/{slug}"),
    ("put", "/api/v1/playbooks/{slug}"), ("get", "/api/v1/playbooks/suggestions"),
    ("get", "/api/v1/users"), ("get", "/api/v1/users/me"), ("post", "/api/v1/users"),
    ("get", "/api/v1/teams"), ("post", "/api/v1/teams"), ("post", "/api/v1/teams/{slug}/members"),
    ("get", "/api/v1/tokens"), ("post", "/api/v1/tokens"), ("delete", "/api/v1/tokens/{token_id}"),
    ("get", "/api/v1/audit"), ("get", "/api/v1/jobs/dead"), ("post", "/api/v1/jobs/{job_id}/retry"),
}


def _operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if path.startswith("/api/v1"):
                yield method, path, operation


def test_every_route_of_the_contract_is_described(client):
    spec = client.get("/openapi.json").json()
    found = {(method, path) for method, path, _ in _operations(spec)}
    assert found >= EXPECTED, EXPECTED - found
    names = [operation["operationId"] for _, _, operation in _operations(spec)]
    assert len(names) == len(set(names))
    assert "declare_incident" in names


def test_each_route_has_a_summary_a_response_model_and_problem_answers(client):
    spec = client.get("/openapi.json").json()
    for method, path, operation in _operations(spec):
        assert operation.get("summary"), (method, path)
        success = next(code for code in operation["responses"] if code.startswith("2"))
        content = operation["responses"][success].get("content", {})
        if success != "204" and "application/json" in content:
            schema = content["application/json"]["schema"]
            assert "$ref" in schema or schema.get("type") == "array", (method, path, schema)
        else:  # no body (204) or not JSON (text/calendar): say what it is
            assert success == "204" or content, (method, path)
        problems = [c for c in operation["responses"] if c[0] in "45"]
        assert problems, (method, path)
        for code in problems:
            problem = operation["responses"][code]["content"]["application/problem+json"]
            assert problem["schema"]["$ref"].endswith("/ProblemOut"), (method, path, code)


def test_inputs_are_documented_as_closed(client):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for name in ("DeclareIn", "StatusIn", "CommandIn", "TokenIn", "PlaybookIn"):
        assert schemas[name]["additionalProperties"] is False, name
