"""The members capability's endpoints are in the OpenAPI schema, with exactly the methods they serve (the schema as a
whole is validated with --fail-on-warn by tests/api/test_schema.py)."""

from __future__ import annotations

from drf_spectacular.generators import SchemaGenerator

EXPECTED = {
    "/api/candidates/": {"get", "post"},
    "/api/candidates/{id}/": {"get"},
    "/api/candidates/{id}/steps/": {"post"},
    "/api/thought-reports/": {"get", "post"},
    "/api/thought-reports/{id}/": {"get"},
    "/api/training-records/": {"get", "post"},
    "/api/training-records/{id}/": {"get"},
    "/api/point-records/": {"get", "post"},
    "/api/point-records/{id}/": {"get"},
    "/api/point-items/": {"get", "post"},
    "/api/point-items/{id}/": {"get", "patch"},
    "/api/point-items/{id}/deactivate/": {"post"},
    "/api/star-rules/": {"get", "post"},
    "/api/star-rules/{id}/": {"get", "patch"},
    "/api/lost-contact-cases/": {"get"},
    "/api/lost-contact-cases/{id}/": {"get"},
    "/api/lost-contact-cases/{id}/decide/": {"post"},
    "/api/lost-contact-cases/{id}/resolve/": {"post"},
}


def test_members_endpoints_and_methods_are_in_the_schema():
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    served = {path: set(ops) & {"get", "post", "patch", "put", "delete"} for path, ops in paths.items()}
    assert {path: served.get(path) for path in EXPECTED} == EXPECTED
