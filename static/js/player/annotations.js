// Drawings over the video frame, in the feedback API's format (plugins/feedback/drawing.py):
// {"shapes": [...]}, every point [x, y] normalized to the frame (0..1 from the left and the
// top), circle radius a fraction of the frame's width, stroke width in CSS pixels.

export const TOOLS = ["line", "arrow", "rect", "circle", "path"];
export const DEFAULT_STYLE = { tool: "arrow", color: "#ff3b30", width: 4 };
const MAX_SHAPES = 200;
const MAX_PATH_POINTS = 2000;
const MAX_STROKE_WIDTH = 32;
const COLOR = /^#[0-9a-fA-F]{6}$/;
// Pointer moves shorter than this (CSS px) add no point to a freehand path.
const PATH_STEP = 2;

export function cleanStyle({ tool, color, width } = {}, fallback = DEFAULT_STYLE) {
  const strokeWidth = Number(width);
  return {
    tool: TOOLS.includes(tool) ? tool : fallback.tool,
    color: typeof color === "string" && COLOR.test(color) ? color.toLowerCase() : fallback.color,
    width: strokeWidth > 0 ? Math.min(MAX_STROKE_WIDTH, strokeWidth) : fallback.width,
  };
}

// Where the picture is inside a box of ``width`` x ``height`` CSS px: the video is drawn
// with object-fit: contain, so a frame of another shape leaves bars on two sides.
export function frameRect(video, width, height) {
  const videoWidth = video.videoWidth;
  const videoHeight = video.videoHeight;
  if (!videoWidth || !videoHeight || !width || !height) return { x: 0, y: 0, width, height };
  const scale = Math.min(width / videoWidth, height / videoHeight);
  const frameWidth = videoWidth * scale;
  const frameHeight = videoHeight * scale;
  return { x: (width - frameWidth) / 2, y: (height - frameHeight) / 2, width: frameWidth, height: frameHeight };
}

export function prepareCanvas(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  const pixelWidth = Math.max(1, Math.round(width * ratio));
  const pixelHeight = Math.max(1, Math.round(height * ratio));
  if (canvas.width !== pixelWidth) canvas.width = pixelWidth;
  if (canvas.height !== pixelHeight) canvas.height = pixelHeight;
  const context = canvas.getContext("2d");
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, width, height);
  return { context, width, height };
}

function toPixels(point, frame) {
  return [frame.x + point[0] * frame.width, frame.y + point[1] * frame.height];
}

function drawArrowHead(context, from, to, width) {
  const angle = Math.atan2(to[1] - from[1], to[0] - from[0]);
  const size = Math.max(10, width * 3.5);
  context.beginPath();
  context.moveTo(to[0], to[1]);
  context.lineTo(to[0] - size * Math.cos(angle - Math.PI / 7), to[1] - size * Math.sin(angle - Math.PI / 7));
  context.lineTo(to[0] - size * Math.cos(angle + Math.PI / 7), to[1] - size * Math.sin(angle + Math.PI / 7));
  context.closePath();
  context.fill();
}

export function drawShape(context, shape, frame) {
  context.strokeStyle = shape.color;
  context.fillStyle = shape.color;
  context.lineWidth = shape.width;
  context.lineCap = "round";
  context.lineJoin = "round";
  // A dark halo keeps a light colour readable on a light frame and the reverse.
  context.shadowColor = "rgba(0, 0, 0, 0.55)";
  context.shadowBlur = 2;
  context.beginPath();
  if (shape.type === "line" || shape.type === "arrow") {
    const start = toPixels(shape.start, frame);
    const end = toPixels(shape.end, frame);
    context.moveTo(start[0], start[1]);
    context.lineTo(end[0], end[1]);
    context.stroke();
    if (shape.type === "arrow") drawArrowHead(context, start, end, shape.width);
  } else if (shape.type === "rect") {
    const start = toPixels(shape.start, frame);
    const end = toPixels(shape.end, frame);
    context.strokeRect(
      Math.min(start[0], end[0]),
      Math.min(start[1], end[1]),
      Math.abs(end[0] - start[0]),
      Math.abs(end[1] - start[1]),
    );
  } else if (shape.type === "circle") {
    const center = toPixels(shape.center, frame);
    context.arc(center[0], center[1], shape.radius * frame.width, 0, Math.PI * 2);
    context.stroke();
  } else if (shape.type === "path" && Array.isArray(shape.points) && shape.points.length > 1) {
    const [first, ...rest] = shape.points.map((point) => toPixels(point, frame));
    context.moveTo(first[0], first[1]);
    for (const point of rest) context.lineTo(point[0], point[1]);
    context.stroke();
  }
  context.shadowBlur = 0;
}

export function drawShapes(context, shapes, frame) {
  for (const shape of shapes) {
    try {
      drawShape(context, shape, frame);
    } catch {
      // A malformed shape from elsewhere must not stop the others from showing.
    }
  }
}

const round = (value) => Math.round(Math.min(1, Math.max(0, value)) * 10000) / 10000;

// One drawing being made: pointer input on ``canvas`` becomes normalized shapes. ``frame()``
// answers the picture's rectangle in the canvas's CSS px; ``mirrored()`` whether the layer is
// shown flipped (so a point under the finger is stored where it is on the real frame).
export class DrawingSession {
  constructor(canvas, { style, frame, mirrored, onChange }) {
    this.canvas = canvas;
    this.style = cleanStyle(style);
    this.frame = frame;
    this.mirrored = mirrored;
    this.onChange = onChange;
    this.shapes = [];
    this.current = null;
    this.handlers = {
      pointerdown: (event) => this.down(event),
      pointermove: (event) => this.move(event),
      pointerup: (event) => this.up(event),
      pointercancel: () => this.cancelStroke(),
    };
    for (const [name, handler] of Object.entries(this.handlers)) canvas.addEventListener(name, handler);
  }

  setStyle(style) {
    this.style = cleanStyle(style, this.style);
  }

  destroy() {
    for (const [name, handler] of Object.entries(this.handlers)) this.canvas.removeEventListener(name, handler);
    this.current = null;
  }

  undo() {
    this.shapes.pop();
    this.onChange();
  }

  toJSON() {
    return this.shapes.length ? { shapes: this.shapes.map((shape) => ({ ...shape })) } : null;
  }

  all() {
    return this.current ? [...this.shapes, this.current] : this.shapes;
  }

  point(event) {
    const box = this.canvas.getBoundingClientRect();
    const x = this.mirrored() ? box.right - event.clientX : event.clientX - box.left;
    const y = event.clientY - box.top;
    const frame = this.frame();
    return {
      normalized: [round((x - frame.x) / frame.width), round((y - frame.y) / frame.height)],
      pixels: [x, y],
      frame,
    };
  }

  down(event) {
    if (event.button !== 0 || this.shapes.length >= MAX_SHAPES) return;
    event.preventDefault();
    this.canvas.setPointerCapture(event.pointerId);
    const { normalized, pixels } = this.point(event);
    const { tool, color, width } = this.style;
    this.lastPixels = pixels;
    if (tool === "path") this.current = { type: "path", points: [normalized, normalized], color, width };
    else if (tool === "circle") this.current = { type: "circle", center: normalized, radius: 0, color, width };
    else this.current = { type: tool, start: normalized, end: normalized, color, width };
    this.onChange();
  }

  move(event) {
    if (!this.current) return;
    event.preventDefault();
    const { normalized, pixels, frame } = this.point(event);
    const shape = this.current;
    if (shape.type === "path") {
      const moved = Math.hypot(pixels[0] - this.lastPixels[0], pixels[1] - this.lastPixels[1]);
      if (moved < PATH_STEP || shape.points.length >= MAX_PATH_POINTS) return;
      this.lastPixels = pixels;
      if (shape.points.length === 2 && shape.points[0] === shape.points[1]) shape.points[1] = normalized;
      else shape.points.push(normalized);
    } else if (shape.type === "circle") {
      const dx = (normalized[0] - shape.center[0]) * frame.width;
      const dy = (normalized[1] - shape.center[1]) * frame.height;
      shape.radius = round(Math.hypot(dx, dy) / frame.width);
    } else {
      shape.end = normalized;
    }
    this.onChange();
  }

  up(event) {
    if (!this.current) return;
    this.move(event);
    const shape = this.current;
    this.current = null;
    if (this.isVisible(shape)) this.shapes.push(shape);
    this.onChange();
  }

  cancelStroke() {
    this.current = null;
    this.onChange();
  }

  isVisible(shape) {
    // A tap without a drag draws nothing worth keeping (and the API refuses radius 0).
    if (shape.type === "circle") return shape.radius > 0.002;
    if (shape.type === "path") return shape.points.length >= 2 && shape.points[0] !== shape.points[1];
    return Math.hypot(shape.end[0] - shape.start[0], shape.end[1] - shape.start[1]) > 0.004;
  }
}
