// The player's shadow DOM. Static markup only: everything a user or the API wrote is put in
// later with textContent and setAttribute.

const icon = (path) =>
  `<svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false"><path d="${path}"/></svg>`;

export const ICONS = {
  play: icon("M8 5v14l11-7z"),
  pause: icon("M6 5h4v14H6zm8 0h4v14h-4z"),
  frameBack: icon("M6 6h2v12H6zm3.5 6 8.5 6V6z"),
  frameForward: icon("M16 6h2v12h-2zM6 18l8.5-6L6 6z"),
  clearLoop: icon("M19 6.41 17.59 5 12 10.59 6.41 5 5 6.41 10.59 12 5 17.59 6.41 19 12 13.41 17.59 19 19 17.59 13.41 12z"),
  mirror: icon("M11 2h2v20h-2zM9 6v12L3 18zm6 0 6 12h-6z"),
  compare: icon("M3 5h8v14H3zm10 0h8v14h-8zm2 2v10h4V7z"),
  volume: icon("M3 9v6h4l5 5V4L7 9zm13.5 3A4.5 4.5 0 0 0 14 8v8a4.5 4.5 0 0 0 2.5-4z"),
  muted: icon("M16.5 12A4.5 4.5 0 0 0 14 8v2.2l2.45 2.45c.03-.2.05-.42.05-.65zM19 12c0 .94-.2 1.82-.54 2.64l1.51 1.51A8.8 8.8 0 0 0 21 12c0-4.28-2.99-7.86-7-8.77v2.06c2.89.86 5 3.54 5 6.71zM4.27 3 3 4.27 7.73 9H3v6h4l5 5v-6.73l4.25 4.25c-.67.52-1.42.93-2.25 1.18v2.06a8.99 8.99 0 0 0 3.69-1.81L19.73 21 21 19.73l-9-9zM12 4 9.91 6.09 12 8.18z"),
  fullscreen: icon("M7 14H5v5h5v-2H7zm-2-4h2V7h3V5H5zm12 7h-3v2h5v-5h-2zM14 5v2h3v3h2V5z"),
  exitFullscreen: icon("M5 16h3v3h2v-5H5zm3-8H5v2h5V5H8zm6 11h2v-3h3v-2h-5zm2-11V5h-2v5h5V8z"),
};

export const SPEEDS = [0.25, 0.5, 0.75, 1, 1.25, 1.5, 2];

export const SHORTCUTS = [
  ["Space or K", "Play or pause"],
  ["J / L", "Back / forward 5 seconds"],
  ["← / →", "Back / forward 1 second"],
  [", / .", "Previous / next frame"],
  ["< / >", "Slower / faster"],
  ["[", "Set the loop start (A)"],
  ["]", "Set the loop end (B)"],
  ["\\", "Clear the loop"],
  ["M", "Mirror the video"],
  ["F", "Full screen"],
  ["?", "Show or hide this help"],
  ["Esc", "Close this help"],
];

const speedOptions = SPEEDS.map(
  (speed) => `<option value="${speed}"${speed === 1 ? " selected" : ""}>${speed}×</option>`,
).join("");

// Filled with textContent by the player: "<" and "\\" need no escaping there.
const shortcutRows = SHORTCUTS.map(() => `<div class="help-row"><dt><kbd></kbd></dt><dd></dd></div>`).join("");

export const TEMPLATE = `
<div class="player" data-player role="region" aria-label="Video player">
  <div class="stages" data-stages>
    <div class="stage" data-stage tabindex="0" aria-describedby="stage-hint">
      <div class="frame" data-frame>
        <video data-video playsinline preload="metadata"></video>
        <canvas class="annotations" data-annotations aria-hidden="true"></canvas>
      </div>
      <!-- A touch target only; keyboards and screen readers use the play button below. -->
      <button type="button" class="big-play" data-action="play" data-big-play tabindex="-1" aria-hidden="true">${ICONS.play}</button>
      <div class="notice" data-notice hidden>
        <p data-notice-text></p>
        <button type="button" class="notice-button" data-action="retry" hidden>Try again</button>
      </div>
      <p class="drawing-hint" data-drawing-hint hidden>Drawing on the video: drag to draw.</p>
      <span class="visually-hidden" id="stage-hint">Click or tap to play or pause. Press the question mark key for keyboard shortcuts.</span>
    </div>
    <div class="stage compare-stage" data-compare-stage hidden>
      <div class="frame" data-compare-frame>
        <video data-compare-video playsinline muted preload="metadata"></video>
      </div>
      <p class="compare-label" data-compare-label></p>
      <div class="notice" data-compare-notice hidden><p data-compare-notice-text></p></div>
    </div>
  </div>
  <div class="timeline" data-timeline>
    <div class="lane lane-segments" data-lane="segments" role="group" aria-label="Segments"></div>
    <div class="lane lane-markers" data-lane="markers" role="group" aria-label="Feedback markers"></div>
    <div class="track" data-track role="slider" tabindex="0" aria-label="Seek"
         aria-valuemin="0" aria-valuemax="0" aria-valuenow="0" aria-valuetext="0 seconds">
      <canvas class="waveform" data-waveform aria-hidden="true"></canvas>
      <div class="buffered" data-buffered aria-hidden="true"></div>
      <div class="played" data-played aria-hidden="true"></div>
      <div class="loop-region" data-loop hidden aria-hidden="true"></div>
      <div class="loop-start" data-loop-start hidden aria-hidden="true"></div>
      <div class="selection" data-selection hidden aria-hidden="true"></div>
      <div class="playhead" data-playhead aria-hidden="true"><span class="playhead-handle"></span></div>
      <div class="preview" data-preview hidden aria-hidden="true">
        <div class="preview-image" data-preview-image></div>
        <span class="preview-time" data-preview-time></span>
      </div>
    </div>
  </div>
  <div class="info" data-info aria-live="polite"></div>
  <div class="controls" role="group" aria-label="Player controls">
    <div class="control-group controls-primary">
      <button type="button" data-action="play" data-play aria-label="Play" title="Play or pause (Space, K)">${ICONS.play}</button>
      <button type="button" data-action="frame-back" aria-label="Previous frame" title="Previous frame (,)">${ICONS.frameBack}</button>
      <button type="button" data-action="frame-forward" aria-label="Next frame" title="Next frame (.)">${ICONS.frameForward}</button>
      <span class="time"><span data-current>0:00.0</span><span aria-hidden="true"> / </span><span class="visually-hidden"> of </span><span data-duration>–</span></span>
    </div>
    <div class="control-group controls-tools">
      <label class="speed" title="Speed (&lt; and &gt;)"><span class="visually-hidden">Speed</span>
        <select data-speed>${speedOptions}</select></label>
      <button type="button" class="text-button" data-action="loop-a" aria-pressed="false" aria-label="Set loop start (A) here" title="Loop start ([)">A</button>
      <button type="button" class="text-button" data-action="loop-b" aria-pressed="false" aria-label="Set loop end (B) here" title="Loop end (])">B</button>
      <button type="button" data-action="loop-clear" aria-label="Clear the loop" title="Clear the loop (\\)" disabled>${ICONS.clearLoop}</button>
      <button type="button" data-action="mirror" aria-pressed="false" aria-label="Mirror" title="Mirror (M)">${ICONS.mirror}</button>
      <button type="button" data-action="compare" aria-pressed="false" aria-label="Side by side" title="Side by side" hidden>${ICONS.compare}</button>
      <button type="button" class="text-button" data-action="help" aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)">?</button>
    </div>
    <div class="control-group controls-view">
      <button type="button" data-action="mute" aria-pressed="false" aria-label="Mute" title="Mute">${ICONS.volume}</button>
      <button type="button" data-action="fullscreen" aria-label="Full screen" title="Full screen (F)">${ICONS.fullscreen}</button>
    </div>
  </div>
  <div class="compare-controls" data-compare-controls hidden>
    <label for="compare-offset">Offset of the second video (seconds)</label>
    <div class="offset-row">
      <button type="button" class="text-button" data-action="offset-down" aria-label="Offset 0.1 seconds earlier">−0.1</button>
      <input id="compare-offset" type="number" inputmode="decimal" step="0.1" value="0" data-offset>
      <button type="button" class="text-button" data-action="offset-up" aria-label="Offset 0.1 seconds later">+0.1</button>
      <button type="button" class="text-button" data-action="compare-sound" aria-pressed="false">Hear the second video</button>
    </div>
  </div>
  <div class="help" data-help role="dialog" aria-modal="true" aria-labelledby="help-title" hidden>
    <div class="help-card">
      <h2 id="help-title">Keyboard shortcuts</h2>
      <dl class="help-list" data-help-list>${shortcutRows}</dl>
      <p class="help-note">On a touch screen: tap the video to play or pause, drag along the timeline to move through it.</p>
      <button type="button" data-action="help-close">Close</button>
    </div>
  </div>
</div>`;
