// The reference video's status on the exercise edit form (Wagtail admin): while the video is
// being prepared, fetch the fragment again every few seconds and swap it in; a settled
// fragment carries no poll URL, which ends the loop.
const SELECTOR = "[data-practika-poll]";

function schedule(element) {
  const seconds = Number(element.dataset.practikaPollSeconds || "3");
  window.setTimeout(() => refresh(element), seconds * 1000);
}

async function refresh(element) {
  try {
    const response = await fetch(element.dataset.practikaPoll, {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const holder = document.createElement("div");
    holder.innerHTML = (await response.text()).trim();
    const next = holder.firstElementChild;
    if (!next) return; // the video was removed from the page
    element.replaceWith(next);
    if (next.matches(SELECTOR)) schedule(next);
  } catch {
    schedule(element); // offline for a moment: try again later
  }
}

document.querySelectorAll(SELECTOR).forEach(schedule);
