"""The README stays true: its API walk-through runs verbatim against a live server with the demo data."""

import io
import re
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

README = Path(__file__).resolve().parents[1] / "README.md"


def walkthrough() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## The API in five minutes", 1)[1]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, "README has no walk-through block"
    return match.group(1)


def test_readme_opens_with_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    first_block = re.search(r"```sh\n(.*?)```", text, re.S)
    assert first_block
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines() if line.strip()]
    assert commands == ["make run", "make test"]


@pytest.mark.django_db(transaction=True)
def test_readme_api_walkthrough_works_verbatim(live_server) -> None:
    call_command("seed_demo", "--force-demo", stdout=io.StringIO())
    script = walkthrough().replace("http://127.0.0.1:8000", live_server.url)
    done = subprocess.run(
        ["bash", "-eu", "-o", "pipefail", "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    out = done.stdout
    assert "'3A': '850'" in out
    assert '"weighted_score":"7.5"' in out
    assert '"score":["评定为达标时得分应为满分 15。"]' in out
    assert '"veto_failed":["4.1-7-1"]' in out
    assert '"outcome":"incomplete"' in out
    assert '"status":"finalized"' in out
    assert "fail 987.5 ['4.1-7-1']" in out
    assert out.strip().endswith("409")
