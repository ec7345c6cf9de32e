// Runs UI message streams through the Vercel AI SDK's own client code, in each pinned version.
//
// Reads a JSON list of jobs on stdin and writes a JSON list of results (one per job, in order)
// on stdout. Every job names its library ("ai5" or "ai7", npm aliases of `ai`) and one of:
//   {kind: "read", url, headers, body}      POST with fetch; the body through parseJsonEventStream
//                                           (the library's chunk schema) into readUIMessageStream
//   {kind: "send", api, headers, chatId, text}
//                                           DefaultChatTransport.sendMessages, as useChat sends
//   {kind: "resume", api, headers, chatId}  DefaultChatTransport.reconnectToStream, as
//                                           useChat({resume: true}) does (null on 204)
//   {kind: "replay", sse}                   a recorded stream, served to DefaultChatTransport by
//                                           its own `fetch`
// A result is {message, errors, chunks, status?}: the final UIMessage, what the library reported
// through onError (an `error` chunk's text, or what it refused), and how many chunks it parsed.
import * as ai5 from "ai5";
import * as ai7 from "ai7";

const LIBRARIES = { ai5, ai7 };

async function main() {
  const jobs = JSON.parse(await text(process.stdin));
  const results = [];
  for (const job of jobs) {
    try {
      results.push(await run(LIBRARIES[job.library], job));
    } catch (error) {
      results.push({ failed: `${error?.name}: ${error?.message ?? error}` });
    }
  }
  process.stdout.write(JSON.stringify(results));
}

async function run(ai, job) {
  switch (job.kind) {
    case "read": {
      const response = await fetch(job.url, {
        method: "POST",
        headers: { "content-type": "application/json", ...job.headers },
        body: JSON.stringify(job.body),
      });
      const chunks = ai
        .parseJsonEventStream({ stream: response.body, schema: ai.uiMessageChunkSchema })
        .pipeThrough(
          new TransformStream({
            transform(parsed, controller) {
              if (!parsed.success) throw parsed.error;
              controller.enqueue(parsed.value);
            },
          }),
        );
      return { status: response.status, headers: Object.fromEntries(response.headers), ...(await read(ai, chunks)) };
    }
    case "send": {
      const transport = new ai.DefaultChatTransport({ api: job.api, headers: job.headers });
      const stream = await transport.sendMessages({
        chatId: job.chatId,
        trigger: "submit-message",
        messageId: undefined,
        messages: [{ id: "user-1", role: "user", parts: [{ type: "text", text: job.text }] }],
        abortSignal: undefined,
      });
      return read(ai, stream);
    }
    case "resume": {
      const transport = new ai.DefaultChatTransport({ api: job.api, headers: job.headers });
      const stream = await transport.reconnectToStream({ chatId: job.chatId });
      return stream === null ? { resumed: false } : { resumed: true, ...(await read(ai, stream)) };
    }
    case "replay": {
      const served = async () =>
        new Response(job.sse, { headers: { "content-type": "text/event-stream" } });
      const transport = new ai.DefaultChatTransport({ api: "http://replay.invalid/api/chat/ui", fetch: served });
      const stream = await transport.sendMessages({
        chatId: "replay",
        trigger: "submit-message",
        messageId: undefined,
        messages: [],
        abortSignal: undefined,
      });
      return read(ai, stream);
    }
    default:
      throw new Error(`unknown job kind ${job.kind}`);
  }
}

// The library's reading of a chunk stream: its last UIMessage snapshot and what it reported.
async function read(ai, stream) {
  let chunks = 0;
  const counted = stream.pipeThrough(
    new TransformStream({
      transform(chunk, controller) {
        chunks += 1;
        controller.enqueue(chunk);
      },
    }),
  );
  const errors = [];
  let message = null;
  const snapshots = ai.readUIMessageStream({
    stream: counted,
    onError: (error) => errors.push(error?.message ?? String(error)),
  });
  for await (const snapshot of snapshots) message = snapshot;
  return { message, errors, chunks };
}

async function text(stream) {
  let data = "";
  for await (const piece of stream) data += piece;
  return data;
}

await main();
