"""The domain: the five task operations, user accounts and the audit trail.

Plain async functions over a database session and the acting user's id. Nothing here knows
about HTTP or the LLM; every interface (REST, agent, MCP) is an adapter over these functions.
"""

from tools.tasks import create_task, delete_task, list_tasks, read_task, update_task

__all__ = ["create_task", "delete_task", "list_tasks", "read_task", "update_task"]
