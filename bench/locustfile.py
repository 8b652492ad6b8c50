"""Open-loop load for `bench/web.py`: simulated inspectors, each saving one rating every 5 seconds.

Run by bench/web.py with the tokens and assessments it created (env ANESQC_BENCH_USERS: a JSON list of
[token, assessment id]); not meant to be run by hand.
"""

import itertools
import json
import os
import random

from locust import HttpUser, constant_pacing, task

USERS = itertools.cycle(json.loads(os.environ["ANESQC_BENCH_USERS"]))
CODES = json.loads(os.environ["ANESQC_BENCH_CODES"])


class Inspector(HttpUser):
    # constant_pacing: a save every 5 s whatever the response time (open loop, not think-time after reply).
    wait_time = constant_pacing(5)

    def on_start(self) -> None:
        token, self.assessment = next(USERS)
        self.client.headers["Authorization"] = f"Token {token}"

    @task
    def save_rating(self) -> None:
        code = random.choice(CODES)  # noqa: S311 - load generation, not security
        body = random.choice([{"rating": "met"}, {"rating": "unmet", "remark": "现场核查未达标"}])  # noqa: S311
        self.client.put(f"/api/v1/assessments/{self.assessment}/ratings/{code}/", json=body, name="PUT rating")
