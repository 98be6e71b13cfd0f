// The report's own styles: light, quiet, readable on screen and on paper. Colours of the
// chart lines live in client.ts; these only frame them.

export const REPORT_STYLE = `
:root { --ink: #1f2937; --muted: #6b7280; --line: #e5e7eb; --panel: #f9fafb;
  --bad: #b91c1c; --good: #15803d; --accent: #2563eb; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink); background: #fff; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 64px; }
header.report { border-bottom: 1px solid var(--line); margin-bottom: 16px; }
h1 { font-size: 1.6rem; margin: 0 0 4px; }
h2 { font-size: 1.2rem; margin: 32px 0 8px; padding-bottom: 4px;
  border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 20px 0 6px; }
.muted { color: var(--muted); }
.run-meta { margin: 0 0 12px; padding: 0; list-style: none; }
.run-meta li { margin: 2px 0; }
.tag { display: inline-block; min-width: 1.6em; text-align: center; border-radius: 4px;
  background: var(--ink); color: #fff; font-weight: 600; font-size: .85em; margin-right: 6px; }
.tag.b { background: #7c3aed; }
.verdict { display: inline-block; padding: 2px 10px; border-radius: 999px; font-weight: 600; }
.verdict.pass { background: #dcfce7; color: var(--good); }
.verdict.fail { background: #fee2e2; color: var(--bad); }
.verdict.none { background: var(--panel); color: var(--muted); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(130px, 1fr)); gap: 10px;
  margin: 12px 0; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 8px;
  padding: 8px 12px; }
.card dt { color: var(--muted); font-size: .8rem; }
.card dd { margin: 0; font-size: 1.25rem; font-weight: 600; font-variant-numeric: tabular-nums; }
.card.bad dd { color: var(--bad); }
#charts { display: grid; grid-template-columns: 1fr; gap: 18px; }
@media (min-width: 1100px) { #charts { grid-template-columns: 1fr 1fr; } }
figure.chart { margin: 0; padding: 12px; border: 1px solid var(--line); border-radius: 8px;
  background: #fff; min-width: 0; }
figure.chart figcaption { margin-bottom: 8px; font-size: .9rem; }
figure.chart figcaption strong { display: block; font-size: 1rem; }
.u-legend { font-size: .8rem; }
.u-legend .u-value { font-variant-numeric: tabular-nums; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; margin: 8px 0 12px; font-size: .9rem; }
caption { text-align: left; color: var(--muted); font-size: .85rem; padding-bottom: 4px; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: left;
  vertical-align: top; }
thead th { background: var(--panel); font-weight: 600; }
tbody th { font-weight: 500; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
table.settings td { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .85rem;
  word-break: break-word; }
.pass, .better { color: var(--good); font-weight: 600; }
.fail, .worse { color: var(--bad); font-weight: 600; }
.same { color: var(--muted); }
.bars { max-width: 560px; margin: 8px 0 12px; }
.bar-row { display: grid; grid-template-columns: 110px 1fr 70px; align-items: center; gap: 8px;
  margin: 3px 0; }
.bar { height: 14px; background: #f87171; border-radius: 3px; min-width: 2px; }
.bar-value { text-align: right; font-variant-numeric: tabular-nums; }
pre.code { background: var(--panel); border: 1px solid var(--line); border-radius: 8px;
  padding: 12px; overflow-x: auto; font-size: .85rem; }
.run-details { margin-top: 40px; }
.run-details > h2 { font-size: 1.35rem; border-bottom: 2px solid var(--ink); }
footer { margin-top: 48px; color: var(--muted); font-size: .8rem; }
@media print { #charts { grid-template-columns: 1fr; } figure.chart { break-inside: avoid; } }
`;
