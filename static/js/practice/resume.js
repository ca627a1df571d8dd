// Unfinished uploads, kept across page reloads. localStorage remembers which clip a file was
// going to (tus-js-client remembers, under its own fingerprint, how far its bytes got); a
// recording has no file on disk to pick again, so its bytes wait in IndexedDB.

const KEY = "practika:unfinished-uploads";
const DB_NAME = "practika-recordings";
const STORE = "takes";

function readAll() {
  try {
    const records = JSON.parse(localStorage.getItem(KEY) || "[]");
    return Array.isArray(records) ? records : [];
  } catch {
    return [];
  }
}

function writeAll(records) {
  try {
    localStorage.setItem(KEY, JSON.stringify(records));
  } catch {
    // Private mode or a full quota: the upload still works, it just cannot resume after a reload.
  }
}

export function unfinishedUploads(exerciseId) {
  return readAll().filter((record) => record.exerciseId === exerciseId);
}

export function rememberUpload(record) {
  writeAll([...readAll().filter((r) => r.clipId !== record.clipId), record]);
}

export function updateUpload(clipId, changes) {
  writeAll(readAll().map((r) => (r.clipId === clipId ? { ...r, ...changes } : r)));
}

export function sameFile(record, file) {
  return (
    record.name === file.name &&
    record.size === file.size &&
    record.lastModified === file.lastModified &&
    record.type === file.type
  );
}

export function forgetUpload(record) {
  writeAll(readAll().filter((r) => r.clipId !== record.clipId));
  try {
    // tus-js-client's own entries for this clip: their fingerprint ends with the endpoint.
    for (let i = localStorage.length - 1; i >= 0; i -= 1) {
      const key = localStorage.key(i);
      if (key && key.startsWith("tus::") && key.includes(record.tusUrl)) localStorage.removeItem(key);
    }
  } catch {
    // nothing stored, nothing to clean
  }
  if (record.recorded) deleteRecording(record.clipId);
}

function openDb() {
  return new Promise((resolve, reject) => {
    if (!("indexedDB" in window)) {
      reject(new Error("no IndexedDB"));
      return;
    }
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function transact(mode, action) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = action(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

// Whether the recording could be kept (a full quota or a private window may refuse it).
export async function keepRecording(clipId, file) {
  try {
    await transact("readwrite", (store) => store.put(file, clipId));
    return true;
  } catch {
    return false;
  }
}

export async function loadRecording(clipId) {
  try {
    const file = await transact("readonly", (store) => store.get(clipId));
    return file instanceof Blob ? file : null;
  } catch {
    return null;
  }
}

function deleteRecording(clipId) {
  transact("readwrite", (store) => store.delete(clipId)).catch(() => {});
}
