// Server-Sent Events over fetch(): EventSource cannot send an Authorization header or a POST body,
// so the page reads the response body itself. The parser follows the WHATWG event-stream rules:
// lines end in CRLF, LF or CR; "field: value" lines build an event; a blank line dispatches it;
// lines starting with ":" are comments (the server's keep-alive pings); the last id carries over.

export class SseParser {
  constructor() {
    this.buffer = "";
    this.type = "";
    this.data = [];
    this.lastId = "";
  }

  /** Feed decoded text; returns the events it completed, as {event, data, id}. */
  push(text) {
    this.buffer += text;
    // A trailing CR may be the first half of a CRLF split across chunks: wait for the next one.
    const complete = this.buffer.endsWith("\r") ? this.buffer.slice(0, -1) : this.buffer;
    const lines = complete.split(/\r\n|\r|\n/);
    const partial = lines.pop();
    this.buffer = partial + this.buffer.slice(complete.length);
    const events = [];
    for (const line of lines) {
      const event = this.line(line);
      if (event) events.push(event);
    }
    return events;
  }

  line(line) {
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) return null;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.type = value;
    else if (field === "data") this.data.push(value);
    else if (field === "id" && !value.includes("\0")) this.lastId = value;
    // "retry" and unknown fields are ignored: reconnecting is the page's own decision.
    return null;
  }

  dispatch() {
    const event = this.data.length
      ? { event: this.type || "message", data: this.data.join("\n"), id: this.lastId }
      : null;
    this.type = "";
    this.data = [];
    return event;
  }
}

/** The events of a fetch() response body, as they arrive. An unfinished last event is dropped. */
export async function* readEvents(body) {
  const parser = new SseParser();
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      yield* parser.push(value);
    }
  } finally {
    // Leaving early (a terminal event, an abort) must not leave the connection open.
    reader.cancel().catch(() => {});
  }
}
