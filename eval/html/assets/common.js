// Shared by report.js and compare.js: data loading, DOM building, numbers, histograms, a paged table.

window.EvalLab = (() => {
  /** A block of the page's data: gzipped JSON, base64, inside the page (nothing is fetched); null when absent. */
  async function loadData(id) {
    const block = document.getElementById(id);
    if (!block) return null;
    const b64 = block.textContent.trim();
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return JSON.parse(await new Response(stream).text());
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat()) if (c !== undefined && c !== null) node.append(c instanceof Node ? c : String(c));
    return node;
  }

  function fmt(v) {
    if (v === null || v === undefined || Number.isNaN(v)) return "—";
    if (typeof v !== "number") return String(v);
    if (Number.isInteger(v)) return v.toLocaleString("en-US");
    return Math.abs(v) >= 1000 ? v.toFixed(1) : Number(v.toPrecision(6)).toString();
  }

  /** A long text folds: the first words, and the rest on demand. */
  function foldable(text, limit = 160) {
    if (text === null || text === undefined) return el("span", { class: "muted" }, "—");
    const s = String(text);
    if (s.length <= limit) return s;
    return el("details", {}, el("summary", {}, `${s.slice(0, limit)}…`), el("div", {}, s));
  }

  /** One histogram: bars per bin, the mean (dashed) and p90 (dotted) as vertical lines, a text alternative. */
  function histogramFigure(chart, idx) {
    const id = `chart-${idx}`;
    const centers = chart.counts.map((_, i) => (chart.edges[i] + chart.edges[i + 1]) / 2);
    const summary =
      `${chart.n} values; mean ${fmt(chart.mean)}, p90 ${fmt(chart.p90)}. Bins: ` +
      chart.counts.map((c, i) => `${fmt(chart.edges[i])} to ${fmt(chart.edges[i + 1])}: ${c}`).join("; ");
    const plot = el("div", { class: "plot", role: "img", "aria-label": `Histogram of ${chart.name}: ${summary}` });
    const fig = el(
      "figure",
      { "aria-labelledby": `${id}-title`, "data-metric": chart.name },
      el("figcaption", { id: `${id}-title` }, `${chart.name}`),
      plot,
      el("p", {}, `n = ${chart.n} · mean ${fmt(chart.mean)} (dashed) · p90 ${fmt(chart.p90)} (dotted)`),
      el("p", { class: "sr-only" }, summary),
    );
    const marker = (u, x, dash, color) => {
      const ctx = u.ctx;
      const px = u.valToPos(x, "x", true);
      ctx.save();
      ctx.strokeStyle = color;
      ctx.lineWidth = 2;
      ctx.setLineDash(dash);
      ctx.beginPath();
      ctx.moveTo(px, u.bbox.top);
      ctx.lineTo(px, u.bbox.top + u.bbox.height);
      ctx.stroke();
      ctx.restore();
    };
    requestAnimationFrame(() => {
      const width = Math.max(300, plot.clientWidth || 360);
      const span = chart.edges[chart.edges.length - 1] - chart.edges[0];
      new uPlot(
        {
          title: undefined,
          width,
          height: 200,
          legend: { show: false },
          cursor: { show: false },
          scales: {
            x: { time: false, range: [chart.edges[0] - span * 0.02, chart.edges[chart.edges.length - 1] + span * 0.02] },
            y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] },
          },
          axes: [{ label: chart.name }, { label: "rows" }],
          series: [
            {},
            { label: "rows", fill: "rgba(9,105,218,0.35)", stroke: "#0969da", paths: uPlot.paths.bars({ size: [0.95, Infinity] }), points: { show: false } },
          ],
          hooks: {
            draw: [
              (u) => {
                marker(u, chart.mean, [6, 4], "#cf222e");
                marker(u, chart.p90, [2, 3], "#8250df");
              },
            ],
          },
        },
        [centers, chart.counts],
        plot,
      );
      plot.querySelector("canvas")?.setAttribute("aria-hidden", "true");
    });
    return fig;
  }

  /**
   * A table of many rows, drawn one page at a time: sortable columns (a button in each header, with
   * aria-sort), a text filter over the text columns, and paging controls that say where you are.
   */
  function pagedTable(container, opts) {
    const { caption, columns, rows, rowClass, pageSize = 50, label = "rows" } = opts;
    let view = rows.map((_, i) => i);
    let sort = { col: -1, dir: 1 };
    let page = 0;
    let query = "";
    const status = el("span", { role: "status", "aria-live": "polite" });
    const input = el("input", { type: "search", placeholder: "filter by text…", "aria-label": `Filter ${label} by text` });
    const prev = el("button", { type: "button" }, "← previous");
    const next = el("button", { type: "button" }, "next →");
    const thead = el("thead");
    const tbody = el("tbody");
    const table = el("table", {}, el("caption", {}, caption), thead, tbody);
    const headRow = el("tr");
    columns.forEach((c, ci) => {
      const th = el("th", { scope: "col", class: c.numeric ? "num" : undefined, "aria-sort": "none" });
      th.append(el("button", { type: "button", onclick: () => sortBy(ci) }, c.label));
      headRow.append(th);
    });
    thead.append(headRow);
    const haystack = rows.map((r) =>
      columns
        .filter((c) => c.text)
        .map((c) => String(c.value(r) ?? "").toLowerCase())
        .join("\n"),
    );

    function apply() {
      view = rows.map((_, i) => i).filter((i) => !query || haystack[i].includes(query));
      if (sort.col >= 0) {
        const c = columns[sort.col];
        view.sort((a, b) => {
          const va = c.value(rows[a]);
          const vb = c.value(rows[b]);
          if (va === vb) return a - b;
          if (va === null || va === undefined) return 1;
          if (vb === null || vb === undefined) return -1;
          return (c.numeric ? va - vb : String(va).localeCompare(String(vb))) * sort.dir;
        });
      }
      page = 0;
      draw();
    }
    function sortBy(ci) {
      sort = sort.col === ci ? { col: ci, dir: -sort.dir } : { col: ci, dir: 1 };
      for (const [i, th] of [...headRow.querySelectorAll("th")].entries())
        th.setAttribute("aria-sort", i === ci ? (sort.dir > 0 ? "ascending" : "descending") : "none");
      apply();
    }
    function draw() {
      const pages = Math.max(1, Math.ceil(view.length / pageSize));
      page = Math.min(page, pages - 1);
      const from = page * pageSize;
      const slice = view.slice(from, from + pageSize);
      tbody.replaceChildren(
        ...slice.map((i) =>
          el(
            "tr",
            { class: rowClass ? rowClass(rows[i]) : undefined, "data-row": i },
            ...columns.map((c) =>
              el("td", { class: [c.numeric ? "num" : "", c.class || ""].join(" ").trim() || undefined }, c.render ? c.render(rows[i]) : fmt(c.value(rows[i]))),
            ),
          ),
        ),
      );
      const filtered = view.length === rows.length ? "" : ` (filtered from ${rows.length.toLocaleString("en-US")})`;
      status.textContent = view.length
        ? `${label} ${from + 1}–${from + slice.length} of ${view.length.toLocaleString("en-US")}${filtered}, page ${page + 1} of ${pages}`
        : `no ${label} match${filtered}`;
      prev.disabled = page === 0;
      next.disabled = page >= pages - 1;
    }
    let timer;
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        query = input.value.trim().toLowerCase();
        apply();
      }, 120);
    });
    prev.addEventListener("click", () => {
      page--;
      draw();
    });
    next.addEventListener("click", () => {
      page++;
      draw();
    });
    container.append(el("div", { class: "controls" }, input, prev, next, status), el("div", { class: "scroll" }, table));
    draw();
  }

  async function start(render) {
    const app = document.getElementById("app");
    try {
      // The run's table, when present, rides in its own block: the file as written, not re-serialized.
      const [data, table] = await Promise.all([loadData("evallab-data"), loadData("evallab-table")]);
      if (table) data.rows = table.data;
      document.title = data.title;
      app.replaceChildren(...render(data));
    } catch (e) {
      app.replaceChildren(el("p", { role: "alert" }, `This report could not be read: ${e.message}`));
      throw e;
    } finally {
      app.removeAttribute("aria-busy");
    }
  }

  return { el, fmt, foldable, histogramFigure, pagedTable, start };
})();
