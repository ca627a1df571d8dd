// Waveform peaks (huey_tasks/media/extras.py make_waveform):
// {"peaks_per_second": N, "peaks": [0..1 floats]}, empty for a video without sound.

export function readWaveform(data) {
  const rate = Number(data?.peaks_per_second);
  const peaks = Array.isArray(data?.peaks) ? data.peaks : [];
  if (!(rate > 0) || peaks.length === 0) return null;
  const values = Float32Array.from(peaks, (peak) => {
    const value = Number(peak);
    return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
  });
  return { peaksPerSecond: rate, peaks: values };
}

// Draws the peaks of [from, to] seconds across the canvas, one bar per device pixel column
// group, mirrored around the middle like most editors show audio.
export function drawWaveform(canvas, waveform, from, to, color) {
  const ratio = window.devicePixelRatio || 1;
  const width = Math.max(1, Math.round(canvas.clientWidth * ratio));
  const height = Math.max(1, Math.round(canvas.clientHeight * ratio));
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const context = canvas.getContext("2d");
  context.clearRect(0, 0, width, height);
  if (!waveform || !(to > from)) return;
  const { peaks, peaksPerSecond } = waveform;
  const bar = Math.max(1, Math.round(2 * ratio));
  const middle = height / 2;
  context.fillStyle = color;
  for (let x = 0; x < width; x += bar + 1) {
    const first = Math.floor((from + ((to - from) * x) / width) * peaksPerSecond);
    const last = Math.ceil((from + ((to - from) * (x + bar)) / width) * peaksPerSecond);
    let peak = 0;
    for (let index = Math.max(0, first); index < Math.min(peaks.length, Math.max(last, first + 1)); index += 1) {
      if (peaks[index] > peak) peak = peaks[index];
    }
    const half = Math.max(0.5 * ratio, peak * (middle - ratio));
    context.fillRect(x, middle - half, bar, half * 2);
  }
}
