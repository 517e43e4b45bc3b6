// Render Mermaid diagrams to PNG + vector PDF in ONE headless Chromium.
//
// Protocol: JSON lines on stdin, one JSON line per request on stdout (same `id`).
//   {"id": 1, "op": "render", "code": "...", "png": "/abs/a.png", "pdf": "/abs/a.pdf", "theme": "default"}
//     -> {"id": 1, "ok": true, "error": "", "width": 412.5, "height": 230}
//   {"id": 2, "op": "parse", "code": "..."} -> {"id": 2, "ok": false, "error": "Parse error on line 2 ..."}
// The first line written is {"ready": true, "mermaid": "<version>"} once the pages are loaded.
// Options come from argv: --scale 2 --pages 2 --chromium /usr/bin/chromium
import { createInterface } from "node:readline";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, value, i, all) => {
    if (value.startsWith("--")) pairs.push([value.slice(2), all[i + 1]]);
    return pairs;
  }, []),
);
const scale = Number(args.scale ?? 2);
const pageCount = Math.max(1, Number(args.pages ?? 2));
const executablePath = args.chromium ?? "/usr/bin/chromium";
const mermaidJs = readFileSync(join(here, "node_modules/mermaid/dist/mermaid.min.js"), "utf8");
const mermaidVersion = JSON.parse(
  readFileSync(join(here, "node_modules/mermaid/package.json"), "utf8"),
).version;

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-dev-shm-usage",
];
const HTML = `<!doctype html><html><head><meta charset="utf-8"><style>
@page { margin: 0; }
html, body { margin: 0; padding: 0; background: white; }
#c { display: inline-block; }
#c svg { display: block; }
</style></head><body><div id="c"></div></body></html>`;

function write(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

const browser = await chromium.launch({ executablePath, headless: true, args: FLAGS });
const context = await browser.newContext({ deviceScaleFactor: scale, viewport: { width: 1600, height: 1200 } });
const idle = [];
for (let i = 0; i < pageCount; i++) {
  const page = await context.newPage();
  await page.setContent(HTML);
  await page.addScriptTag({ content: mermaidJs });
  idle.push(page);
}
const waiting = [];
function acquire() {
  if (idle.length) return Promise.resolve(idle.pop());
  return new Promise((resolve) => waiting.push(resolve));
}
function release(page) {
  const next = waiting.shift();
  if (next) next(page);
  else idle.push(page);
}

// Runs inside the page: initialise with the theme, render, size the SVG to its viewBox.
async function renderInPage({ code, theme, n }) {
  const container = document.getElementById("c");
  container.innerHTML = "";
  window.mermaid.initialize({
    startOnLoad: false,
    htmlLabels: false,
    flowchart: { htmlLabels: false },
    securityLevel: "strict",
    theme,
  });
  try {
    const { svg } = await window.mermaid.render(`m${n}`, code);
    container.innerHTML = svg;
  } catch (err) {
    for (const stray of document.querySelectorAll(`[id^="dm${n}"], [id^="m${n}"]`)) stray.remove();
    return { ok: false, error: String((err && err.message) || err) };
  }
  const el = container.querySelector("svg");
  const box = el.viewBox && el.viewBox.baseVal;
  let width = box && box.width ? box.width : el.getBoundingClientRect().width;
  let height = box && box.height ? box.height : el.getBoundingClientRect().height;
  el.style.maxWidth = "none";
  el.setAttribute("width", String(width));
  el.setAttribute("height", String(height));
  const rect = el.getBoundingClientRect();
  width = rect.width;
  height = rect.height;
  return { ok: true, error: "", width, height };
}

async function parseInPage({ code }) {
  try {
    await window.mermaid.parse(code);
    return { ok: true, error: "" };
  } catch (err) {
    return { ok: false, error: String((err && err.message) || err) };
  }
}

let counter = 0;
async function handle(request) {
  const page = await acquire();
  try {
    if (request.op === "parse") {
      return { id: request.id, ...(await page.evaluate(parseInPage, { code: request.code })) };
    }
    counter += 1;
    const result = await page.evaluate(renderInPage, {
      code: request.code,
      theme: request.theme || "default",
      n: counter,
    });
    if (!result.ok) return { id: request.id, ...result };
    if (request.png) {
      await page.locator("#c svg").screenshot({ path: request.png, omitBackground: false });
    }
    if (request.pdf) {
      const w = Math.ceil(result.width) + 1;
      const h = Math.ceil(result.height) + 1;
      await page.pdf({
        path: request.pdf,
        width: `${w}px`,
        height: `${h}px`,
        printBackground: true,
        margin: { top: "0", right: "0", bottom: "0", left: "0" },
        pageRanges: "1",
      });
    }
    return { id: request.id, ...result };
  } catch (err) {
    return { id: request.id, ok: false, error: String((err && err.message) || err).split("\n")[0] };
  } finally {
    release(page);
  }
}

write({ ready: true, mermaid: mermaidVersion });
const pending = new Set();
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  let request;
  try {
    request = JSON.parse(line);
  } catch (err) {
    write({ id: null, ok: false, error: `bad request: ${err.message}` });
    continue;
  }
  const job = handle(request).then(write);
  pending.add(job);
  job.finally(() => pending.delete(job));
}
await Promise.all(pending);
await browser.close();
