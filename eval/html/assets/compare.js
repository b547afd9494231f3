// compare.html: the aggregate matrix (runs as columns, differences against the first) and the rows
// present in several runs, matched by question.

(() => {
  const { el, fmt, foldable, pagedTable, start } = window.EvalLab;

  function matrix(data) {
    const head = el(
      "tr",
      {},
      el("th", { scope: "col" }, "metric"),
      ...data.runs.map((r, i) => el("th", { scope: "col", class: "num", title: r.dir }, i === 0 ? `${r.label} (base)` : r.label)),
    );
    const body = data.matrix.map((m) =>
      el(
        "tr",
        {},
        el("th", { scope: "row" }, m.metric),
        ...m.values.map((v, i) => {
          const d = m.diffs[i];
          const diff =
            i > 0 && d !== null
              ? el("span", { class: `diff${m.beyond[i] ? " beyond" : ""}` }, ` (${d >= 0 ? "+" : ""}${fmt(d)}${m.beyond[i] ? " *" : ""})`)
              : null;
          return el("td", { class: "num" }, fmt(v), diff);
        }),
      ),
    );
    return el(
      "table",
      { class: "matrix" },
      el(
        "caption",
        {},
        "Aggregates per run, with the difference against the first; * marks a difference beyond twice its standard error (more than run-to-run spread)",
      ),
      el("thead", {}, head),
      el("tbody", {}, ...body),
    );
  }

  function rows(data) {
    const holder = el("div");
    const columns = [
      { label: "question", text: true, class: "text", value: (r) => r.question, render: (r) => foldable(r.question) },
      { label: "changed", text: true, value: (r) => (r.changed ? "changed" : "same") },
      ...data.runs.flatMap((run, i) => [
        {
          label: `${run.label}: answer`,
          text: true,
          class: "text",
          value: (r) => (r.runs[i] ? r.runs[i].answer : null),
          render: (r) => foldable(r.runs[i] ? r.runs[i].answer : null),
        },
        ...data.scoreNames.map((n) => ({ label: `${run.label}: ${n}`, numeric: true, value: (r) => (r.runs[i] ? r.runs[i].scores[n] : null) })),
      ]),
    ];
    pagedTable(holder, {
      caption: "Rows present in two or more runs, matched by question",
      columns,
      rows: data.rows,
      rowClass: (r) => (r.changed ? "changed" : undefined),
    });
    return holder;
  }

  start((data) => [
    el("h1", {}, data.title),
    el(
      "section",
      { "aria-labelledby": "h-runs" },
      el("h2", { id: "h-runs" }, "Runs"),
      el("ol", {}, ...data.runs.map((r) => el("li", {}, `${r.label}: ${r.dir} (${fmt(r.rows)} rows)`))),
    ),
    el("section", { "aria-labelledby": "h-matrix" }, el("h2", { id: "h-matrix" }, "Metrics"), el("div", { class: "scroll" }, matrix(data))),
    el("section", { "aria-labelledby": "h-rows" }, el("h2", { id: "h-rows" }, "Rows"), rows(data)),
  ]);
})();
