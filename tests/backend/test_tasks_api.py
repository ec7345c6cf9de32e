"""`/api/tasks`: the five operations over REST, their validation and per-user isolation."""

import uuid
from datetime import datetime
from typing import Any

import httpx2
import pytest

from tests.factories import AuthedUser


async def create(client: httpx2.AsyncClient, user: AuthedUser, **fields: object) -> dict:
    response = await client.post("/api/tasks", json={"title": "a task", **fields}, headers=user.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def listing(client: httpx2.AsyncClient, user: AuthedUser, **params: Any) -> dict:
    response = await client.get("/api/tasks", params=params, headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()


def titles(page: dict) -> list[str]:
    return [item["title"] for item in page["items"]]


async def test_create_defaults_and_location(client: httpx2.AsyncClient, alice: AuthedUser) -> None:
    response = await client.post("/api/tasks", json={"title": "  Buy milk  "}, headers=alice.headers)
    assert response.status_code == 201
    task = response.json()
    assert response.headers["location"] == f"/api/tasks/{task['id']}"
    assert task["title"] == "Buy milk"
    assert task | {"id": None, "created_at": None, "updated_at": None} == {
        "id": None,
        "title": "Buy milk",
        "description": None,
        "priority": "medium",
        "due_date": None,
        "completed": False,
        "completed_at": None,
        "created_at": None,
        "updated_at": None,
    }
    assert datetime.fromisoformat(task["created_at"]).utcoffset().total_seconds() == 0
    assert task["created_at"] == task["updated_at"]
    fetched = await client.get(response.headers["location"], headers=alice.headers)
    assert fetched.json() == task


async def test_create_with_every_field(client: httpx2.AsyncClient, alice: AuthedUser) -> None:
    task = await create(
        client, alice, title="Dentist", description="Bring the form", priority="high", due_date="2026-12-04"
    )
    assert (task["description"], task["priority"], task["due_date"]) == (
        "Bring the form",
        "high",
        "2026-12-04",
    )


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({}, "title"),
        ({"title": "ok", "priority": "urgent"}, "priority"),
        ({"title": "ok", "due_date": "2026-13-01"}, "due_date"),
        ({"title": "ok", "due_date": "next friday"}, "due_date"),
        ({"title": "ok", "description": "d" * 2001}, "description"),
        ({"title": "nul\u0000byte"}, "title"),
        ({"title": "ok", "description": "nul\u0000"}, "description"),
        ({"title": "ok", "user_id": str(uuid.uuid4())}, "user_id"),
    ],
)
async def test_create_validation_names_the_field(
    client: httpx2.AsyncClient, alice: AuthedUser, payload: dict, field: str
) -> None:
    response = await client.post("/api/tasks", json=payload, headers=alice.headers)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert [d["field"] for d in error["details"]] == [field]
    assert field in error["message"]
    assert (await listing(client, alice))["total"] == 0


async def test_title_of_200_characters_is_accepted(client: httpx2.AsyncClient, alice: AuthedUser) -> None:
    assert len((await create(client, alice, title="x" * 200))["title"]) == 200


async def test_malformed_json_is_422_in_standard_shape(client: httpx2.AsyncClient, alice: AuthedUser) -> None:
    response = await client.post(
        "/api/tasks", content=b"{not json", headers={**alice.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


async def test_patch_changes_only_given_fields(client: httpx2.AsyncClient, alice: AuthedUser) -> None:
    task = await create(
        client, alice, title="Old", description="keep me", priority="low", due_date="2026-12-01"
    )
    response = await client.patch(f"/api/tasks/{task['id']}", json={"title": "New"}, headers=alice.headers)
    assert response.status_code == 200
    updated = response.json()
    assert updated["title"] == "New"
    assert (updated["description"], updated["priority"], updated["due_date"]) == (
        "keep me",
        "low",
        "2026-12-01",
    )
    assert updated["updated_at"] > task["updated_at"]
    assert updated["created_at"] == task["created_at"]


async def test_patch_null_clears_description_and_due_date(
    client: httpx2.AsyncClient, alice: AuthedUser
) -> None:
    task = await create(client, alice, description="details", due_date="2026-12-01")
    response = await client.patch(
        f"/api/tasks/{task['id']}", json={"description": None, "due_date": None}, headers=alice.headers
    )
    assert (response.json()["description"], response.json()["due_date"]) == (None, None)


@pytest.mark.parametrize("field", ["title", "priority", "completed"])
async def test_patch_null_on_required_field_is_422(
    client: httpx2.AsyncClient, alice: AuthedUser, field: str
) -> None:
    task = await create(client, alice, title="stays")
    response = await client.patch(f"/api/tasks/{task['id']}", json={field: None}, headers=alice.headers)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == field
    assert (await client.get(f"/api/tasks/{task['id']}", headers=alice.headers)).json() == task


async def test_completing_sets_and_uncompleting_clears_completed_at(
    client: httpx2.AsyncClient, alice: AuthedUser
) -> None:
    task = await create(client, alice)
    url = f"/api/tasks/{task['id']}"
    done = (await client.patch(url, json={"completed": True}, headers=alice.headers)).json()
    assert done["completed"] is True and done["completed_at"] is not None
    again = (
        await client.patch(url, json={"completed": True, "title": "renamed"}, headers=alice.headers)
    ).json()
    assert again["completed_at"] == done["completed_at"], "re-completing keeps the first completion time"
    assert again["updated_at"] > done["updated_at"]
    undone = (await client.patch(url, json={"completed": False}, headers=alice.headers)).json()
    assert undone["completed"] is False and undone["completed_at"] is None


async def test_empty_patch_still_moves_updated_at(client: httpx2.AsyncClient, alice: AuthedUser) -> None:
    task = await create(client, alice)
    touched = (await client.patch(f"/api/tasks/{task['id']}", json={}, headers=alice.headers)).json()
    assert touched["updated_at"] > task["updated_at"]
    assert touched | {"updated_at": None} == task | {"updated_at": None}


async def test_delete_then_gone(client: httpx2.AsyncClient, alice: AuthedUser) -> None:
    task = await create(client, alice)
    url = f"/api/tasks/{task['id']}"
    deleted = await client.delete(url, headers=alice.headers)
    assert deleted.status_code == 204 and deleted.content == b""
    for method in ("GET", "PATCH", "DELETE"):
        response = await client.request(
            method, url, json={} if method == "PATCH" else None, headers=alice.headers
        )
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


async def test_malformed_id_is_422(client: httpx2.AsyncClient, alice: AuthedUser) -> None:
    response = await client.get("/api/tasks/not-a-uuid", headers=alice.headers)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "task_id"


async def test_other_users_task_is_not_found_on_every_operation(
    client: httpx2.AsyncClient, alice: AuthedUser, bob: AuthedUser
) -> None:
    task = await create(client, alice, title="alice's secret")
    for prefix in ("/api/tasks", "/api/agent/tasks"):
        url = f"{prefix}/{task['id']}"
        missing = (await client.get(f"{prefix}/{uuid.uuid4()}", headers=bob.headers)).json()
        for method, body in (
            ("GET", None),
            ("PATCH", {"title": "mine now"}),
            ("PATCH", {"completed": True}),
            ("DELETE", None),
        ):
            response = await client.request(method, url, json=body, headers=bob.headers)
            assert response.status_code == 404, (prefix, method)
            assert response.json()["error"]["code"] == missing["error"]["code"] == "not_found"
        assert (await listing(client, bob))["total"] == 0
        assert (await listing(client, bob, search="secret"))["items"] == []
    assert (await client.get(f"/api/tasks/{task['id']}", headers=alice.headers)).json() == task


async def test_list_status_and_priority_filters(client: httpx2.AsyncClient, alice: AuthedUser) -> None:
    for title, priority in (("a", "low"), ("b", "high"), ("c", "high")):
        await create(client, alice, title=title, priority=priority)
    task = (await listing(client, alice, search="b"))["items"][0]
    await client.patch(f"/api/tasks/{task['id']}", json={"completed": True}, headers=alice.headers)
    assert titles(await listing(client, alice)) == ["a", "b", "c"]
    assert titles(await listing(client, alice, status="pending")) == ["a", "c"]
    assert titles(await listing(client, alice, status="completed")) == ["b"]
    assert titles(await listing(client, alice, priority="high")) == ["b", "c"]
    assert titles(await listing(client, alice, priority="high", status="pending")) == ["c"]


async def test_search_is_case_insensitive_substring_of_title_or_description(
    client: httpx2.AsyncClient, alice: AuthedUser
) -> None:
    await create(client, alice, title="Call the DENTIST")
    await create(client, alice, title="Errand", description="pick up dentist form")
    await create(client, alice, title="100% done_ish")
    await create(client, alice, title="Groceries")
    assert titles(await listing(client, alice, search="dentist")) == ["Call the DENTIST", "Errand"]
    assert titles(await listing(client, alice, search="%")) == ["100% done_ish"], "LIKE wildcards are literal"
    assert titles(await listing(client, alice, search="_")) == ["100% done_ish"]
    assert (await listing(client, alice, search="   "))["total"] == 4, "blank search means no filter"


async def test_due_date_range_is_inclusive(client: httpx2.AsyncClient, alice: AuthedUser) -> None:
    for day in ("2026-12-01", "2026-12-05", "2026-12-10"):
        await create(client, alice, title=day, due_date=day)
    await create(client, alice, title="undated")
    assert titles(await listing(client, alice, due_before="2026-12-05")) == ["2026-12-01", "2026-12-05"]
    assert titles(await listing(client, alice, due_after="2026-12-05")) == ["2026-12-05", "2026-12-10"]
    assert titles(await listing(client, alice, due_after="2026-12-02", due_before="2026-12-09")) == [
        "2026-12-05"
    ]
    response = await client.get(
        "/api/tasks", params={"due_after": "2026-12-09", "due_before": "2026-12-02"}, headers=alice.headers
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "due_after"


async def test_sorting(client: httpx2.AsyncClient, alice: AuthedUser) -> None:
    await create(client, alice, title="banana", priority="low", due_date="2026-12-03")
    await create(client, alice, title="Apple", priority="high")
    await create(client, alice, title="cherry", priority="medium", due_date="2026-12-01")
    assert titles(await listing(client, alice)) == ["banana", "Apple", "cherry"]
    assert titles(await listing(client, alice, order="desc")) == ["cherry", "Apple", "banana"]
    assert titles(await listing(client, alice, sort_by="title")) == ["Apple", "banana", "cherry"]
    assert titles(await listing(client, alice, sort_by="title", order="desc")) == [
        "cherry",
        "banana",
        "Apple",
    ]
    assert titles(await listing(client, alice, sort_by="priority")) == ["banana", "cherry", "Apple"]
    assert titles(await listing(client, alice, sort_by="priority", order="desc")) == [
        "Apple",
        "cherry",
        "banana",
    ]
    assert titles(await listing(client, alice, sort_by="due_date")) == ["cherry", "banana", "Apple"]
    assert titles(await listing(client, alice, sort_by="due_date", order="desc")) == [
        "banana",
        "cherry",
        "Apple",
    ]


async def test_pagination(client: httpx2.AsyncClient, alice: AuthedUser) -> None:
    for n in range(7):
        await create(client, alice, title=f"t{n}", priority="high")
    pages = [await listing(client, alice, limit=3, offset=offset) for offset in (0, 3, 6)]
    assert [titles(p) for p in pages] == [["t0", "t1", "t2"], ["t3", "t4", "t5"], ["t6"]]
    assert {(p["total"], p["limit"]) for p in pages} == {(7, 3)}
    assert [p["offset"] for p in pages] == [0, 3, 6]
    beyond = await listing(client, alice, limit=3, offset=50)
    assert (beyond["items"], beyond["total"]) == ([], 7)
    # Equal sort keys still page without overlap: the id breaks ties.
    by_priority = [
        titles(await listing(client, alice, sort_by="priority", limit=2, offset=o)) for o in (0, 2, 4, 6)
    ]
    assert sorted(t for page in by_priority for t in page) == [f"t{n}" for n in range(7)]
    assert (await listing(client, alice, limit=100))["total"] == 7


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"offset": -1}, "offset"),
        ({"status": "done"}, "status"),
        ({"priority": "urgent"}, "priority"),
        ({"sort_by": "user_id"}, "sort_by"),
        ({"order": "up"}, "order"),
        ({"due_before": "tomorrow"}, "due_before"),
        ({"limit": "ten"}, "limit"),
        ({"user_id": str(uuid.uuid4())}, "user_id"),
    ],
)
async def test_list_validation(
    client: httpx2.AsyncClient, alice: AuthedUser, params: dict, field: str
) -> None:
    response = await client.get("/api/tasks", params=params, headers=alice.headers)
    assert response.status_code == 422
    assert [d["field"] for d in response.json()["error"]["details"]] == [field]


async def test_tasks_of_others_never_appear_in_lists(
    client: httpx2.AsyncClient, alice: AuthedUser, bob: AuthedUser
) -> None:
    await create(client, alice, title="alice 1")
    await create(client, bob, title="bob 1")
    assert titles(await listing(client, alice)) == ["alice 1"]
    assert titles(await listing(client, bob, limit=100, sort_by="title")) == ["bob 1"]
