// Attaching an HLS playlist to a <video>: the browser's own HLS where it has it, else hls.js
// over Media Source Extensions. hls.js is the vendored UMD build (window.Hls); pages load it
// with a script tag, and it is fetched here when a page did not.

const HLS_MIME = "application/vnd.apple.mpegurl";
const HLS_SCRIPT = new URL("../../vendor/hls.js/hls.min.js", import.meta.url).href;
let hlsLoading = null;

export const ENGINES = ["auto", "native", "hls.js"];

export function nativeHlsSupported(video) {
  return video.canPlayType(HLS_MIME) !== "";
}

export function loadHlsLibrary() {
  if (window.Hls) return Promise.resolve(window.Hls);
  if (!hlsLoading) {
    hlsLoading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = HLS_SCRIPT;
      script.async = true;
      script.onload = () => (window.Hls ? resolve(window.Hls) : reject(new Error("hls.js did not load")));
      script.onerror = () => {
        hlsLoading = null;
        reject(new Error("hls.js could not be loaded"));
      };
      document.head.append(script);
    });
  }
  return hlsLoading;
}

// "native" or "hls.js" for ``preference`` ("auto" follows the issue: the browser's own HLS
// where canPlayType says so, else hls.js where Hls.isSupported()); null if neither works.
export async function chooseEngine(video, preference) {
  if (preference === "native") return nativeHlsSupported(video) ? "native" : null;
  if (preference === "auto" && nativeHlsSupported(video)) return "native";
  try {
    const Hls = await loadHlsLibrary();
    if (Hls.isSupported()) return "hls.js";
  } catch {
    // Falls through: the native check below is the last chance.
  }
  return nativeHlsSupported(video) ? "native" : null;
}

// Plays ``url`` in ``video`` from ``startAt`` seconds (video time). ``onFatal({network,
// unsupported, status, message})`` reports what the engine cannot get over by itself; the
// player then fetches fresh signed URLs and attaches again. Returns {engine, frameRate(),
// destroy()}.
export async function attachStream(video, url, { preference = "auto", startAt = 0, onFatal }) {
  const engine = await chooseEngine(video, preference);
  if (engine === "native") return attachNative(video, url, startAt, onFatal);
  if (engine === "hls.js") return attachHlsJs(video, url, startAt, onFatal);
  return null;
}

function attachNative(video, url, startAt, onFatal) {
  const onError = () => {
    const error = video.error;
    if (!error) return;
    // MEDIA_ERR_NETWORK (2); MEDIA_ERR_SRC_NOT_SUPPORTED (4) is also what an expired signed
    // playlist URL looks like, which the player tells apart by whether it played before.
    onFatal({
      network: error.code === 2,
      unsupported: error.code === 4,
      status: 0,
      message: error.message || "",
    });
  };
  const onMetadata = () => {
    if (startAt > 0) video.currentTime = startAt;
  };
  video.addEventListener("error", onError);
  video.addEventListener("loadedmetadata", onMetadata, { once: true });
  video.src = url;
  video.load();
  return {
    engine: "native",
    frameRate: () => null,
    destroy() {
      video.removeEventListener("error", onError);
      video.removeEventListener("loadedmetadata", onMetadata);
      video.removeAttribute("src");
      video.load();
    },
  };
}

function attachHlsJs(video, url, startAt, onFatal) {
  const Hls = window.Hls;
  const hls = new Hls({
    startPosition: startAt > 0 ? startAt : -1,
    capLevelToPlayerSize: true,
    // Practice takes are short and rewatched: keep what was fetched for quick looping.
    backBufferLength: 90,
  });
  let mediaRecoveries = 0;
  hls.on(Hls.Events.ERROR, (_event, data) => {
    if (!data.fatal) return;
    if (data.type === Hls.ErrorTypes.MEDIA_ERROR && mediaRecoveries < 2) {
      // hls.js's documented recovery: once as is, then with the audio codec swapped.
      mediaRecoveries += 1;
      if (mediaRecoveries === 2) hls.swapAudioCodec();
      hls.recoverMediaError();
      return;
    }
    const status = data.response?.code || data.networkDetails?.status || 0;
    onFatal({
      network: data.type === Hls.ErrorTypes.NETWORK_ERROR,
      unsupported: data.details === Hls.ErrorDetails.MANIFEST_INCOMPATIBLE_CODECS_ERROR,
      status,
      message: data.details || data.reason || "",
    });
  });
  hls.loadSource(url);
  hls.attachMedia(video);
  return {
    engine: "hls.js",
    frameRate() {
      const level = hls.levels?.[hls.currentLevel >= 0 ? hls.currentLevel : 0];
      return level?.frameRate || null;
    },
    destroy() {
      hls.destroy();
    },
  };
}
