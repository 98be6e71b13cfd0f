// Writing results to disk: beside the final name, then renamed, so that a crash mid-write
// never leaves half a file where a reader (or CI) would find it.

import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export function writeFileAtomically(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.partial`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}

/** A result document (or any JSON document chatload writes), indented for people. */
export function writeResultFile(path: string, document: unknown): void {
  writeFileAtomically(path, JSON.stringify(document, null, 2) + '\n');
}
