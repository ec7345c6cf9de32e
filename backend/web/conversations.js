// The list of the user's conversations, most recently active first, with "delete" on each.

import { api } from "./api.js";
import { byId, el, setNotice } from "./dom.js";
import { describeHttpError } from "./format.js";

const CONFIRM_MS = 4000;
const WHEN_TODAY = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
const WHEN_EARLIER = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short" });

function when(timestamp) {
  const date = new Date(timestamp);
  const today = new Date().toDateString() === date.toDateString();
  return (today ? WHEN_TODAY : WHEN_EARLIER).format(date);
}

/** hooks: onOpen(id), onDeleted(id) */
export function createConversationList(hooks) {
  const list = byId("conversation-list");
  const empty = byId("conversation-empty");
  const notice = byId("conversations-notice");
  let selected = null;
  let generation = 0; // an older, slower answer must not overwrite a newer one

  async function refresh() {
    const ticket = ++generation;
    let page;
    try {
      page = await api.conversations();
    } catch (error) {
      if (error.status !== 401) setNotice(notice, describeHttpError(error));
      return;
    }
    if (ticket !== generation) return;
    setNotice(notice, "");
    list.replaceChildren(...page.items.map(item));
    empty.hidden = page.items.length > 0;
  }

  function item(conversation) {
    const name = conversation.title || "Untitled";
    const open = el(
      "button",
      { type: "button", className: "conversation-open", dataset: { id: conversation.id } },
      el("span", { className: "conversation-title" }, name),
      el("span", { className: "conversation-when" }, when(conversation.updated_at)),
    );
    if (conversation.id === selected) open.setAttribute("aria-current", "true");
    open.addEventListener("click", () => hooks.onOpen(conversation.id));
    const remove = el("button", { type: "button", className: "conversation-delete", "aria-label": `Delete “${name}”` }, "×");
    remove.addEventListener("click", () => confirmThenDelete(remove, conversation.id, name));
    return el("li", { className: "conversation" }, open, remove);
  }

  // Deleting loses the history, so it takes a second click; the first only asks.
  function confirmThenDelete(button, id, name) {
    if (button.dataset.confirm !== "yes") {
      button.dataset.confirm = "yes";
      button.textContent = "Delete?";
      button.setAttribute("aria-label", `Really delete “${name}”?`);
      setTimeout(() => {
        button.dataset.confirm = "";
        button.textContent = "×";
        button.setAttribute("aria-label", `Delete “${name}”`);
      }, CONFIRM_MS);
      return;
    }
    remove(id);
  }

  async function remove(id) {
    try {
      await api.deleteConversation(id);
    } catch (error) {
      const busy = error.code === "conversation_busy" || error.status === 409;
      const message = busy ? "This conversation is still answering; stop it or wait, then delete it." : describeHttpError(error);
      if (error.status !== 401) setNotice(notice, message);
      return;
    }
    hooks.onDeleted(id);
    await refresh();
  }

  function select(id) {
    selected = id;
    for (const button of list.querySelectorAll(".conversation-open")) {
      if (button.dataset.id === id) button.setAttribute("aria-current", "true");
      else button.removeAttribute("aria-current");
    }
  }

  return { refresh, select };
}
