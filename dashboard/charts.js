// Small bar charts in SVG (no library): one bar per minute, the latest on the right. Each chart
// says in words what it shows, for screen readers.

const NS = "http://www.w3.org/2000/svg";

function svg(tag, attributes) {
  const element = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  return element;
}

// A chart of `values` (one per minute, oldest first) titled `title`.
export function barChart(title, values, { width = 300, height = 60 } = {}) {
  const total = values.reduce((a, b) => a + b, 0);
  const max = Math.max(1, ...values);
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", class: "chart" });
  const label = `${title}: ${total} in the last ${values.length} minutes, ${values.at(-1) ?? 0} in the latest`;
  chart.setAttribute("aria-label", label);
  chart.append(Object.assign(svg("title", {}), { textContent: label }));
  const step = width / Math.max(1, values.length);
  values.forEach((value, i) => {
    const barHeight = Math.round((value / max) * (height - 2));
    if (barHeight > 0) chart.append(svg("rect", { x: (i * step).toFixed(1), y: height - barHeight, width: Math.max(1, step - 1).toFixed(1), height: barHeight }));
  });
  chart.append(svg("line", { x1: 0, y1: height - 0.5, x2: width, y2: height - 0.5, class: "axis" }));
  return chart;
}
