// The player's keyboard shortcuts (the help overlay lists them: template.js SHORTCUTS).
// Each key maps to what it does to a player; letters work in either case.

const SEEK_STEP = 5;

const ACTIONS = {
  " ": (player) => player.togglePlay(),
  k: (player) => player.togglePlay(),
  j: (player) => player.seekBy(-SEEK_STEP),
  l: (player) => player.seekBy(SEEK_STEP),
  ArrowLeft: (player) => player.seekBy(-1),
  ArrowRight: (player) => player.seekBy(1),
  ",": (player) => player.stepFrames(-1),
  ".": (player) => player.stepFrames(1),
  "<": (player) => player.changeSpeed(-1),
  ">": (player) => player.changeSpeed(1),
  "[": (player) => player.markLoopStart(),
  "]": (player) => player.markLoopEnd(),
  "\\": (player) => player.clearLoop(),
  m: (player) => {
    player.mirrored = !player.mirrored;
  },
  f: (player) => player.toggleFullscreen(),
  "?": (player) => player.toggleHelp(),
};

// Typing in a field (the compare offset, the page's own inputs) is never a shortcut.
export function isTyping(target) {
  if (!target) return false;
  const tag = target.tagName;
  return tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || target.isContentEditable;
}

// What ``event`` does, or null. Space on a focused button presses the button instead, and
// while a drawing is being made only the help key works (the frame must stay put).
export function shortcutFor(event, { target, drawing }) {
  if (event.ctrlKey || event.metaKey || event.altKey || isTyping(target)) return null;
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  if (drawing && key !== "?") return null;
  if (key === " " && target?.tagName === "BUTTON") return null;
  return ACTIONS[key] || null;
}
