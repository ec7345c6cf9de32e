"""deploy/grafana: an importable dashboard whose every query names metrics the app exposes."""

import json
import re
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from tests.chat import chat_app
from tests.provider import call, failure, text

DASHBOARD = Path(__file__).parents[2] / "deploy" / "grafana" / "todo-chat-agent.json"
# What PromQL writes between names that are not metrics: matchers, ranges, grouping clauses.
_NOT_NAMES = re.compile(
    r'\{[^}]*\}|\[[^\]]*\]|\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)|"[^"]*"'
)
_KEYWORDS = {
    "and",
    "or",
    "unless",
    "bool",
    "offset",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
}


def queries(dashboard: dict[str, Any]) -> list[str]:
    found = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    return found + [variable["definition"] for variable in dashboard["templating"]["list"]]


def metric_names(query: str) -> set[str]:
    """The metrics a query reads: identifiers that are not functions, keywords or labels."""
    bare = _NOT_NAMES.sub(" ", query.replace("label_values(", "label_values_of("))
    names = set(re.findall(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()", bare))
    return {name for name in names if name not in _KEYWORDS and not name.startswith("$")} - {"job"}


def grouping_labels(query: str) -> set[str]:
    clauses = re.findall(r"\bby\s*\(([^)]*)\)", query)
    return {label.strip() for clause in clauses for label in clause.split(",")} - {"le"}


def test_the_name_extraction_sees_what_it_must() -> None:
    assert metric_names('sum by (a) (rate(x_total{b="c"}[5m])) / ignoring (a) group_left sum(y)') == {
        "x_total",
        "y",
    }
    assert metric_names("label_values(up_total, job)") == {"up_total"}
    assert grouping_labels("histogram_quantile(0.5, sum by (le, route) (rate(z[1m])))") == {"route"}


def test_the_dashboard_is_importable() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert [i["name"] for i in dashboard["__inputs"]] == ["DS_PROMETHEUS"]
    assert dashboard["uid"] and dashboard["title"]
    assert len({panel["id"] for panel in dashboard["panels"]}) == len(dashboard["panels"])
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == "${DS_PROMETHEUS}", panel["title"]
        assert panel["targets"], panel["title"]


async def test_every_metric_the_dashboard_queries_exists(database_url: str) -> None:
    steps = (call("create_task", {"title": "Milk"}), text("Added."), failure(500))
    async with chat_app(database_url, *steps) as chat:
        await chat.events("add milk")
        await chat.events("and bread")
        await chat.client.get("/api/tasks", headers=chat.user.headers)
        exposition = (await chat.client.get("/metrics")).text
    labels: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            labels.setdefault(sample.name, set()).update(sample.labels)

    for query in queries(json.loads(DASHBOARD.read_text())):
        names = metric_names(query)
        assert names, query
        assert names <= labels.keys(), f"{query}: {names - labels.keys()} not exposed"
        available = set().union(*(labels[name] for name in names))
        assert grouping_labels(query) <= available, f"{query}: grouped by labels no metric has"
