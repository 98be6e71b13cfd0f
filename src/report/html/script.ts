// The report's inline scripts and styles: uPlot, read from node_modules when the report is
// written, and the chart code of client.ts, inlined by its source text. Nothing is fetched
// when the page is opened, so the file works offline and from any disk.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as client from './client.js';

const require = createRequire(import.meta.url);

export interface ChartAssets {
  uplotScript: string;
  uplotStyle: string;
}

export function readChartAssets(): ChartAssets {
  const read = (file: string) => readFileSync(require.resolve(`uplot/dist/${file}`), 'utf8');
  return {
    uplotScript: safeInScript(read('uPlot.iife.min.js')),
    uplotStyle: read('uPlot.min.css').replace(/<\/style/gi, '<\\/style'),
  };
}

/** The chart code, ready for a <script> element. */
export function chartScript(): string {
  const functions = Object.values(client).filter((value) => typeof value === 'function');
  return safeInScript(
    [
      '"use strict";',
      // A TypeScript loader that keeps function names (tsx does) wraps nested functions in
      // __name(fn, "name"); it is defined at the top of the module, not in the functions
      // inlined here, so the page defines a harmless one.
      'var __name = function (fn) { return fn; };',
      ...functions.map((fn) => fn.toString()),
      'startReport();',
    ].join('\n'),
  );
}

/**
 * JSON for a <script type="application/json"> element. `<` is written as \u003c, which
 * JSON.parse reads back as `<`, so no value can close the element or open a comment.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

// In script text, `</script` ends the element wherever it appears. In a string or regular
// expression literal `<\/script` means the same characters, and outside literals the
// sequence cannot occur in valid code.
function safeInScript(source: string): string {
  return source.replace(/<\/script/gi, '<\\/script');
}
