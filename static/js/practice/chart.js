// A small inline-SVG line chart of rubric scores across takes, no library: one line per
// criterion, scores as a share of the criterion's maximum (criteria differ in scale). Colours
// keep 3:1 contrast on white, and lines differ by dash and point shape as well as colour.

const SVG = "http://www.w3.org/2000/svg";
const HEIGHT = 200;
const MIN_WIDTH = 240;
const PAD = { left: 44, right: 20, top: 12, bottom: 44 };
const MIN_LABEL_GAP = 28; // px between take numbers on the x axis
const COLORS = ["#1d5fc4", "#b3261e", "#1b7f3b", "#7b3fb8", "#9a5b00", "#0b7285", "#c2185b", "#4a4f57"];
const DASHES = ["", "8 4", "2 4", "10 3 2 3"];

function el(name, attributes = {}, text = null) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== null) node.textContent = text;
  return node;
}

function score(value) {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

// The criteria scored in any take, in the order they first appear, each with its points.
export function scoreSeries(attempts) {
  const series = new Map();
  for (const attempt of attempts) {
    for (const item of attempt.scores || []) {
      if (!series.has(item.criterion_id)) series.set(item.criterion_id, { name: item.name, points: [] });
      const entry = series.get(item.criterion_id);
      entry.name = item.name;
      entry.points.push({ attempt: attempt.attempt_number, score: item.score, max: item.max_score });
    }
  }
  return [...series.values()];
}

function pointShape(index, x, y, color) {
  const shape = index % 3;
  if (shape === 0) return el("circle", { cx: x, cy: y, r: 5, fill: color });
  if (shape === 1) return el("rect", { x: x - 4.5, y: y - 4.5, width: 9, height: 9, fill: color });
  return el("path", { d: `M${x} ${y - 6}L${x + 6} ${y + 4.5}L${x - 6} ${y + 4.5}Z`, fill: color });
}

// Returns `{svg, legend}` (an <svg> and a <ul>), or null when no take has scores yet. Drawn at
// `width` pixels (the caller redraws on resize), so labels keep their size on every screen.
export function scoreChart(attempts, { titleId = "score-chart-title", width = 600 } = {}) {
  const WIDTH = Math.max(MIN_WIDTH, Math.round(width));
  const scored = attempts.filter((a) => (a.scores || []).length && a.attempt_number != null);
  if (!scored.length) return null;
  const series = scoreSeries(scored);
  const takes = scored.map((a) => a.attempt_number).sort((a, b) => a - b);
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const xOf = (take) =>
    takes.length === 1 ? PAD.left + plotWidth / 2 : PAD.left + (takes.indexOf(take) / (takes.length - 1)) * plotWidth;
  const yOf = (share) => PAD.top + (1 - share) * plotHeight;

  const svg = el("svg", {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    width: WIDTH,
    height: HEIGHT,
    role: "img",
    "aria-labelledby": `${titleId} ${titleId}-desc`,
    class: "score-chart",
  });
  svg.append(el("title", { id: titleId }, "Rubric scores across your takes"));
  const description = series
    .map((s) => `${s.name}: ${s.points.map((p) => `take ${p.attempt} ${score(p.score)} of ${p.max}`).join(", ")}`)
    .join(". ");
  svg.append(el("desc", { id: `${titleId}-desc` }, `${description}.`));

  const grid = el("g", { class: "score-chart-grid", "aria-hidden": "true" });
  for (const share of [0, 0.5, 1]) {
    const y = yOf(share);
    grid.append(el("line", { x1: PAD.left, x2: WIDTH - PAD.right, y1: y, y2: y }));
    grid.append(el("text", { x: PAD.left - 8, y: y + 4, "text-anchor": "end" }, `${share * 100}%`));
  }
  const spacing = takes.length > 1 ? plotWidth / (takes.length - 1) : plotWidth;
  const every = Math.ceil(MIN_LABEL_GAP / spacing);
  takes.forEach((take, index) => {
    if (index % every === 0 || index === takes.length - 1) {
      grid.append(el("text", { x: xOf(take), y: HEIGHT - PAD.bottom + 18, "text-anchor": "middle" }, String(take)));
    }
  });
  grid.append(el("text", { x: PAD.left + plotWidth / 2, y: HEIGHT - 6, "text-anchor": "middle", class: "score-chart-axis" }, "Take"));
  svg.append(grid);

  const legend = document.createElement("ul");
  legend.className = "score-chart-legend";
  series.forEach((entry, index) => {
    const color = COLORS[index % COLORS.length];
    const group = el("g", { "aria-hidden": "true" });
    const points = entry.points.map((p) => [xOf(p.attempt), yOf(p.max ? p.score / p.max : 0)]);
    if (points.length > 1) {
      group.append(
        el("polyline", {
          points: points.map(([x, y]) => `${x},${y}`).join(" "),
          fill: "none",
          stroke: color,
          "stroke-width": 2.5,
          "stroke-dasharray": DASHES[index % DASHES.length],
        }),
      );
    }
    for (const [x, y] of points) group.append(pointShape(index, x, y, color));
    svg.append(group);

    const item = document.createElement("li");
    const swatch = document.createElementNS(SVG, "svg");
    swatch.setAttribute("viewBox", "0 0 24 12");
    swatch.setAttribute("aria-hidden", "true");
    swatch.setAttribute("class", "score-chart-swatch");
    swatch.append(el("line", { x1: 0, x2: 24, y1: 6, y2: 6, stroke: color, "stroke-width": 2.5, "stroke-dasharray": DASHES[index % DASHES.length] }));
    swatch.append(pointShape(index, 12, 6, color));
    const latest = entry.points[entry.points.length - 1];
    const label = document.createElement("span");
    label.textContent = `${entry.name}: ${score(latest.score)}/${latest.max} in take ${latest.attempt}`;
    item.append(swatch, label);
    legend.append(item);
  });
  return { svg, legend };
}
