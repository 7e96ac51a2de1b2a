"""The OpenAPI schema is valid and its docs page is served from local assets only."""

import pytest
from django.core.management import call_command


def test_schema_generates_without_warnings(tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "/api/organizations/{id}/move/" in text
    assert "/api/posts/" in text


@pytest.mark.django_db
def test_docs_page_loads_no_external_assets(client, county_admin):
    client.force_login(county_admin)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "http://" not in html and "https://" not in html
