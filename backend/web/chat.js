// The conversation in the middle of the page: opening one, sending a message and following the
// turn's event stream, stopping it, and picking a running turn back up after a reload.

import { api } from "./api.js";
import { byId, el, setNotice } from "./dom.js";
import { describeHttpError } from "./format.js";
import { readEvents } from "./sse.js";
import { TurnView } from "./transcript.js";

const SELECTED_KEY = "todo.conversation";
const RESUME_ATTEMPTS = 3;
const SUGGESTIONS = [
  "Add a high priority task for Friday to call the dentist",
  "Show my pending tasks",
  "Mark the dentist task done",
];

// How far the running turn's stream got, per conversation: the events shown and the last one's
// id. After a reload the page shows these at once and asks the server (GET .../stream with
// Last-Event-ID) only for what follows, so no text shows twice. Without them (another tab, an
// older turn), the server replays the turn from its start.
const progress = {
  key: (id) => `todo.stream.${id}`,
  load(id) {
    try {
      return JSON.parse(sessionStorage.getItem(this.key(id)) ?? "null");
    } catch {
      return null;
    }
  },
  save(id, value) {
    sessionStorage.setItem(this.key(id), JSON.stringify(value));
  },
  clear(id) {
    sessionStorage.removeItem(this.key(id));
  },
};

export const selectedConversation = () => sessionStorage.getItem(SELECTED_KEY);

/** hooks: onSelected(id|null), onConversationsChanged(), onTasksChanged() */
export function createChat(hooks) {
  const transcript = byId("transcript");
  const title = byId("chat-title");
  const input = byId("composer-input");
  const sendButton = byId("send");
  const stopButton = byId("stop");
  const notice = byId("chat-notice");
  let current = null; // the open conversation's id; null for a new chat
  let live = null; // the turn being streamed: {view, controller, conversationId, turnId, saved}
  let opening = 0; // a newer click on a conversation wins over an older, slower one

  byId("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    send(input.value.trim());
  });
  input.addEventListener("keydown", (event) => {
    // Enter sends; Shift+Enter is a newline; Enter that confirms an IME composition is neither.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send(input.value.trim());
    }
  });
  stopButton.addEventListener("click", stop);

  function select(id, heading) {
    current = id;
    if (id) sessionStorage.setItem(SELECTED_KEY, id);
    else sessionStorage.removeItem(SELECTED_KEY);
    title.textContent = heading;
    hooks.onSelected(id);
  }

  function setStreaming(on) {
    sendButton.hidden = on;
    stopButton.hidden = !on;
    // Stopping names the conversation: a new chat's id comes with its first event.
    stopButton.disabled = !live?.conversationId;
    stopButton.textContent = "Stop";
  }

  function show(view) {
    transcript.querySelector(".welcome")?.remove();
    transcript.append(view.node);
    transcript.scrollTop = transcript.scrollHeight;
    return view;
  }

  function welcome() {
    const buttons = SUGGESTIONS.map((text) => {
      const button = el("button", { type: "button", className: "suggestion" }, text);
      button.addEventListener("click", () => {
        input.value = text;
        input.focus();
      });
      return button;
    });
    return el(
      "div",
      { className: "welcome" },
      el("p", {}, "Tell me what to do with your tasks. For example:"),
      el("div", { className: "suggestions" }, ...buttons),
    );
  }

  /** Leave the live stream (the turn goes on at the server; opening it again resumes it). */
  function detach() {
    const turn = live;
    live = null;
    turn?.controller.abort();
    setStreaming(false);
  }

  function startNew() {
    detach();
    opening += 1;
    select(null, "New chat");
    transcript.replaceChildren(welcome());
    setNotice(notice, "");
    input.focus();
  }

  async function open(id, { resume = true } = {}) {
    detach();
    const ticket = ++opening;
    let detail;
    try {
      detail = await api.conversation(id);
    } catch (error) {
      if (ticket !== opening) return;
      startNew();
      if (error.status !== 401) setNotice(notice, describeHttpError(error));
      return;
    }
    if (ticket !== opening) return;
    select(detail.id, detail.title);
    setNotice(notice, "");
    const last = detail.turns.at(-1);
    const running = last?.status === "running" ? last : null;
    const views = detail.turns.filter((turn) => turn !== running).map((turn) => TurnView.fromRecord(turn).node);
    transcript.replaceChildren(...views);
    if (!views.length && !running) transcript.append(welcome());
    transcript.scrollTop = transcript.scrollHeight;
    input.focus();
    if (running && resume) await resumeTurn(detail.id, running);
    else if (running) show(TurnView.fromRecord(running));
  }

  async function send(message) {
    if (!message || live) return;
    setNotice(notice, "");
    input.value = "";
    input.focus();
    const turn = startTurn(show(new TurnView(message)), current);
    try {
      await follow(turn, await api.chat(message, current, turn.controller.signal));
    } catch (error) {
      if (error.name === "AbortError" || live !== turn) return;
      if (!turn.turnId) {
        // Refused before it started (busy, rate limited, invalid): nothing was sent; say why.
        turn.view.node.remove();
        input.value ||= message;
        setNotice(notice, describeHttpError(error));
        finish(turn);
      } else {
        await lost(turn, error);
      }
    }
  }

  async function resumeTurn(conversationId, record) {
    const turn = startTurn(show(new TurnView(record.user_message.content)), conversationId);
    turn.turnId = record.user_message.id;
    const saved = progress.load(conversationId);
    if (saved?.turnId === turn.turnId) {
      turn.saved = saved;
      for (const { event, data } of saved.events) turn.view.apply(event, data);
    } else {
      progress.clear(conversationId); // a position in an older turn would replay that turn
    }
    try {
      await follow(turn, await api.resume(conversationId, turn.saved?.lastId, turn.controller.signal));
    } catch (error) {
      if (error.name !== "AbortError" && live === turn) await lost(turn, error);
    }
  }

  function startTurn(view, conversationId) {
    live = { view, controller: new AbortController(), conversationId, turnId: null, saved: null };
    setStreaming(true);
    return live;
  }

  // Reads the turn's events into its view until its last event, reconnecting where it left off
  // if the connection drops. A 204 means the turn ended meanwhile: its stored record is the answer.
  async function follow(turn, response) {
    for (let attempt = 1; ; attempt++) {
      if (response.status === 204) return settled(turn);
      if (await read(turn, response)) return finish(turn);
      if (live !== turn) return;
      if (attempt > RESUME_ATTEMPTS || !turn.conversationId) return lost(turn, null);
      await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
      if (live !== turn) return;
      response = await api.resume(turn.conversationId, turn.saved?.lastId, turn.controller.signal);
    }
  }

  async function read(turn, response) {
    for await (const { event, data, id } of readEvents(response.body)) {
      if (live !== turn) return false;
      const payload = JSON.parse(data);
      if (event === "conversation") started(turn, payload);
      remember(turn, event, payload, id);
      const atBottom = transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 80;
      const last = turn.view.apply(event, payload);
      if (atBottom) transcript.scrollTop = transcript.scrollHeight;
      if (event === "tool_result") hooks.onTasksChanged();
      if (last) return true;
    }
    return false;
  }

  function started(turn, { conversation_id: id, user_message_id: turnId }) {
    turn.conversationId = id;
    turn.turnId = turnId;
    stopButton.disabled = false;
    if (current === null) {
      select(id, turn.view.node.querySelector(".question").textContent);
      hooks.onConversationsChanged();
    }
  }

  function remember(turn, event, payload, id) {
    if (!turn.conversationId) return;
    if (event === "done" || event === "error") return progress.clear(turn.conversationId);
    turn.saved ??= { turnId: turn.turnId, lastId: "", events: [] };
    const previous = turn.saved.events.at(-1);
    // Adjacent deltas are kept as one, so the saved state grows with the reply, not its word count.
    if (event === "text_delta" && previous?.event === "text_delta") previous.data.delta += payload.delta;
    else turn.saved.events.push({ event, data: { ...payload } });
    turn.saved.lastId = id;
    progress.save(turn.conversationId, turn.saved);
  }

  function finish(turn) {
    if (live !== turn) return;
    live = null;
    setStreaming(false);
    hooks.onTasksChanged();
    hooks.onConversationsChanged();
    input.focus();
  }

  async function settled(turn) {
    finish(turn);
    progress.clear(turn.conversationId);
    await open(turn.conversationId, { resume: false });
  }

  // The stream cannot be followed any more: show what the server has stored for the turn.
  async function lost(turn, error) {
    finish(turn);
    if (!turn.conversationId) return setNotice(notice, "The connection was lost before the answer started.");
    await open(turn.conversationId, { resume: false });
    const reason = error ? describeHttpError(error) : "the connection was lost";
    setNotice(notice, `Could not follow the answer (${reason}). Reopen the conversation to see it.`);
  }

  async function stop() {
    const id = live?.conversationId;
    if (!id) return;
    stopButton.disabled = true;
    stopButton.textContent = "Stopping…";
    try {
      await api.stop(id); // the stream then ends with done {stopped: true}
    } catch (error) {
      if (error.code === "no_running_turn") return; // it finished on its own meanwhile
      setNotice(notice, describeHttpError(error));
      stopButton.disabled = false;
      stopButton.textContent = "Stop";
    }
  }

  return {
    open,
    startNew,
    detach,
    current: () => current,
    streaming: () => live !== null,
    focus: () => input.focus(),
  };
}
