// DOM helpers. Every string that came from the API (podcast fields, Telegram text, errors) is
// put in the page as text: children are text nodes, attributes go through setAttribute, and
// nothing here (or anywhere in the page) assigns innerHTML.

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? "" : String(value));
  }
  node.append(...children.flat().filter((c) => c !== null && c !== undefined).map(
    (c) => (c instanceof Node ? c : String(c))));
  return node;
}

export function $(id) {
  return document.getElementById(id);
}

export function setText(id, text) {
  $(id).textContent = text === null || text === undefined ? "" : String(text);
}

export function clear(node) {
  node.replaceChildren();
}

// Only http(s) URLs become links or media sources: a javascript: URL from a field never runs.
export function safeUrl(value) {
  if (typeof value !== "string" || !value) return null;
  try {
    const url = new URL(value, document.baseURI);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

// Times as the API gives them (UTC), trimmed to the second: the same on every machine.
export function utc(value) {
  if (!value) return "";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC").replace(/Z$/, " UTC");
}

export function clock(value) {
  if (!value) return "";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toISOString().slice(11, 23);
}

export function minutes(seconds) {
  if (seconds === null || seconds === undefined) return "";
  const total = Math.round(Number(seconds));
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, "0")}`;
}

// The language of a podcast sets the direction of its content: Hebrew reads right to left.
export function directionOf(language) {
  return language === "he" ? "rtl" : "ltr";
}
