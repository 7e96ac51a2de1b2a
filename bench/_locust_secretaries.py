"""Locust users of the month-end rush (bench/meetings_rush.py): each is one branch secretary with their own login,
who opens 本月待办, opens the meeting form (members pre-listed), submits it with one member on leave, and looks at
the saved meeting; now and then taps 提交 twice. Credentials come from the JSON file named by RUSH_CREDENTIALS."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import re

import gevent
from locust import HttpUser, between, task

CREDENTIALS = json.loads(open(os.environ["RUSH_CREDENTIALS"], encoding="utf-8").read())
NEXT = itertools.count()
KINDS = ["主题党日", "支部委员会会议", "支部党员大会", "党课"]
# Seconds a secretary spends filling in the form between opening it and tapping 提交, and between actions
# ("15,45" and "3,10" by default; the stress variant of the benchmark sets 0,0 and 1,3).
FILL = tuple(float(x) for x in os.environ.get("RUSH_FILL_SECONDS", "15,45").split(","))
PAUSE = tuple(float(x) for x in os.environ.get("RUSH_PAUSE_SECONDS", "3,10").split(","))
MEMBER_ID = re.compile(r'name="att-(\d+)"')
KEY = re.compile(r'name="submission_key" value="([0-9a-f]+)"')
BRANCH = re.compile(r'<option value="(\d+)" selected')
ERRORS = re.compile(r'(?:invalid-feedback d-block|alert alert-danger" role="alert">\s*<div)>([^<]+)<')


class Secretary(HttpUser):
    wait_time = between(*PAUSE)  # a person reads the list before the next action; see meetings_rush.py

    def on_start(self):
        n = next(NEXT)
        self.account = CREDENTIALS[n % len(CREDENTIALS)]
        # Each user's meetings at their own minutes before a fixed start (the clock moving on must not bring a later
        # meeting back onto an earlier one's time): no natural-key clash, nothing in the future.
        self.start = dt.datetime.now().replace(second=0, microsecond=0)
        self.minutes_back = 60
        self.client.get("/accounts/login/", name="GET /accounts/login/")
        token = self.client.cookies.get("csrftoken", "")
        self.client.post(
            "/accounts/login/",
            {"username": self.account["username"], "password": self.account["password"], "csrfmiddlewaretoken": token},
            name="POST /accounts/login/",
        )

    @task(1)
    def todo(self):
        self.client.get("/meetings/my/", name="GET /meetings/my/")

    @task(3)
    def record(self):
        form = self.client.get("/meetings/new/", name="GET /meetings/new/")
        html = form.text
        members = MEMBER_ID.findall(html)
        key = KEY.search(html)
        branch = BRANCH.search(html)
        if not (members and key and branch):
            form.failure("form without members, key or branch") if hasattr(form, "failure") else None
            return
        gevent.sleep(random.uniform(*FILL))  # filling in the topic, the place, one tap per member on leave
        self.minutes_back += 1
        held = self.start - dt.timedelta(minutes=self.minutes_back)
        data = {
            "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""),
            "submission_key": key.group(1),
            "branch": branch.group(1),
            "kind": random.choice(KINDS),
            "held_date": held.date().isoformat(),
            "held_time": held.strftime("%H:%M"),
            "topic": "学习贯彻党的二十大精神",
            "place": "村部会议室",
            "host": "书记",
            "recorder": "组织委员",
            "minutes": "",
        }
        on_leave = random.choice(members)
        for member in members:
            data[f"att-{member}"] = "请假" if member == on_leave else "出席"
            data[f"reason-{member}"] = "外出务工" if member == on_leave else ""
        taps = 2 if random.random() < 0.1 else 1  # the double tap
        for _ in range(taps):
            with self.client.post(
                "/meetings/new/", data, name="POST /meetings/new/", allow_redirects=False, catch_response=True
            ) as response:
                if response.status_code != 302:
                    found = ERRORS.findall(response.text)
                    response.failure(f"{response.status_code}: {' / '.join(found) or response.text[:200]}")
                    return
                location = response.headers.get("Location", "")
        self.client.get(location, name="GET /meetings/[id]/")
