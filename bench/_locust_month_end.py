"""Locust users of the month-end load test (bench/month_end.py): the branch secretaries of
bench/_locust_secretaries.py, department staff browsing lists, opening their work desk and exporting, and leaders on
their dashboards. Credentials per kind of user come from the JSON file named by MONTH_END_CREDENTIALS
({"secretary": [...], "staff": [...], "leader": [...]}; each entry username, password and the organization id their
lists are narrowed to); the secretaries' come, as bench/_locust_secretaries.py reads them, from RUSH_CREDENTIALS."""

from __future__ import annotations

import itertools
import json
import os
import random

from locust import HttpUser, between, task

# The module, not its class, imported: locust runs every user class it finds among this module's names.
from bench import _locust_secretaries as secretaries

ACCOUNTS = json.loads(open(os.environ["MONTH_END_CREDENTIALS"], encoding="utf-8").read())
NEXT = {kind: itertools.count() for kind in ("staff", "leader")}
YEAR = os.environ.get("MONTH_END_YEAR", "2026")


class _LoggedIn(HttpUser):
    abstract = True
    kind = ""
    wait_time = between(*secretaries.PAUSE)

    def on_start(self):
        accounts = ACCOUNTS[self.kind]
        self.account = accounts[next(NEXT[self.kind]) % len(accounts)]
        self.org = self.account["org"]
        self.client.get("/accounts/login/", name="GET /accounts/login/")
        self.client.post(
            "/accounts/login/",
            {
                "username": self.account["username"],
                "password": self.account["password"],
                "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""),
            },
            name="POST /accounts/login/",
        )


class MonthEndSecretary(secretaries.Secretary):
    weight = 150


class Staff(_LoggedIn):
    """County and township staff: the work desk, the lists of the month's work, now and then an Excel export."""

    weight = 40
    kind = "staff"

    @task(3)
    def desk(self):
        self.client.get(f"/dashboards/desk/?year={YEAR}", name="GET /dashboards/desk/")

    @task(3)
    def members(self):
        self.client.get(f"/members/?org={self.org}", name="GET /members/")
        self.client.get(f"/members/?org={self.org}&count=1", name="GET /members/?count=1")

    @task(3)
    def meetings(self):
        self.client.get(f"/meetings/?organization={self.org}", name="GET /meetings/")

    @task(2)
    def overdue(self):
        self.client.get(f"/meetings/overdue/?organization={self.org}&year={YEAR}", name="GET /meetings/overdue/")

    @task(2)
    def findings(self):
        self.client.get(f"/supervision/findings/?organization={self.org}", name="GET /supervision/findings/")

    @task(2)
    def funds(self):
        self.client.get(f"/funding/records/?organization={self.org}&year={YEAR}", name="GET /funding/records/")

    @task(1)
    def export_meetings(self):
        self.client.get(
            f"/meetings/quarter/?organization={self.org}&year={YEAR}&export=xlsx", name="GET /meetings/quarter/ xlsx"
        )


class Leader(_LoggedIn):
    """County leaders: the county view, the ranking, the penalties."""

    weight = 10
    kind = "leader"

    @task(4)
    def overview(self):
        self.client.get(
            f"/dashboards/leader/?year={random.choice([YEAR, str(int(YEAR) - 1)])}", name="GET /dashboards/leader/"
        )

    @task(2)
    def ranking(self):
        self.client.get("/assessments/", name="GET /assessments/ (ranking)")

    @task(1)
    def penalties(self):
        self.client.get("/assessments/penalties/", name="GET /assessments/penalties/")
