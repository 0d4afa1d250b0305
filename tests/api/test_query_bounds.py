"""Query parameters out of range are refused with 422 and a message, never a 500."""

from __future__ import annotations

import httpx
import pytest


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("offset=99999999999999999999999", "offset"),
        ("offset=2147483648", "offset"),
        ("limit=99999999999999999999999", "limit"),
        ("offset=1e400", "offset"),
    ],
)
async def test_huge_values_are_422(client: httpx.AsyncClient, query: str, field: str) -> None:
    r = await client.get(f"/campaigns/printemps/calls?{query}")
    assert r.status_code == 422, (query, r.text)
    assert f"query.{field}" in r.json()["detail"]


async def test_the_largest_offset_is_an_empty_page(client: httpx.AsyncClient) -> None:
    r = await client.get("/campaigns/printemps/calls?offset=2147483647")
    assert r.status_code == 200 and r.json()["items"] == []
