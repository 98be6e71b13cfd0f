// Prints the capacity answer: the number, the bracket, what broke first above it, and the
// levels tried in order.

import Table from 'cli-table3';
import type { CapacityDocument } from './capacity.js';
import { LEVEL_HEAD, levelCells } from './level-row.js';
import { plain } from '../report/tables.js';

export function formatCapacity(doc: CapacityDocument): string {
  const table = new Table({ head: ['#', ...LEVEL_HEAD, 'SLO'], style: plain });
  doc.levels.forEach((level, i) => {
    table.push([i + 1, ...levelCells(level), level.passed ? 'pass' : 'FAIL']);
  });
  const parts = [
    `chatload capacity · ${doc.scenario.name} → ${doc.config.target}`,
    `SLO: ${doc.config.slo.join(', ')}`,
    answerLine(doc),
    brokeLines(doc),
    table.toString(),
  ];
  return parts.filter((p) => p.length > 0).join('\n\n') + '\n';
}

function answerLine(doc: CapacityDocument): string {
  const { pass, fail } = doc.bracket;
  if (fail === null) {
    const max = doc.config.max;
    return `capacity: at least ${pass} users (every level up to --max ${max} met the SLO)`;
  }
  if (pass === 0) return `capacity: below ${fail} users (the lowest level tried failed the SLO)`;
  return `capacity: ${doc.answer} users (meets the SLO at ${pass}, fails at ${fail})`;
}

function brokeLines(doc: CapacityDocument): string {
  if (doc.brokeFirst.length === 0) return '';
  const lines = [`what broke first at ${doc.bracket.fail} users:`];
  for (const b of doc.brokeFirst) {
    const where = b.steps.length > 0 ? ` in step ${b.steps.join(', ')}` : '';
    lines.push(`  ${b.signal}: ${b.term}${where} (measured ${b.measured})`);
  }
  return lines.join('\n');
}
