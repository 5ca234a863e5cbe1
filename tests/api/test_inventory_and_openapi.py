"""The DID inventory from config/, the countries endpoint, and the OpenAPI document."""

from __future__ import annotations

from pathlib import Path

import phonenumbers
import pytest

from callcontrol.store.database import Database
from callcontrol.store.dids import DidRepository, InventoryError, read_numbers, sync_inventory
from tests.api.conftest import CONFIG, Api


def test_inventory_numbers_are_valid_and_cover_50_countries() -> None:
    dids = read_numbers(CONFIG / "numbers.csv")
    toll = {d.country for d in dids if d.kind.value == "toll"}
    tollfree = {d.country for d in dids if d.kind.value == "toll_free"}
    assert len(toll) >= 50
    assert tollfree and tollfree <= toll
    for did in dids:
        number = phonenumbers.parse(did.e164, None)
        assert phonenumbers.is_valid_number(number), did
        assert phonenumbers.is_valid_number_for_region(number, did.country), did


async def test_sync_is_idempotent_and_deactivates_removed_numbers(
    database: Database, tmp_path: Path
) -> None:
    countries = CONFIG / "countries.csv"
    await sync_inventory(database, CONFIG / "numbers.csv", countries)
    await sync_inventory(database, CONFIG / "numbers.csv", countries)
    repo = DidRepository(database)
    assert await repo.get("+33123456780") is not None
    fewer = tmp_path / "numbers.csv"
    fewer.write_text("e164,country,kind\n+33123456781,FR,toll\n")
    await sync_inventory(database, fewer, countries)
    assert await repo.get("+33123456780") is None
    assert [d.e164 for d in await repo.for_country("FR")] == ["+33123456781"]
    bad = tmp_path / "bad.csv"
    bad.write_text("e164,country,kind\n+33123456781,XX,toll\n")
    with pytest.raises(InventoryError, match="not listed"):
        await sync_inventory(database, bad, countries)
    bad.write_text("e164,country,kind\n0123,FR,toll\n")
    with pytest.raises(InventoryError, match=r"bad.csv:2"):
        await sync_inventory(database, bad, countries)


async def test_countries_endpoint(api: Api) -> None:
    answer = await api.call("GET", "/v1/countries", role="app")
    assert answer.status == 200
    by_code = {c["country"]: c for c in answer.body["countries"]}
    assert by_code["FR"]["callme_allowed"] is True
    assert by_code["FR"]["toll"] and by_code["FR"]["toll_free"]
    assert by_code["GR"]["toll_free"] == []
    assert by_code["CN"]["callme_allowed"] is False
    assert by_code["NG"]["toll"] == []  # listed for Call Me rules only
    assert by_code["FR"]["toll"][0]["international"].startswith("+33 ")


async def test_document_covers_every_route_the_server_serves(api: Api) -> None:
    document = (await api.call("GET", "/openapi.json", role="operator")).body
    assert document["openapi"] == "3.1.0"
    declared = {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}
    served = set()
    from callcontrol.web.api.endpoint import API

    for endpoint in API.endpoints:
        served.add((endpoint.method, endpoint.path))
    served |= {("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics")}
    assert declared == served
    callme = document["paths"]["/v1/sessions/{session_id}/callme"]["post"]
    assert set(callme["responses"]) >= {"202", "401", "403", "404", "409", "422", "429", "503"}
    assert callme["x-roles"] == ["admin", "app"]
    schema = callme["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["phone", "name", "role"]
    assert schema["additionalProperties"] is False
