// The HTML report: one self-contained file with the charts (uPlot, inlined), the summary
// tables and the run's setup. With two results, B is laid over A in every chart and a
// table of per-step deltas follows the headline.
//
// Layout: header (runs, verdict, key figures) → deltas (two runs) → charts → per run:
// thresholds, steps, errors, stalls, freezes, delivery, scenario, configuration.

import { writeFileAtomically } from '../result-file.js';
import type { ResultDocument } from '../result.js';
import { TOOL_VERSION } from '../../version.js';
import { deltasSection } from './compare.js';
import { attr, text } from './markup.js';
import { buildModel, RUN_TAGS } from './model.js';
import { chartScript, jsonForScript, readChartAssets } from './script.js';
import {
  configSection,
  deliverySection,
  errorsSection,
  freezesSection,
  keyFigures,
  scenarioSection,
  stallsSection,
  stepsSection,
  thresholdsSection,
} from './sections.js';
import { REPORT_STYLE } from './style.js';

/** Writes the report for one result, or for two (the second laid over the first). */
export function writeHtmlReport(results: ResultDocument[], outFile: string): void {
  writeFileAtomically(outFile, buildHtmlReport(results));
}

export function buildHtmlReport(results: ResultDocument[]): string {
  if (results.length < 1 || results.length > RUN_TAGS.length) {
    throw new RangeError(`expected one or two results, found ${results.length}`);
  }
  const assets = readChartAssets();
  const title =
    results.length === 1
      ? `chatload report: ${results[0].scenario.name}`
      : `chatload comparison: ${results[0].scenario.name} and ${results[1].scenario.name}`;

  const body = [
    header(results, title),
    results.length === 2 ? deltasSection(results[0], results[1]) : '',
    '<section id="charts-section" aria-labelledby="charts-title">' +
      '<h2 id="charts-title">Over time</h2>' +
      `<p class="muted">${chartsNote(results)}</p><div id="charts"></div></section>`,
    ...results.map((result, i) => runDetails(result, RUN_TAGS[i], results.length > 1)),
    `<footer>Written by chatload ${text(TOOL_VERSION)} on ${text(new Date().toISOString())}.` +
      ' Works offline; all data is in this file.</footer>',
  ];

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${text(title)}</title>
<style>${assets.uplotStyle}</style>
<style>${REPORT_STYLE}</style>
</head>
<body>
<main>
${body.join('\n')}
</main>
<script type="application/json" id="chatload-data">${jsonForScript(buildModel(results))}</script>
<script>${assets.uplotScript}</script>
<script>${chartScript()}</script>
</body>
</html>
`;
}

function header(results: ResultDocument[], title: string): string {
  const runs = results.map((result, i) => {
    const tag = RUN_TAGS[i];
    const run = result.run;
    return (
      `<li><span class="tag ${tag.toLowerCase()}">${tag}</span>` +
      `<strong>${text(result.scenario.name)}</strong> → ${text(result.config.target)} · ` +
      `${text(run.startedAt)} · ${(run.durationMs / 1000).toFixed(1)} s, ${text(run.stopReason)}` +
      ` · seed ${text(result.config.seed)} ${verdictBadge(result)}</li>`
    );
  });
  const figures = results.length === 1 ? keyFigures(results[0]) : '';
  return (
    `<header class="report"><h1>${text(title)}</h1>` +
    `<ul class="run-meta" aria-label="runs">${runs.join('')}</ul>${figures}</header>`
  );
}

function verdictBadge(result: ResultDocument): string {
  if (result.thresholds.length === 0) {
    return '<span class="verdict none">no thresholds</span>';
  }
  const failed = result.thresholds.filter((verdict) => !verdict.passed).length;
  return failed === 0
    ? '<span class="verdict pass">thresholds passed</span>'
    : `<span class="verdict fail">${failed} threshold${failed > 1 ? 's' : ''} failed</span>`;
}

function chartsNote(results: ResultDocument[]): string {
  const base =
    'Each point covers one second; hover a chart to read its values. Shaded bands are ' +
    'freezes (requests in flight, none completing).';
  if (results.length === 1) return base;
  return (
    `${base} Solid lines are A, dashed lines are B, both timed from their own start; ` +
    'red bands are A’s freezes, violet bands B’s.'
  );
}

function runDetails(result: ResultDocument, tag: string, several: boolean): string {
  const id = (name: string) => `${tag.toLowerCase()}-${name}`;
  const heading = several
    ? `<h2 id="${attr(id('details'))}">Run ${tag}: ${text(result.scenario.name)}</h2>` +
      keyFigures(result)
    : '';
  const parts = [
    thresholdsSection(result, id('thresholds')),
    stepsSection(result, id('steps')),
    errorsSection(result, id('errors')),
    stallsSection(result, id('stalls')),
    freezesSection(result, id('freezes')),
    deliverySection(result, id('delivery')),
    scenarioSection(result, id('scenario')),
    configSection(result, id('config')),
  ];
  // Under a run's own heading the sections step one level down. User text is escaped,
  // so the only h2 elements in the parts are the sections' own headings.
  const sections = several ? parts.join('\n').replace(/<(\/?)h2\b/g, '<$1h3') : parts.join('\n');
  return `<div class="run-details">${heading}${sections}</div>`;
}
