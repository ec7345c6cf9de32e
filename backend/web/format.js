// Turning the API's data into words: tool calls, dates, durations and error codes.

const TOOL_WORDS = {
  create_task: { running: "Creating task", ok: "Created task", error: "Could not create task" },
  read_task: { running: "Looking up task", ok: "Looked up task", error: "Could not look up task" },
  update_task: { running: "Updating task", ok: "Updated task", error: "Could not update task" },
  delete_task: { running: "Deleting task", ok: "Deleted task", error: "Could not delete task" },
  list_tasks: { running: "Listing tasks", ok: "Listed tasks", error: "Could not list tasks" },
};

/** "Created task", "Listing tasks"...; a tool this page does not know keeps its own name. */
export function toolTitle(name, state) {
  return TOOL_WORDS[name]?.[state] ?? name;
}

const LIST_STATUS = { pending: "to do", completed: "done" };
const SORT_WORDS = { created_at: "by creation", due_date: "by due date", priority: "by priority", title: "by title" };

/** The arguments in words, e.g. "Call the dentist · high priority · due Fri 27 Nov". */
export function describeArguments(name, args = {}) {
  const parts = [];
  if (args.title !== undefined) parts.push(name === "update_task" ? `rename to “${args.title}”` : args.title);
  if (args.completed === true) parts.push("mark done");
  if (args.completed === false) parts.push("reopen");
  if (args.priority) parts.push(`${args.priority} priority`);
  if (args.due_date) parts.push(`due ${formatDate(args.due_date)}`);
  if (args.description) parts.push("with a description");
  // null clears a field in an update; elsewhere it only means "not given".
  if (name === "update_task" && args.due_date === null) parts.push("no due date");
  if (name === "update_task" && args.description === null) parts.push("no description");
  if (LIST_STATUS[args.status]) parts.push(LIST_STATUS[args.status]);
  if (args.search) parts.push(`matching “${args.search}”`);
  if (args.due_after) parts.push(`due from ${formatDate(args.due_after)}`);
  if (args.due_before) parts.push(`due by ${formatDate(args.due_before)}`);
  if (args.sort_by) parts.push(SORT_WORDS[args.sort_by] ?? args.sort_by);
  if (args.offset) parts.push(`from #${args.offset + 1}`);
  if (!parts.length && name === "list_tasks") parts.push("all tasks");
  const known = TOOL_WORDS[name] !== undefined;
  if (!known) for (const [key, value] of Object.entries(args)) parts.push(`${key}: ${JSON.stringify(value)}`);
  return parts.join(" · ");
}

/** The result in short: the task's title, or how many tasks a list found. A list's audit row
 * keeps the ids it returned (`ids`); a page itself has its `items`. */
export function describeResult(result) {
  if (!result || typeof result !== "object") return "";
  const shown = Array.isArray(result.ids) ? result.ids : result.items;
  if (Array.isArray(shown)) {
    const count = (n) => `${n} ${n === 1 ? "task" : "tasks"}`;
    return shown.length < result.total ? `${shown.length} of ${count(result.total)}` : count(result.total);
  }
  if (typeof result.title === "string") return `“${result.title}”`;
  return "";
}

export function formatDuration(ms) {
  if (typeof ms !== "number") return "";
  return ms < 1000 ? `${Math.max(1, Math.round(ms))} ms` : `${(ms / 1000).toFixed(1)} s`;
}

// A due date is a calendar day ("2026-11-27"), already the user's day: the server read "Friday"
// in the browser's time zone. Format it as that day, in UTC, so no zone can shift it.
const DAY = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" });
const DAY_WITH_YEAR = new Intl.DateTimeFormat(undefined, {
  weekday: "short",
  day: "numeric",
  month: "short",
  year: "numeric",
  timeZone: "UTC",
});

export function formatDate(iso) {
  const [year, month, day] = iso.split("-").map(Number);
  if (!year || !month || !day) return iso;
  const format = year === Number(todayIso().slice(0, 4)) ? DAY : DAY_WITH_YEAR;
  return format.format(new Date(Date.UTC(year, month - 1, day)));
}

/** Today in the browser's time zone, as YYYY-MM-DD (the "en-CA" format is ISO-like). */
export function todayIso() {
  return new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
}

const TURN_ERRORS = {
  model_unavailable: "The assistant's model could not be reached. Try again in a moment.",
  model_timeout: "The model took too long to answer. Try again.",
  model_invalid_response: "The model's answer could not be read. Try again.",
  model_auth_failed: "The server's credentials for the model were refused. Tell whoever runs this server.",
  model_error: "The model reported an error.",
  max_turns_exceeded: "The assistant needed too many steps and gave up. Try a simpler request.",
  turn_timeout: "The answer took too long and was cut off.",
  internal_error: "Something went wrong on the server.",
  server_shutdown: "The server restarted while answering. Send the message again.",
  storage_unavailable: "The answer could not be saved: the database is unavailable.",
  interrupted: "The answer was interrupted before it finished.",
};

/** A failed turn's error in words; an unknown code shows the server's own message. */
export function describeTurnError(code, message) {
  if (TURN_ERRORS[code]) return TURN_ERRORS[code];
  if (code?.startsWith("replay_")) return `The recorded conversation did not match: ${message ?? code}`;
  return message || code || "The answer failed.";
}

/** An HTTP error (ApiError) in words, with what the user can do about it. */
export function describeHttpError(error) {
  const wait = error.retryAfter ? ` Try again in ${error.retryAfter} s.` : " Try again in a moment.";
  switch (error.code) {
    case "conversation_busy":
      return "This conversation is still answering the previous message. Wait for it to finish, or stop it.";
    case "rate_limited":
      return `Too many requests.${wait}`;
    case "shutting_down":
    case "overloaded":
      return `The server is busy.${wait}`;
    default:
      break;
  }
  // 422 and the rest: the server's message already names the field and the problem.
  return error.message || `Request failed (${error.status}).`;
}
