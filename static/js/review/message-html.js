// A thread message's `html` from the API, rebuilt node by node into the page. The server
// already renders it safely (escaped text, <strong>, <code>, <br> and http(s) links); this
// keeps exactly those, so a server bug can never become script in the page.

const KEPT = new Set(["STRONG", "CODE", "BR"]);

function safeHref(value) {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

function copy(node) {
  if (node.nodeType === Node.TEXT_NODE) return document.createTextNode(node.textContent);
  if (node.nodeType !== Node.ELEMENT_NODE) return null;
  const children = [...node.childNodes].map(copy).filter(Boolean);
  if (node.tagName === "A") {
    const href = safeHref(node.getAttribute("href") || "");
    if (!href) return document.createTextNode(node.textContent);
    const link = document.createElement("a");
    link.href = href;
    link.rel = "nofollow noopener";
    link.append(...children);
    return link;
  }
  if (KEPT.has(node.tagName)) {
    const element = document.createElement(node.tagName.toLowerCase());
    element.append(...children);
    return element;
  }
  return document.createTextNode(node.textContent);
}

export function messageFragment(html) {
  // A parsed document that is never shown runs no script and loads nothing.
  const parsed = new DOMParser().parseFromString(String(html), "text/html");
  const fragment = document.createDocumentFragment();
  fragment.append(...[...parsed.body.childNodes].map(copy).filter(Boolean));
  return fragment;
}
