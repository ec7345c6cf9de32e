// One turn of the conversation on screen: the user's message, a card per tool call, the reply and
// how the turn ended. A live turn is fed the stream's events; a past one is built from its record.

import { el } from "./dom.js";
import { describeArguments, describeResult, describeTurnError, formatDuration, toolTitle } from "./format.js";

const ENDINGS = { completed: "", failed: "Failed", stopped: "Stopped", running: "Still answering…" };

class ToolCard {
  constructor(name, args) {
    this.name = name;
    this.title = el("span", { className: "tool-title" });
    this.status = el("span", { className: "tool-status" });
    this.duration = el("span", { className: "tool-duration" });
    this.result = el("span", { className: "tool-result" });
    const described = describeArguments(name, args);
    this.node = el(
      "li",
      { className: "tool-card", dataset: { tool: name } },
      el("div", { className: "tool-head" }, this.title, this.status, this.duration),
      el("p", { className: "tool-detail" }, described && el("span", { className: "tool-args" }, described), this.result),
    );
    this.set("running");
  }

  set(state, { result, error, duration_ms: ms } = {}) {
    this.node.dataset.status = state;
    this.title.textContent = toolTitle(this.name, state);
    this.status.textContent = state === "running" ? "…" : state;
    this.duration.textContent = formatDuration(ms);
    this.result.textContent = state === "error" ? error ?? "" : describeResult(result);
    this.result.hidden = !this.result.textContent;
  }
}

export class TurnView {
  constructor(message) {
    this.cards = new Map();
    this.toolList = el("ol", { className: "tool-cards", "aria-label": "Actions" });
    this.toolList.hidden = true;
    this.text = document.createTextNode("");
    // aria-busy holds the announcement until the reply is complete, instead of word by word.
    this.reply = el("div", { className: "bubble reply", "aria-live": "polite", "aria-busy": "true" }, this.text);
    this.ending = el("p", { className: "turn-ending", hidden: true });
    this.node = el(
      "article",
      { className: "turn", dataset: { state: "streaming" } },
      el("div", { className: "bubble question" }, message),
      this.toolList,
      this.reply,
      this.ending,
    );
  }

  /** Apply one event of the chat stream. Returns true for the turn's last event. */
  apply(type, data) {
    switch (type) {
      case "text_delta":
        this.text.appendData(data.delta);
        return false;
      case "message":
        this.text.data = data.content; // the complete reply is the reference
        return false;
      case "tool_call":
        this.card(data.call_id, data.name, data.arguments);
        return false;
      case "tool_result":
        this.card(data.call_id, data.name, {}).set(data.status, data);
        return false;
      case "done":
        this.end(data.stopped ? "stopped" : "completed");
        return true;
      case "error":
        this.end("failed", describeTurnError(data.code, data.message));
        return true;
      default:
        return false; // "conversation" and any event added later
    }
  }

  card(callId, name, args) {
    let card = this.cards.get(callId);
    if (!card) {
      card = new ToolCard(name, args);
      this.cards.set(callId, card);
      this.toolList.append(card.node);
      this.toolList.hidden = false;
    }
    return card;
  }

  /** state: completed | failed | stopped | running (a past turn still answering somewhere). */
  end(state, detail = "") {
    this.node.dataset.state = state;
    this.reply.setAttribute("aria-busy", String(state === "running"));
    this.reply.hidden = !this.text.data && state !== "running";
    const ending = [ENDINGS[state] ?? state, detail].filter(Boolean).join(": ");
    this.ending.textContent = ending;
    this.ending.hidden = !ending;
  }

  /** A stored turn, from GET /api/conversations/{id}. */
  static fromRecord(turn) {
    const view = new TurnView(turn.user_message.content);
    for (const action of turn.actions) {
      view.card(action.id, action.tool, action.arguments).set(action.status, action);
    }
    view.text.data = turn.assistant_message?.content ?? "";
    const error = turn.error && describeTurnError(turn.error.code, turn.error.message);
    view.end(turn.status, error ?? "");
    return view;
  }
}
