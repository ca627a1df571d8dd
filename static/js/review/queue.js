// The review queue's filters refresh the list in place (htmx). When that fails, say so in
// words; the form still works as a plain GET without scripts.

const error = document.getElementById("queue-error");

function show(text) {
  error.textContent = text;
  error.hidden = !text;
}

document.body.addEventListener("htmx:beforeRequest", () => show(""));
document.body.addEventListener("htmx:sendError", () =>
  show("Could not reach the server to filter the queue. Check your connection and try again."),
);
document.body.addEventListener("htmx:responseError", (event) =>
  show(`The queue could not be filtered (the server answered ${event.detail.xhr.status}). Reload the page and try again.`),
);
