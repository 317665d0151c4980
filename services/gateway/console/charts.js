// The yearly tables' charts, drawn with the vendored Chart.js (vendor/chart.umd.min.js, loaded on the first
// report page only). Each report gets the chart its published table would: shares as a doughnut, the
// keyword × qualification cross-table and timeliness as stacked bars, months as grouped bars. A chart leaves
// out the total row (the table prints it) and never draws without its table beside it.

const SCRIPT = "/console/vendor/chart.umd.min.js";
// Okabe–Ito: told apart with the common colour-vision deficiencies, and in grey print.
const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#000000"];

let loading = null;

/** Chart.js, once: a classic script that sets window.Chart (its UMD build needs no module of its own). */
export function loadChart() {
  if (window.Chart) return Promise.resolve(window.Chart);
  loading = loading || new Promise((resolve, reject) => {
    const script = Object.assign(document.createElement("script"), { src: SCRIPT });
    script.onload = () => resolve(window.Chart);
    script.onerror = () => reject(new Error(`${SCRIPT} did not load`));
    document.head.append(script);
  });
  return loading;
}

/** Draws the chart of `report`'s table `body` on `canvas`: words from `columnWord`, row names from `cell`. */
export function chartFor(canvas, report, body, columnWord, cell) {
  const key = body.columns[0];
  const rows = body.rows.filter((row) => row[key] !== "total");
  const name = (row) => ("label" in row ? row.label : cell(row, key));
  const count = body.columns.includes("cases") ? "cases" : body.columns.find((c) => c !== key && numeric(rows, c));
  const bar = (columns, { stacked = false, horizontal = false, max } = {}) => ({
    type: "bar",
    data: { labels: rows.map(name), datasets: columns.map((c, i) => dataset(columnWord(c), rows.map((r) => r[c]), i)) },
    options: options({ stacked, horizontal, max, legend: columns.length > 1 }),
  });
  let config;
  switch (report) {
    case "kinds":
      config = { type: "doughnut", data: { labels: rows.map(name), datasets: [{ label: columnWord("cases"),
        data: rows.map((r) => r.cases), backgroundColor: rows.map((_, i) => PALETTE[i % PALETTE.length]) }] },
        options: { animation: false, maintainAspectRatio: false, plugins: { legend: { position: "right" } } } };
      break;
    case "qualifications": {
      // Rows without a case say nothing in a chart (the table keeps them).
      const schemes = body.columns.slice(2).filter((c) => c !== "total");
      const counted = rows.filter((r) => (r.total ?? schemes.reduce((n, c) => n + (r[c] || 0), 0)) > 0);
      config = { type: "bar", data: { labels: counted.map(name), datasets: schemes.map((c, i) =>
        dataset(columnWord(c), counted.map((r) => r[c]), i)) },
      options: options({ stacked: true, horizontal: true, legend: true }) };
      break;
    }
    case "timeliness":
      config = bar(["answered_within", "answered_outside", "open"], { stacked: true });
      break;
    case "monthly":
      config = bar(["new", "closed"]);
      break;
    case "within-days":
      config = bar(["share_pct"], { max: 100 });
      break;
    case "entity-months": {
      const months = body.columns.filter((c) => /^m\d\d$/.test(c));
      config = { type: "bar", data: { labels: months.map(columnWord), datasets: rows.map((r, i) =>
        dataset(name(r), months.map((m) => r[m]), i)) }, options: options({ stacked: true, legend: true }) };
      break;
    }
    case "relative-to-contacts":
      config = bar(["relative_pct"], { horizontal: true });
      break;
    default:
      config = bar([count], { horizontal: rows.length > 6 });
  }
  if (config.options.indexAxis === "y") {
    // A bar per row, each tall enough for its label: the city's 37 teams need more than the usual box.
    canvas.parentElement.style.height = `${Math.max(20, 1.75 * config.data.labels.length + 4)}rem`;
  }
  config.options.plugins = { ...config.options.plugins, title: { display: false } };
  // The canvas is an image for assistive technology (role="img" and its label): the table is its text.
  return new window.Chart(canvas, config);
}

function dataset(label, data, i) {
  return { label, data, backgroundColor: PALETTE[i % PALETTE.length], borderColor: PALETTE[i % PALETTE.length] };
}

function options({ stacked, horizontal, max, legend }) {
  const value = { stacked, beginAtZero: true, max, ticks: { precision: 0 } };
  const category = { stacked, ticks: { autoSkip: false } };
  return {
    animation: false,  // drawn at once: for the print view, and for a reader who does not want motion
    maintainAspectRatio: false,
    indexAxis: horizontal ? "y" : "x",
    scales: horizontal ? { x: value, y: category } : { x: category, y: value },
    plugins: { legend: { display: legend, position: "bottom" }, tooltip: { enabled: true } },
    locale: document.documentElement.lang === "nl" ? "nl-BE" : "en-GB",
  };
}

function numeric(rows, column) {
  return rows.some((row) => typeof row[column] === "number");
}
