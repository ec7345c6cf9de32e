// The page's entry point: which view shows (log in, or the app), and how the parts talk.

import { onUnauthorized, session } from "./api.js";
import { createAuth } from "./auth.js";
import { createChat, selectedConversation } from "./chat.js";
import { createConversationList } from "./conversations.js";
import { byId } from "./dom.js";
import { createTaskPanel } from "./tasks.js";

const loginView = byId("login-view");
const appView = byId("app-view");

const tasks = createTaskPanel();
const conversations = createConversationList({
  onOpen: (id) => {
    closePanels();
    // Reopening the conversation that is streaming would only cut and resume its stream.
    if (id === chat.current() && chat.streaming()) chat.focus();
    else chat.open(id);
  },
  onDeleted: (id) => {
    if (chat.current() === id) chat.startNew();
  },
});
const chat = createChat({
  onSelected: (id) => conversations.select(id),
  onConversationsChanged: () => conversations.refresh(),
  onTasksChanged: () => tasks.refresh(),
});
const auth = createAuth({ onSignedIn: enter });

function enter(user) {
  loginView.hidden = true;
  appView.hidden = false;
  byId("user-name").textContent = user.name || user.email;
  conversations.refresh();
  tasks.refresh();
  const selected = selectedConversation();
  if (selected) chat.open(selected);
  else chat.startNew();
}

function leave(message) {
  chat.detach();
  closePanels();
  session.clear();
  appView.hidden = true;
  loginView.hidden = false;
  auth.show(message);
}

onUnauthorized(() => leave("Your session has ended. Please log in again."));
byId("logout").addEventListener("click", () => leave(""));
byId("new-chat").addEventListener("click", () => {
  closePanels();
  chat.startNew();
});

// On narrow screens the conversation list and the task panel are toggled over the chat.
const toggles = [byId("toggle-conversations"), byId("toggle-tasks")];

function closePanels() {
  for (const toggle of toggles) setPanel(toggle, false);
}

function setPanel(toggle, open) {
  toggle.setAttribute("aria-expanded", String(open));
  const panel = byId(toggle.getAttribute("aria-controls"));
  panel.classList.toggle("open", open);
  if (open) panel.querySelector(".panel-title").focus(); // keyboard users land inside the sheet
}

for (const toggle of toggles) {
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    closePanels();
    setPanel(toggle, open);
  });
}
document.addEventListener("keydown", (event) => {
  const open = toggles.find((toggle) => toggle.getAttribute("aria-expanded") === "true");
  if (event.key === "Escape" && open) {
    closePanels();
    open.focus();
  }
});

const saved = session.get();
if (saved?.token) enter(saved.user);
else leave("");
