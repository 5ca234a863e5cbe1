"""schemathesis against /openapi.json of a live server (admin token, real PostgreSQL): no 5xx,
and every answer matches the document (status codes, content types, schemas, headers)."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sys
from pathlib import Path

import pytest

from tests.api.conftest import Api, make_account, make_session

ST = shutil.which("st", path=str(Path(sys.executable).parent))
MAX_TIME_S = int(os.environ.get("CALLCONTROL_SCHEMATHESIS_SECONDS", "45"))

pytestmark = pytest.mark.skipif(ST is None, reason="schemathesis is not installed")


@pytest.mark.timeout(MAX_TIME_S + 60)
async def test_schemathesis_finds_nothing(api: Api, tmp_path: Path) -> None:
    await make_account(api, "acc-1")
    await make_session(api, tollfree_countries=["FR"])
    assert ST is not None
    # A body past http.max_body_bytes is refused with 413 (documented on every operation
    # with a body); schemathesis's default list of rejections lacks it, so a huge invalid
    # body would count as "accepted".
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        "[checks.negative_data_rejection]\n"
        'expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", '
        '"415", "422", "428", "429", "5xx"]\n',
        encoding="utf-8",
    )
    command = [
        ST,
        "--config-file",
        str(config),
        "run",
        f"{api.base}/openapi.json",
        "--header",
        f"Authorization: Bearer {api.tokens['admin']}",
        "--checks",
        "all",
        "--exclude-checks",
        # positive_data_acceptance: business rules refuse schema-valid requests with 422 by
        # design (unknown account, premium-rate number, ...). use_after_free: a dropped leg
        # stays readable (its record is kept) by design.
        "positive_data_acceptance,use_after_free",
        # Revoking tokens would revoke the very token the run uses.
        "--exclude-operation-id",
        "revoke_token",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        "25",
        "--max-time",
        str(MAX_TIME_S),
        "--workers",
        "4",
        "--request-timeout",
        "10",
        "--suppress-health-check",
        "all",
        "--seed",
        "1",
    ]
    process = await asyncio.create_subprocess_exec(
        *command,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=tmp_path,
        env={**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_HOOKS": ""},
    )
    async with asyncio.timeout(MAX_TIME_S + 45):
        output, _ = await process.communicate()
    text = output.decode(errors="replace")
    summary = text[text.rfind("SUMMARY") :]
    # A check that fails (a 5xx, a schema mismatch, ...) is listed under "Failures:".
    assert "Failures:" not in summary, text[-12000:]
    generated = re.search(r"(\d+) generated", summary)
    assert generated is not None and int(generated[1]) >= 500, summary
    if process.returncode != 0:
        # schemathesis itself occasionally crashes inside its own generator (a "Runtime Error"
        # with its own traceback); that says nothing about the API, but nothing else may fail.
        errors = re.findall(r"🚫 (.+?): \d+", summary[summary.find("Errors:") :])
        assert errors and set(errors) <= {"Runtime Error"}, text[-12000:]
