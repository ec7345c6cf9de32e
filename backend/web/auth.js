// The sign-up / log-in form. Success stores the token for this tab only (sessionStorage).

import { api, session } from "./api.js";
import { byId, setNotice } from "./dom.js";
import { describeHttpError } from "./format.js";

const MODES = {
  login: { title: "Log in", submit: "Log in", prompt: "New here?", other: "Create an account" },
  register: { title: "Create an account", submit: "Sign up", prompt: "Already have an account?", other: "Log in" },
};

/** hooks: onSignedIn(user) */
export function createAuth(hooks) {
  const form = byId("auth-form");
  const email = byId("auth-email");
  const password = byId("auth-password");
  const name = byId("auth-name");
  const notice = byId("auth-notice");
  let mode = "login";

  function setMode(next) {
    mode = next;
    const words = MODES[mode];
    byId("auth-title").textContent = words.title;
    byId("auth-submit").textContent = words.submit;
    byId("auth-prompt").textContent = words.prompt;
    byId("auth-switch").textContent = words.other;
    byId("auth-name-row").hidden = mode !== "register";
    // The server wants 8 characters for new passwords; old ones are whatever they were.
    password.minLength = mode === "register" ? 8 : 0;
    password.autocomplete = mode === "register" ? "new-password" : "current-password";
    setNotice(notice, "");
  }

  byId("auth-switch").addEventListener("click", () => {
    setMode(mode === "login" ? "register" : "login");
    email.focus();
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const submit = byId("auth-submit");
    submit.disabled = true;
    try {
      const auth =
        mode === "register"
          ? await api.register(email.value.trim(), password.value, name.value.trim())
          : await api.login(email.value.trim(), password.value);
      session.set(auth);
      password.value = "";
      hooks.onSignedIn(auth.user);
    } catch (error) {
      setNotice(notice, explain(error));
    } finally {
      submit.disabled = false;
    }
  });

  function explain(error) {
    if (mode === "login" && error.status === 401) return "That email and password do not match an account.";
    if (mode === "register" && error.status === 409) return "An account with this email already exists. Log in instead.";
    return describeHttpError(error);
  }

  /** Show the form, with a message when the user did not ask for it (an expired session). */
  function show(message = "") {
    setMode("login");
    setNotice(notice, message);
    email.focus();
  }

  return { show };
}
