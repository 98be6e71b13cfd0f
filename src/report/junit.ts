// JUnit XML for CI systems: every threshold is a test case, and so is every compared
// metric of a baseline comparison. A failure carries the measured value and the limit.
// The format is the common subset that Jenkins, GitLab and the GitHub test reporters read:
// <testsuites> holding one <testsuite> per kind, each with <testcase> and <failure>.

import type { Comparison } from '../compare/compare.js';
import { deltaText, valueText } from '../compare/format.js';
import { formatMeasured, type ThresholdVerdict } from './gates.js';
import type { ResultDocument } from './result.js';

interface Case {
  name: string;
  classname: string;
  failure?: { message: string; detail: string; type: 'threshold' | 'regression' };
}

export function formatJUnit(result: ResultDocument, comparison?: Comparison): string {
  const suites = [
    { name: `chatload thresholds: ${result.scenario.name}`, cases: thresholdCases(result) },
  ];
  if (comparison !== undefined) {
    suites.push({
      name: `chatload comparison: ${result.scenario.name}`,
      cases: comparisonCases(comparison),
    });
  }

  const seconds = (result.run.durationMs / 1000).toFixed(3);
  const tests = suites.reduce((sum, suite) => sum + suite.cases.length, 0);
  const failures = suites.reduce((sum, s) => sum + s.cases.filter((c) => c.failure).length, 0);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="chatload" tests="${tests}" failures="${failures}" time="${seconds}">`,
  ];
  for (const suite of suites) lines.push(...suiteXml(suite.name, suite.cases, seconds));
  lines.push('</testsuites>');
  return lines.join('\n') + '\n';
}

function thresholdCases(result: ResultDocument): Case[] {
  return result.thresholds.map((verdict) => ({
    name: verdict.expression,
    classname: 'chatload.thresholds',
    ...(verdict.passed ? {} : { failure: thresholdFailure(verdict) }),
  }));
}

function thresholdFailure(verdict: ThresholdVerdict): Case['failure'] {
  const measured = verdict.note ?? formatMeasured(verdict.actual, verdict.unit);
  const limit = formatMeasured(verdict.limit, verdict.unit);
  return {
    type: 'threshold',
    message: `measured ${measured}, limit ${verdict.expression} (${limit})`,
    detail: `threshold ${verdict.expression}\nmeasured: ${measured}\nlimit: ${limit}`,
  };
}

function comparisonCases(comparison: Comparison): Case[] {
  return comparison.metrics.map((m) => {
    const name = `${m.metric} (${m.scope})`;
    if (m.verdict !== 'regressed') return { name, classname: 'chatload.comparison' };
    const base = valueText(m.base, m.unit);
    const next = valueText(m.next, m.unit);
    return {
      name,
      classname: 'chatload.comparison',
      failure: {
        type: 'regression',
        message: m.reason,
        detail:
          `base: ${base}\nnew: ${next}\ndelta: ${deltaText(m)}\n` +
          `limit: ${m.tolerance.limit}${m.tolerance.unit === 'count' ? '' : m.tolerance.unit}`,
      },
    };
  });
}

function suiteXml(name: string, cases: Case[], seconds: string): string[] {
  const failures = cases.filter((c) => c.failure).length;
  const lines = [
    `  <testsuite name="${attr(name)}" tests="${cases.length}" failures="${failures}"` +
      ` errors="0" skipped="0" time="${seconds}">`,
  ];
  for (const testCase of cases) {
    const names = `name="${attr(testCase.name)}" classname="${attr(testCase.classname)}"`;
    const open = `    <testcase ${names}`;
    if (!testCase.failure) {
      lines.push(`${open}/>`);
      continue;
    }
    lines.push(`${open}>`);
    lines.push(
      `      <failure message="${attr(testCase.failure.message)}"` +
        ` type="${testCase.failure.type}">` +
        `${text(testCase.failure.detail)}</failure>`,
    );
    lines.push('    </testcase>');
  }
  lines.push('  </testsuite>');
  return lines;
}

// XML 1.0 forbids most control characters even when escaped: they are dropped.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

function text(value: string): string {
  return value
    .replace(FORBIDDEN, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

function attr(value: string): string {
  return text(value)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}
