/**
 * The page: key, photo (file or camera), on-device analysis drawn over the photo, registration
 * (precomputed face by default, or the photo uploaded), identities, generation with streamed
 * previews, progress, cancel and download, and recent generations with their images. Identities
 * and generations are the API's lists (every device's), paged with their cursors; this browser
 * keeps only the key. Every API error is shown as its problem title/detail.
 */
import { STYLE_NAMES } from "../../shared/contract/styles.ts";
import type { DetectedFace } from "../../shared/face/face-analyser.ts";
import type { WebExecutionProvider } from "../../shared/face/web/ort-web-backend.ts";
import { Api, ApiProblem, base64ToBlob, type GenerationView, type IdentityView } from "./api.ts";
import { loadDeviceAnalyser, type DeviceAnalyser, type DeviceAnalysis } from "./on-device.ts";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const KEY_STORAGE = "instantid.apiKey";
/** Where earlier versions listed this browser's identities; the API lists them now. */
const OLD_IDS_STORAGE = "instantid.identities";
const IDENTITY_PAGE = 10;
const GENERATION_PAGE = 6;

const ui = {
  problem: $<HTMLDivElement>("problem"),
  keyForm: $<HTMLFormElement>("key-form"),
  key: $<HTMLInputElement>("api-key"),
  keyForget: $<HTMLButtonElement>("key-forget"),
  keyStatus: $<HTMLParagraphElement>("key-status"),
  file: $<HTMLInputElement>("photo-file"),
  cameraStart: $<HTMLButtonElement>("camera-start"),
  cameraShoot: $<HTMLButtonElement>("camera-shoot"),
  video: $<HTMLVideoElement>("camera"),
  canvas: $<HTMLCanvasElement>("photo-canvas"),
  analysis: $<HTMLParagraphElement>("analysis"),
  upload: $<HTMLInputElement>("upload-photo"),
  register: $<HTMLButtonElement>("register"),
  identities: $<HTMLUListElement>("identities"),
  identitiesEmpty: $<HTMLParagraphElement>("identities-empty"),
  identitiesMore: $<HTMLButtonElement>("identities-more"),
  generations: $<HTMLUListElement>("generations"),
  generationsEmpty: $<HTMLParagraphElement>("generations-empty"),
  generationsMore: $<HTMLButtonElement>("generations-more"),
  genForm: $<HTMLFormElement>("gen-form"),
  prompt: $<HTMLTextAreaElement>("prompt"),
  style: $<HTMLSelectElement>("style"),
  steps: $<HTMLInputElement>("steps"),
  size: $<HTMLSelectElement>("size"),
  seed: $<HTMLInputElement>("seed"),
  generate: $<HTMLButtonElement>("generate"),
  cancel: $<HTMLButtonElement>("cancel"),
  progress: $<HTMLProgressElement>("progress"),
  genStatus: $<HTMLParagraphElement>("gen-status"),
  result: $<HTMLImageElement>("result"),
  download: $<HTMLAnchorElement>("download"),
};

const state: {
  photo: Blob | null;
  analysis: DeviceAnalysis | null;
  selected: string | null;
  generation: { id: string | null; abort: AbortController } | null;
  resultUrl: string | null;
  identityCursor: string | null;
  generationCursor: string | null;
  /** Object URLs of the generation thumbnails shown, revoked when the list is redrawn. */
  thumbnails: string[];
} = { photo: null, analysis: null, selected: null, generation: null, resultUrl: null, identityCursor: null, generationCursor: null, thumbnails: [] };

/** What a test (or a curious person in the console) can read: the last on-device face and the backend. */
const debug: { provider?: string; face?: { embedding: number[]; kps: unknown; bbox: unknown }; timings?: unknown; identityId?: string; generationId?: string } = {};
(globalThis as unknown as { instantid: typeof debug }).instantid = debug;

const api = new Api(() => localStorage.getItem(KEY_STORAGE) ?? "");

function showProblem(err: unknown): void {
  ui.problem.replaceChildren();
  const title = document.createElement("strong");
  if (err instanceof ApiProblem) {
    title.textContent = err.problem.title;
    ui.problem.append(title);
    if (err.problem.detail) ui.problem.append(err.problem.detail);
    ui.problem.dataset.code = err.problem.code;
  } else {
    title.textContent = "Something went wrong";
    ui.problem.append(title, err instanceof Error ? err.message : String(err));
    ui.problem.dataset.code = (err as { code?: string })?.code ?? "client_error";
  }
  ui.problem.hidden = false;
  ui.problem.scrollIntoView({ block: "nearest" });
}

function clearProblem(): void {
  ui.problem.hidden = true;
  ui.problem.replaceChildren();
  delete ui.problem.dataset.code;
}

/** Runs a UI action: errors are shown, never swallowed; the button is disabled meanwhile. */
function action(button: HTMLButtonElement | null, fn: () => Promise<void>): () => void {
  return () => {
    if (button) button.disabled = true;
    clearProblem();
    fn()
      .catch(showProblem)
      .finally(() => {
        if (button) button.disabled = false;
        refreshButtons();
      });
  };
}

function refreshButtons(): void {
  const hasKey = Boolean(localStorage.getItem(KEY_STORAGE));
  const faceReady = ui.upload.checked ? state.photo !== null : (state.analysis?.faces.length ?? 0) > 0;
  ui.register.disabled = !(hasKey && faceReady);
  ui.generate.disabled = !(hasKey && state.selected) || state.generation !== null;
  ui.cancel.disabled = state.generation === null;
}

// ---- 1. key
function showKeyStatus(): void {
  const key = localStorage.getItem(KEY_STORAGE);
  ui.keyStatus.textContent = key ? `A key ending in ${key.slice(-4)} is saved in this browser.` : "No key saved. It is kept in this browser only (localStorage).";
}
ui.keyForm.addEventListener("submit", (e) => {
  e.preventDefault();
  localStorage.setItem(KEY_STORAGE, ui.key.value.trim());
  ui.key.value = "";
  showKeyStatus();
  refreshButtons();
  action(null, renderLists)();
});
ui.keyForget.addEventListener("click", () => {
  localStorage.removeItem(KEY_STORAGE);
  showKeyStatus();
  state.selected = null;
  clearLists();
  refreshButtons();
});

// ---- 2. photo and on-device analysis
const params = new URLSearchParams(location.search);
const providers: WebExecutionProvider[] = params.get("ep") === "wasm" ? ["wasm"] : ["webgpu", "wasm"];
let analyser: Promise<DeviceAnalyser> | null = null;
const getAnalyser = () => (analyser ??= loadDeviceAnalyser(providers).catch((err: unknown) => ((analyser = null), Promise.reject(err))));

function drawFace(a: DeviceAnalysis): void {
  const { canvas } = ui;
  canvas.width = a.width;
  canvas.height = a.height;
  const ctx = canvas.getContext("2d")!;
  ctx.drawImage(a.bitmap, 0, 0);
  const line = Math.max(2, Math.round(Math.max(a.width, a.height) / 250));
  a.faces.forEach((f: DetectedFace, i) => {
    ctx.strokeStyle = i === 0 ? "#00e676" : "#ffab00";
    ctx.lineWidth = line;
    ctx.strokeRect(f.bbox[0], f.bbox[1], f.bbox[2] - f.bbox[0], f.bbox[3] - f.bbox[1]);
    if (i !== 0) return;
    // InstantID's keypoint colours (draw_kps): eyes, nose, mouth corners.
    const colours = ["#ff0000", "#00ff00", "#0000ff", "#ffff00", "#ff00ff"];
    f.kps.forEach(([x, y], k) => {
      ctx.fillStyle = colours[k]!;
      ctx.beginPath();
      ctx.arc(x, y, line * 2, 0, 2 * Math.PI);
      ctx.fill();
    });
  });
}

async function usePhoto(photo: Blob): Promise<void> {
  state.photo = photo;
  state.analysis = null;
  delete debug.face;
  ui.analysis.textContent = "Loading the face models…";
  ui.analysis.dataset.state = "loading";
  ui.analysis.dataset.photo = photo instanceof File ? photo.name : "camera";
  const device = await getAnalyser();
  ui.analysis.textContent = "Analysing on this device…";
  const a = await device.analyse(photo);
  state.analysis = a;
  drawFace(a);
  const label = device.provider === "webgpu" ? "WebGPU" : device.provider === "wasm" ? "wasm (no WebGPU)" : device.provider;
  const perNet = a.timings.map((t) => `${t.file.replace(/\.onnx$/, "")} ${t.ms.toFixed(0)} ms`).join(", ");
  const total = a.timings.reduce((s, t) => s + t.ms, 0);
  const found = a.faces.length === 0 ? "No face found" : `${a.faces.length} face${a.faces.length > 1 ? "s" : ""} found (the largest is used)`;
  ui.analysis.textContent = `${found}. Ran on ${label}, ${device.pack} pack: ${perNet}; ${total.toFixed(0)} ms in networks, ${a.decodeMs.toFixed(0)} ms decoding; models loaded in ${device.loadMs.toFixed(0)} ms.`;
  ui.analysis.dataset.state = a.faces.length ? "face" : "no-face";
  ui.analysis.dataset.provider = device.provider;
  debug.provider = device.provider;
  debug.timings = { load: device.loadMs, decode: a.decodeMs, runs: a.timings, fallbacks: device.fallbacks };
  const f = a.faces[0];
  if (f) debug.face = { embedding: Array.from(f.embedding), kps: f.kps, bbox: f.bbox };
}

ui.file.addEventListener("change", () => {
  const file = ui.file.files?.[0];
  if (file) action(null, () => usePhoto(file))();
});

let stream: MediaStream | null = null;
ui.cameraStart.addEventListener(
  "click",
  action(ui.cameraStart, async () => {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "user" }, audio: false });
    ui.video.srcObject = stream;
    ui.video.hidden = false;
    ui.cameraShoot.hidden = false;
    await ui.video.play();
    ui.cameraShoot.focus();
  }),
);
ui.cameraShoot.addEventListener(
  "click",
  action(ui.cameraShoot, async () => {
    const c = document.createElement("canvas");
    c.width = ui.video.videoWidth;
    c.height = ui.video.videoHeight;
    c.getContext("2d")!.drawImage(ui.video, 0, 0);
    const blob = await new Promise<Blob>((resolve, reject) => c.toBlob((b) => (b ? resolve(b) : reject(new Error("the camera frame could not be encoded"))), "image/jpeg", 0.92));
    stream?.getTracks().forEach((t) => t.stop());
    stream = null;
    ui.video.hidden = true;
    ui.cameraShoot.hidden = true;
    await usePhoto(blob);
  }),
);

ui.upload.addEventListener("change", refreshButtons);

ui.register.addEventListener(
  "click",
  action(ui.register, async () => {
    let identity: IdentityView;
    if (ui.upload.checked) {
      if (!state.photo) throw new Error("choose a photo first");
      identity = await api.registerPhoto(state.photo);
    } else {
      const a = state.analysis;
      const f = a?.faces[0];
      if (!a || !f) throw new Error("no face was found on this device; try another photo, or upload it");
      const device = await getAnalyser();
      identity = await api.registerFace({ embedding: f.embedding, kps: f.kps, bbox: f.bbox, imageWidth: a.width, imageHeight: a.height }, device.pack);
    }
    debug.identityId = identity.id;
    state.selected = identity.id;
    await renderIdentities();
  }),
);

// ---- 3. identities (the API's list, a page at a time)
function identityItem(view: IdentityView): HTMLLIElement {
  const { id } = view;
  const li = document.createElement("li");
  li.dataset.id = id;
  const label = document.createElement("label");
  const radio = document.createElement("input");
  radio.type = "radio";
  radio.name = "identity";
  radio.value = id;
  radio.checked = state.selected === id;
  radio.addEventListener("change", () => {
    state.selected = id;
    refreshButtons();
  });
  label.append(radio, `${id} · ${view.embeddingModel} · ${new Date(view.createdAt).toLocaleString()}`);
  const del = document.createElement("button");
  del.type = "button";
  del.className = "secondary";
  del.textContent = "Delete";
  del.setAttribute("aria-label", `Delete identity ${id}`);
  del.addEventListener(
    "click",
    action(del, async () => {
      await api.deleteIdentity(id);
      if (state.selected === id) state.selected = null;
      await renderIdentities();
    }),
  );
  li.append(label, del);
  return li;
}

/** The first page again (after a change), keeping the selection when it is still there. */
async function renderIdentities(): Promise<void> {
  const page = await api.identities(IDENTITY_PAGE, null);
  ui.identities.replaceChildren(...page.data.map(identityItem));
  showIdentityPage(page.nextCursor);
}

function showIdentityPage(nextCursor: string | null): void {
  state.identityCursor = nextCursor;
  ui.identitiesMore.hidden = nextCursor === null;
  const shown = [...ui.identities.querySelectorAll<HTMLInputElement>("input[type=radio]")];
  ui.identitiesEmpty.hidden = shown.length > 0;
  if (!shown.some((r) => r.value === state.selected)) state.selected = shown[0]?.value ?? null;
  for (const r of shown) r.checked = r.value === state.selected;
  refreshButtons();
}

ui.identitiesMore.addEventListener(
  "click",
  action(ui.identitiesMore, async () => {
    const page = await api.identities(IDENTITY_PAGE, state.identityCursor);
    const known = new Set([...ui.identities.children].map((li) => (li as HTMLElement).dataset.id));
    const added = page.data.filter((v) => !known.has(v.id)).map(identityItem);
    ui.identities.append(...added);
    showIdentityPage(page.nextCursor);
    // Keyboard users land on the first new identity, not back at the top.
    added[0]?.querySelector("input")?.focus();
  }),
);

// ---- 4. generate
for (const name of STYLE_NAMES) ui.style.add(new Option(name, name));

ui.genForm.addEventListener("submit", (e) => {
  e.preventDefault();
  action(null, generate)();
});

async function generate(): Promise<void> {
  if (!state.selected) throw new Error("register or pick an identity first");
  const [width, height] = ui.size.value.split("x").map(Number) as [number, number];
  const seed = ui.seed.value === "" ? undefined : Number(ui.seed.value);
  const abort = new AbortController();
  state.generation = { id: null, abort };
  refreshButtons();
  ui.progress.value = 0;
  ui.genStatus.textContent = "Queued…";
  delete ui.genStatus.dataset.status;
  ui.download.hidden = true;
  try {
    const style = ui.style.value;
    for await (const ev of api.generate(
      { identityId: state.selected, prompt: ui.prompt.value, steps: Number(ui.steps.value), width, height, ...(style !== STYLE_NAMES[0] ? { style } : {}), ...(seed === undefined ? {} : { seed }) },
      abort.signal,
    )) {
      switch (ev.event) {
        case "queued":
          state.generation.id = ev.data.id;
          debug.generationId = ev.data.id;
          ui.genStatus.textContent = `Generation ${ev.data.id} queued.`;
          break;
        case "progress":
          ui.progress.max = ev.data.total;
          ui.progress.value = ev.data.step;
          ui.genStatus.textContent = `Step ${ev.data.step} of ${ev.data.total}`;
          break;
        case "preview":
          showImage(base64ToBlob(ev.data.data, ev.data.mimeType), `Preview at step ${ev.data.step}`, false);
          break;
        case "image":
          showImage(base64ToBlob(ev.data.data, ev.data.mimeType), `Generated image, seed ${ev.data.seed}`, true, ev.data.seed);
          break;
        case "done":
          ui.genStatus.textContent = `Generation ${ev.data.status}.`;
          ui.genStatus.dataset.status = ev.data.status;
          break;
        case "error":
          // A cancel (ours, or from another client) ends the stream with the error `cancelled`: not a failure to show.
          if (ev.data.code === "cancelled") {
            abort.abort();
            break;
          }
          throw new ApiProblem({ title: "The generation failed", status: 0, code: ev.data.code, detail: ev.data.message });
      }
    }
  } catch (err) {
    // Reading an aborted stream either throws or just ends, depending on where the abort lands.
    if (!abort.signal.aborted) throw err;
  } finally {
    state.generation = null;
    refreshButtons();
  }
  if (abort.signal.aborted) {
    ui.genStatus.textContent = "Cancelled.";
    ui.genStatus.dataset.status = "cancelled";
  }
  await renderGenerations();
}

function showImage(blob: Blob, alt: string, final: boolean, seed?: number): void {
  if (state.resultUrl) URL.revokeObjectURL(state.resultUrl);
  state.resultUrl = URL.createObjectURL(blob);
  ui.result.src = state.resultUrl;
  ui.result.alt = alt;
  ui.result.hidden = false;
  ui.result.dataset.final = String(final);
  if (final) {
    ui.download.href = state.resultUrl;
    ui.download.download = `instantid-${seed ?? "image"}.${blob.type.split("/")[1] ?? "png"}`;
    ui.download.hidden = false;
  }
}

ui.cancel.addEventListener(
  "click",
  action(ui.cancel, async () => {
    const g = state.generation;
    if (!g) return;
    // Tell the edge first (so the GPU stops), then stop reading.
    if (g.id) await api.cancel(g.id);
    g.abort.abort();
  }),
);

// ---- 5. recent generations (the API's list) with their images
function generationItem(g: GenerationView): HTMLLIElement {
  const li = document.createElement("li");
  li.dataset.id = g.id;
  li.dataset.status = g.status;
  const image = g.images[0];
  if (image) {
    const img = document.createElement("img");
    img.alt = `Generated image of “${g.settings.prompt}”, seed ${image.seed}`;
    img.width = image.width;
    img.height = image.height;
    li.append(img);
    // The image URL needs the key: fetched, then shown from an object URL.
    void api.image(image.url).then(
      (blob) => {
        const url = URL.createObjectURL(blob);
        state.thumbnails.push(url);
        img.src = url;
      },
      () => (img.alt = `${img.alt} (could not be loaded)`),
    );
  }
  const meta = document.createElement("span");
  meta.className = "meta";
  const progress = g.status === "running" || g.status === "queued" ? ` ${g.progress.step}/${g.progress.total}` : "";
  meta.textContent = `${g.status}${progress} · ${g.settings.prompt.slice(0, 60)} · ${new Date(g.createdAt).toLocaleString()}`;
  const del = document.createElement("button");
  del.type = "button";
  del.className = "secondary";
  del.textContent = "Delete";
  del.setAttribute("aria-label", `Delete generation ${g.id}`);
  del.addEventListener(
    "click",
    action(del, async () => {
      await api.deleteGeneration(g.id);
      await renderGenerations();
    }),
  );
  li.append(meta, del);
  return li;
}

async function renderGenerations(): Promise<void> {
  const page = await api.generations(GENERATION_PAGE, null);
  for (const url of state.thumbnails.splice(0)) URL.revokeObjectURL(url);
  ui.generations.replaceChildren(...page.data.map(generationItem));
  showGenerationPage(page.nextCursor);
}

function showGenerationPage(nextCursor: string | null): void {
  state.generationCursor = nextCursor;
  ui.generationsMore.hidden = nextCursor === null;
  ui.generationsEmpty.hidden = ui.generations.children.length > 0;
}

ui.generationsMore.addEventListener(
  "click",
  action(ui.generationsMore, async () => {
    const page = await api.generations(GENERATION_PAGE, state.generationCursor);
    const known = new Set([...ui.generations.children].map((li) => (li as HTMLElement).dataset.id));
    const added = page.data.filter((g) => !known.has(g.id)).map(generationItem);
    ui.generations.append(...added);
    showGenerationPage(page.nextCursor);
    added[0]?.querySelector("button")?.focus();
  }),
);

async function renderLists(): Promise<void> {
  await Promise.all([renderIdentities(), renderGenerations()]);
}

function clearLists(): void {
  for (const url of state.thumbnails.splice(0)) URL.revokeObjectURL(url);
  ui.identities.replaceChildren();
  ui.generations.replaceChildren();
  for (const el of [ui.identitiesMore, ui.generationsMore, ui.identitiesEmpty, ui.generationsEmpty]) el.hidden = true;
}

// This browser keeps only the key: the list earlier versions kept is dropped.
localStorage.removeItem(OLD_IDS_STORAGE);
showKeyStatus();
refreshButtons();
if (localStorage.getItem(KEY_STORAGE)) action(null, renderLists)();
