// One self-contained HTML file: styles, uPlot and the page's script inlined, the data gzipped and
// base64-encoded inside it (the browser inflates it with DecompressionStream), and a Content-Security-
// Policy that lets the page fetch nothing, so it opens offline, from disk or as a CI artifact.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { gzipSync } from "node:zlib";

const require = createRequire(import.meta.url);
const asset = (name: string) => readFileSync(new URL(`./assets/${name}`, import.meta.url), "utf8");
const vendor = (path: string) => readFileSync(require.resolve(path), "utf8");

/** Nothing may be fetched: scripts and styles are inline, images only data: URLs. */
const CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";

/** Inline text must not close its own element early. */
const inline = (text: string) => text.replace(/<\/(script|style)/gi, "<\\/$1");
const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] as string);

const packed = (bytes: Buffer) => gzipSync(bytes, { level: 6 }).toString("base64");

/**
 * `data` is the page's JSON; `tableFile`, when given, a table file embedded byte for byte (gzipped) as
 * its own block: a large table is never parsed-and-re-serialized just to be packed.
 */
export function selfContainedPage(opts: { title: string; app: "report" | "compare"; data: unknown; tableFile?: string }): string {
  const data = packed(Buffer.from(JSON.stringify(opts.data)));
  const table = opts.tableFile ? `\n<script type="application/gzip+base64" id="evallab-table">${packed(readFileSync(opts.tableFile))}</script>` : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="evallab">
<title>${escapeHtml(opts.title)}</title>
<style>${inline(vendor("uplot/dist/uPlot.min.css"))}</style>
<style>${inline(asset("page.css"))}</style>
</head>
<body>
<main id="app" aria-busy="true"><p>Loading…</p></main>
<script type="application/gzip+base64" id="evallab-data">${data}</script>${table}
<script>${inline(vendor("uplot/dist/uPlot.iife.min.js"))}</script>
<script>${inline(asset("common.js"))}</script>
<script>${inline(asset(`${opts.app}.js`))}</script>
</body>
</html>
`;
}
