"""`/api/agent/tasks`: each answer is `{result, actions}` with this request's audit rows."""

import uuid

import httpx2

from tests.factories import AuthedUser


def only_action(body: dict, tool: str) -> dict:
    (action,) = body["actions"]
    assert (action["tool"], action["status"], action["source"]) == (tool, "ok", "agent_api")
    return action


async def test_all_five_operations(client: httpx2.AsyncClient, alice: AuthedUser) -> None:
    base = "/api/agent/tasks"
    created = await client.post(base, json={"title": "Report", "priority": "high"}, headers=alice.headers)
    assert created.status_code == 201
    task = created.json()["result"]
    action = only_action(created.json(), "create_task")
    assert action["arguments"] == {
        "title": "Report",
        "description": None,
        "priority": "high",
        "due_date": None,
    }
    assert action["result"] == task

    read = (await client.get(f"{base}/{task['id']}", headers=alice.headers)).json()
    assert read["result"] == task
    assert only_action(read, "read_task")["arguments"] == {"task_id": task["id"]}

    updated = (
        await client.patch(f"{base}/{task['id']}", json={"completed": True}, headers=alice.headers)
    ).json()
    assert updated["result"]["completed"] is True
    assert only_action(updated, "update_task")["arguments"] == {"task_id": task["id"], "completed": True}

    listed = (await client.get(base, params={"status": "completed"}, headers=alice.headers)).json()
    assert [t["id"] for t in listed["result"]["items"]] == [task["id"]]
    assert only_action(listed, "list_tasks")["arguments"] == {"status": "completed"}

    deleted = await client.delete(f"{base}/{task['id']}", headers=alice.headers)
    assert deleted.status_code == 200
    assert deleted.json()["result"]["id"] == task["id"]
    only_action(deleted.json(), "delete_task")
    assert (await client.get(f"/api/tasks/{task['id']}", headers=alice.headers)).status_code == 404


async def test_request_id_is_on_the_audit_row(client: httpx2.AsyncClient, alice: AuthedUser) -> None:
    response = await client.post(
        "/api/agent/tasks", json={"title": "traced"}, headers={**alice.headers, "X-Request-ID": "trace-123"}
    )
    assert response.json()["actions"][0]["request_id"] == "trace-123"


async def test_not_found_is_404_and_recorded(client: httpx2.AsyncClient, alice: AuthedUser) -> None:
    missing = uuid.uuid4()
    response = await client.get(f"/api/agent/tasks/{missing}", headers=alice.headers)
    assert response.status_code == 404
    trail = (await client.get("/api/actions", params={"source": "agent_api"}, headers=alice.headers)).json()
    assert trail["items"][0]["status"] == "error"
    assert trail["items"][0]["error"] == f"task {missing} not found"
