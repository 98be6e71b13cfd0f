// Reads a result document back from disk, refusing anything that is not one, with a
// message that names the file and says what was found.

import { readFileSync } from 'node:fs';
import { UsageError } from '../cli/exit-codes.js';
import { RESULT_SCHEMA, type ResultDocument } from '../report/result.js';

export function readResultDocument(path: string, role: string): ResultDocument {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new UsageError(`${role} ${path}: expected a readable result file, found ${reason}`);
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${role} ${path}: expected JSON, found ${(error as Error).message}`);
  }

  const schema = (parsed as { schema?: unknown } | null)?.schema;
  if (schema !== RESULT_SCHEMA) {
    throw new UsageError(
      `${role} ${path}: expected a result document (schema "${RESULT_SCHEMA}"), ` +
        `found schema ${JSON.stringify(schema ?? null)}`,
    );
  }
  const result = parsed as ResultDocument;
  for (const step of result.steps ?? []) {
    if (typeof result.histograms?.steps?.[step.name]?.latency !== 'string') {
      throw new UsageError(`${role} ${path}: step "${step.name}" has no latency histogram`);
    }
  }
  return result;
}
