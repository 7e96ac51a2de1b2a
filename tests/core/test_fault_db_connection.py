"""Fault drill: the database kills the persistent connection between two requests (a restart, a failover, an idle
timeout); the next request finds it dead (CONN_HEALTH_CHECKS), connects again and answers — no 5xx. PostgreSQL
only: the second pass of tests/services.py."""

from __future__ import annotations

import psycopg
import pytest
from django.db import close_old_connections, connection
from django.urls import reverse

from core.backup import database_url

pytestmark = pytest.mark.django_db(transaction=True)


def _kill(pid: int) -> None:
    with psycopg.connect(database_url().replace("postgres://", "postgresql://", 1), autocommit=True) as other:
        assert other.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]


def test_a_killed_connection_costs_no_error_page(client, county, leader):
    if connection.vendor != "postgresql":
        pytest.skip("a server database drill")
    connection.settings_dict["CONN_MAX_AGE"] = 60  # persistent, as in production
    try:
        client.force_login(leader)
        assert client.get(reverse("organizations:tree")).status_code == 200
        connection.ensure_connection()
        pid = connection.connection.info.backend_pid
        _kill(pid)
        # What the WSGI handler does at the start of every request (request_started), which the test client leaves
        # out: the connection is marked for a health check before its first use.
        close_old_connections()
        response = client.get(reverse("organizations:tree"))
        assert response.status_code == 200
        assert connection.connection.info.backend_pid != pid  # a new connection served it
    finally:
        connection.settings_dict["CONN_MAX_AGE"] = 0
        connection.close()
