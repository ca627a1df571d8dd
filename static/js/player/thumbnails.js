// The scrubbing sprite's WebVTT map: cues whose text is "sprite.jpg#xywh=x,y,w,h"
// (huey_tasks/media/extras.py sprite_vtt), image URLs relative to the VTT's own URL.

const TIMING = /^\s*((?:\d+:)?\d{1,2}:\d{2}(?:\.\d+)?)\s+-->\s+((?:\d+:)?\d{1,2}:\d{2}(?:\.\d+)?)/;
const FRAGMENT = /#xywh=(\d+),(\d+),(\d+),(\d+)\s*$/;

function vttSeconds(text) {
  const parts = text.split(":").map(Number);
  return parts.reduce((total, part) => total * 60 + part, 0);
}

export function parseThumbnailsVtt(text, baseUrl) {
  const cues = [];
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  for (let index = 0; index < lines.length; index += 1) {
    const timing = TIMING.exec(lines[index]);
    if (!timing) continue;
    const payload = (lines[index + 1] || "").trim();
    const fragment = FRAGMENT.exec(payload);
    if (!fragment) continue;
    let url;
    try {
      url = new URL(payload.slice(0, fragment.index), baseUrl).href;
    } catch {
      continue;
    }
    const [x, y, width, height] = fragment.slice(1).map(Number);
    cues.push({ start: vttSeconds(timing[1]), end: vttSeconds(timing[2]), url, x, y, width, height });
  }
  return cues.sort((a, b) => a.start - b.start);
}

export function thumbnailAt(cues, time) {
  // Binary search for the last cue starting at or before ``time``.
  let low = 0;
  let high = cues.length - 1;
  let found = null;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (cues[middle].start <= time) {
      found = cues[middle];
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found || cues[0] || null;
}
