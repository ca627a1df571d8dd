// Media positions as people read them: 75.25 -> "1:15.3".

export function clock(seconds) {
  if (typeof seconds !== "number" || !Number.isFinite(seconds)) return "–";
  const tenths = Math.round(Math.max(0, seconds) * 10);
  const minutes = Math.floor(tenths / 600);
  const rest = (tenths - minutes * 600) / 10;
  return `${minutes}:${rest.toFixed(1).padStart(4, "0")}`;
}

export function clockRange(start, end) {
  return end == null ? clock(start) : `${clock(start)}–${clock(end)}`;
}
