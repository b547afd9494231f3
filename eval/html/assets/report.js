// report.html: the run, MLflow's aggregates, one histogram per score metric, the per-row table.

(() => {
  const { el, fmt, foldable, histogramFigure, pagedTable, start } = window.EvalLab;

  function runFacts(run) {
    const c = run.counts || {};
    const duration = run.startedAt && run.finishedAt ? `${((Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000).toFixed(1)} s` : undefined;
    const tokens = run.tokens
      ? `${fmt(run.tokens.prompt)} in, ${fmt(run.tokens.completion)} out${run.tokens.reasoning ? ` (${fmt(run.tokens.reasoning)} reasoning)` : ""}`
      : undefined;
    const facts = [
      [
        "model",
        run.staticPredictions
          ? "none: static predictions scored"
          : [run.model, run.deployment && `deployment ${run.deployment}`, run.deploymentType].filter(Boolean).join(" · ") || undefined,
      ],
      ["endpoint", run.endpointHost && `${run.endpointHost}${run.apiVersion ? ` (API ${run.apiVersion})` : ""}`],
      ["dataset", run.dataset],
      ["dataset sha256", run.datasetSha256],
      ["rows", `${fmt(c.rows)} · answered ${fmt(c.answered)} · filtered ${fmt(c.filtered)} · failed ${fmt(c.failed)}`],
      ["duration", duration],
      ["tokens", tokens],
      ["cost estimate", run.cost],
      ["stopped by", run.fatal],
    ].filter(([, v]) => v !== undefined && v !== null && v !== "");
    return el("dl", { class: "run" }, ...facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  }

  function aggregates(metrics) {
    const names = Object.keys(metrics);
    return el(
      "table",
      { class: "aggregates" },
      el("caption", {}, "Aggregates, named as MLflow names them"),
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "metric"), el("th", { scope: "col", class: "num" }, "value"))),
      el("tbody", {}, ...names.map((n) => el("tr", {}, el("th", { scope: "row" }, n), el("td", { class: "num" }, fmt(metrics[n]))))),
    );
  }

  function rowsTable(data) {
    const holder = el("div");
    const at = (name) => data.columns.indexOf(name);
    const numeric = new Set(data.numeric);
    const columns = [
      { label: "#", numeric: true, value: (r) => r.i + 1 },
      {
        label: "status",
        class: "status",
        text: true,
        value: (r) => (r.mark ? `${r.mark[0]}: ${r.mark[1]}` : "ok"),
        render: (r) => (r.mark ? [r.mark[0], el("span", { class: "reason" }, ` ${r.mark[1]}`)] : "ok"),
      },
      ...data.columns.map((name) => {
        const idx = at(name);
        // Verdicts and rationales (judged scorers) are text like the question and the answer.
        return numeric.has(name)
          ? { label: name, numeric: true, value: (r) => (typeof r.cells[idx] === "number" ? r.cells[idx] : null) }
          : { label: name, text: true, class: `text ${name.replace(/\W+/g, "-")}`, value: (r) => r.cells[idx], render: (r) => foldable(r.cells[idx]) };
      }),
    ];
    const rows = data.rows.map((cells, i) => ({ i, cells, mark: data.marks[i] }));
    pagedTable(holder, {
      caption: `Every row: question, answer${at("ground_truth") >= 0 ? ", ground truth" : ""} and each score; filtered and failed rows are marked with the reason`,
      columns,
      rows,
      rowClass: (r) => (r.mark ? r.mark[0] : undefined),
    });
    return holder;
  }

  start((data) => [
    el("h1", {}, data.title),
    el("section", { "aria-labelledby": "h-run" }, el("h2", { id: "h-run" }, "The run"), runFacts(data.run)),
    el("section", { "aria-labelledby": "h-agg" }, el("h2", { id: "h-agg" }, "Metrics"), aggregates(data.metrics)),
    el(
      "section",
      { "aria-labelledby": "h-dist" },
      el("h2", { id: "h-dist" }, "Distributions"),
      data.charts.length ? el("div", { class: "charts" }, ...data.charts.map(histogramFigure)) : el("p", {}, "No score metric has values."),
    ),
    el("section", { "aria-labelledby": "h-rows" }, el("h2", { id: "h-rows" }, "Rows"), rowsTable(data)),
  ]);
})();
