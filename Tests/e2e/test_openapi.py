"""The OpenAPI document is valid OpenAPI 3.1 and covers every route of the contract."""
import httpx
from openapi_spec_validator import validate

ROUTES = {
    "/v1/documents": {"get", "post"},
    "/v1/documents/{id}": {"get", "put", "delete"},
    "/v1/export": {"get"},
    "/v1/search": {"get"},
    "/v1/ask": {"get", "post"},
    "/v1/jobs": {"post"},
    "/v1/jobs/{id}": {"get"},
    "/v1/jobs/{id}/events": {"get"},
    "/v1/jobs/{id}/pause": {"post"},
    "/v1/jobs/{id}/resume": {"post"},
    "/v1/jobs/{id}/cancel": {"post"},
    "/v1/ws": {"get"},
    "/v1/extract": {"post"},
    "/v1/extract/batch": {"post"},
    "/healthz": {"get"},
    "/metrics": {"get"},
    "/openapi.json": {"get"},
    "/v1/models": {"get"},
    "/v1/models/{model}": {"get"},
    "/v1/chat/completions": {"post"},
}


def test_openapi_document(server):
    response = httpx.get(server.url + "/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    spec = response.json()
    validate(spec)
    assert spec["openapi"].startswith("3.1")
    for path, methods in ROUTES.items():
        assert path in spec["paths"], f"{path} is missing"
        assert methods <= set(spec["paths"][path]), f"{path}: {methods - set(spec['paths'][path])} missing"
