// Every node on this page is built here, with createElement and text nodes: no string is ever
// parsed as HTML, so a reply from the model or a task title can never become markup.

/**
 * el("li", {className: "card", dataset: {tool: "x"}, "aria-label": "..."}, "text", childNode)
 * Strings among the children become text nodes; null, undefined and false are skipped.
 */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "className") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child !== undefined && child !== null && child !== false) node.append(child);
  }
  return node;
}

export const byId = (id) => document.getElementById(id);

/** Show one message in a notice region (role="alert" in the page), or clear it with "". */
export function setNotice(node, message) {
  node.textContent = message;
  node.hidden = !message;
}
