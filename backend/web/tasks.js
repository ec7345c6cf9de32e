// The task panel beside the chat: what is to do and what is done, refreshed whenever the agent
// touches a task. Its checkboxes complete or reopen a task through the REST API.

import { api } from "./api.js";
import { byId, el, setNotice } from "./dom.js";
import { describeHttpError, formatDate, todayIso } from "./format.js";

const PRIORITY_WORDS = { low: "Low", medium: "Medium", high: "High" };

export function createTaskPanel() {
  const pending = byId("pending-list");
  const done = byId("done-list");
  const notice = byId("tasks-notice");
  let generation = 0; // refreshes overlap while a turn streams; only the newest may render

  async function refresh() {
    const ticket = ++generation;
    let pages;
    try {
      pages = await Promise.all([
        api.tasks({ status: "pending", sort_by: "due_date", order: "asc", limit: 100 }),
        api.tasks({ status: "completed", sort_by: "created_at", order: "desc", limit: 100 }),
      ]);
    } catch (error) {
      if (error.status !== 401) setNotice(notice, describeHttpError(error));
      return;
    }
    if (ticket !== generation) return;
    setNotice(notice, "");
    render(pending, pages[0], "Nothing to do.");
    render(done, pages[1], "Nothing done yet.");
  }

  function render(list, page, emptyText) {
    const items = page.items.map(taskItem);
    if (!items.length) items.push(el("li", { className: "task-empty" }, emptyText));
    if (page.total > page.items.length) {
      items.push(el("li", { className: "task-empty" }, `…and ${page.total - page.items.length} more`));
    }
    list.replaceChildren(...items);
    byId(`${list.id}-count`).textContent = String(page.total);
  }

  function taskItem(task) {
    const id = `task-${task.id}`;
    const checkbox = el("input", { type: "checkbox", id, checked: task.completed });
    checkbox.addEventListener("change", () => setCompleted(checkbox, task.id));
    const overdue = !task.completed && task.due_date && task.due_date < todayIso();
    return el(
      "li",
      { className: "task", dataset: { priority: task.priority } },
      checkbox,
      el("label", { for: id, className: "task-title" }, task.title),
      el(
        "div",
        { className: "task-meta" },
        el("span", { className: `priority priority-${task.priority}` }, `${PRIORITY_WORDS[task.priority] ?? task.priority} priority`),
        task.due_date && el("time", { datetime: task.due_date, className: "due" }, `Due ${formatDate(task.due_date)}`),
        overdue && el("span", { className: "overdue" }, "overdue"),
      ),
    );
  }

  async function setCompleted(checkbox, taskId) {
    checkbox.disabled = true;
    try {
      await api.setCompleted(taskId, checkbox.checked);
    } catch (error) {
      checkbox.checked = !checkbox.checked;
      checkbox.disabled = false;
      if (error.status !== 401) setNotice(notice, describeHttpError(error));
      return;
    }
    await refresh();
    byId(`task-${taskId}`)?.focus(); // the task moved to the other list: keep the keyboard on it
  }

  return { refresh };
}
