// The review queue's filters refresh the list in place (htmx). When that fails, say so in
// words; the form still works as a plain GET without scripts.
//
// The list also follows its courses' review topics live: when a take arrives or leaves, the
// results are read again for the filters in the address bar (the form pushes them there) and
// what changed in view is said in a polite status region. Events are only a nudge: no
// polling, and a dropped connection reads the list again once it is back (what it missed is
// not replayed).

import { realtime, showConnectionState } from "./realtime.js";

const DEBOUNCE_MS = 300; // a burst of events (a batch of takes processed) is one refresh
const RESULTS = "#queue-results";

// What each event means for the person looking at the list, for one take and for several.
const NEWS = {
  "review.take_ready": ["A new take is waiting.", (n) => `${n} new takes are waiting.`],
  "review.take_reviewed": ["A take was reviewed.", (n) => `${n} takes were reviewed.`],
  "review.take_removed": ["A take was deleted.", (n) => `${n} takes were deleted.`],
};

const error = document.getElementById("queue-error");
const news = document.getElementById("queue-news");
const topics = JSON.parse(document.getElementById("review-topics")?.textContent ?? "[]");

function show(text) {
  error.textContent = text;
  error.hidden = !text;
}

// A live refresh is issued from the results themselves; a filter change from the form.
const isLiveRefresh = (event) => event.target.id === "queue-results";

document.body.addEventListener("htmx:beforeRequest", () => show(""));
document.body.addEventListener("htmx:sendError", (event) =>
  show(
    isLiveRefresh(event)
      ? "Could not reach the server to update the queue. Check your connection and reload the page."
      : "Could not reach the server to filter the queue. Check your connection and try again.",
  ),
);
document.body.addEventListener("htmx:responseError", (event) =>
  show(
    `The queue could not be ${isLiveRefresh(event) ? "updated" : "filtered"} (the server answered ${event.detail.xhr.status}). Reload the page and try again.`,
  ),
);

// --- live updates ---------------------------------------------------------------------------

const changed = new Map(); // event type -> ids of the takes it concerned, since the last refresh
let timer = null;

// The takes on this page of results, and how many wait in all (for these filters).
function shown() {
  const results = document.querySelector(RESULTS);
  return {
    clips: new Set([...results.querySelectorAll("[data-clip-id]")].map((row) => row.dataset.clipId)),
    count: Number(results.querySelector("[data-count]")?.dataset.count ?? 0),
  };
}

function refreshSoon() {
  clearTimeout(timer);
  timer = setTimeout(refresh, DEBOUNCE_MS);
}

// How many takes of each event changed what the person sees: arrivals now shown, departures
// that were shown and are gone. A take filtered out changes nothing, so nothing is said.
function newsOfChanges(events, before, after) {
  const ids = (type) => [...(events.get(type) ?? [])];
  const arrived = (id) => after.clips.has(id) && !before.clips.has(id);
  const left = (id) => before.clips.has(id) && !after.clips.has(id);
  const ready = ids("review.take_ready");
  const counts = {
    // Past this page of results, a new take shows only in the count.
    "review.take_ready": ready.filter(arrived).length || Math.min(ready.length, after.count - before.count),
    "review.take_reviewed": ids("review.take_reviewed").filter(left).length,
    "review.take_removed": ids("review.take_removed").filter(left).length,
  };
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([type, n]) => (n === 1 ? NEWS[type][0] : NEWS[type][1](n)))
    .join(" ");
}

async function refresh() {
  // Results for the old filters must not overwrite those of a filter change on its way: wait
  // until it has landed (and put its filters in the address bar).
  if (document.querySelector(".htmx-request")) {
    refreshSoon();
    return;
  }
  const events = new Map(changed);
  changed.clear();
  const before = shown();
  try {
    await htmx.ajax("GET", location.pathname + location.search, {
      source: RESULTS,
      target: RESULTS,
      swap: "outerHTML",
    });
  } catch {
    return; // not sent: the sendError handler has said so
  }
  if (!error.hidden) return; // the server refused: the list is as it was
  const said = newsOfChanges(events, before, shown());
  if (said) news.textContent = said;
}

function shownCourse() {
  return new URLSearchParams(location.search).get("course");
}

function onReviewEvent(frame) {
  if (!(frame.type in NEWS)) return;
  const course = shownCourse();
  if (course && frame.topic !== `review:${course}`) return; // a course the list leaves out
  if (!changed.has(frame.type)) changed.set(frame.type, new Set());
  changed.get(frame.type).add(frame.data?.clip_id);
  refreshSoon();
}

function followQueues() {
  const connection = realtime();
  for (const topic of topics) {
    connection.subscribe(topic, {
      onEvent: onReviewEvent,
      // Refused (no longer this course's teacher): stop asking for it on every reconnect.
      onError: () => connection.unsubscribe(topic),
    });
  }
  let lost = false;
  connection.addEventListener("state", ({ detail: { state } }) => {
    if (state === "retrying") lost = true;
    if (state === "open" && lost) {
      lost = false;
      refreshSoon(); // takes may have come and gone while the connection was down
    }
  });
  showConnectionState(document.getElementById("connection-status"), connection);
}

if (topics.length) followQueues();
