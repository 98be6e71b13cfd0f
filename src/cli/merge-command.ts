// `chatload merge A.json B.json … [-o merged.json]`: one result document from the result
// documents of the shards (or workers) of a run, with every threshold judged again on the
// merged numbers. Exit 1 when one fails, as `run` would have.

import type { Command } from 'commander';
import { readResultDocument } from '../compare/read.js';
import { mergeResults, shardsCoveredBy } from '../report/merge.js';
import type { ShardInfo } from '../report/result.js';
import { writeResultFile } from '../report/result-file.js';
import { formatSummary } from '../report/tables.js';
import { EXIT, UsageError } from './exit-codes.js';

export interface MergeFlags {
  out?: string;
  json?: boolean;
  force?: boolean;
}

export function mergeCommand(files: string[], flags: MergeFlags): number {
  if (flags.out !== undefined && flags.out.trim() === '') {
    throw new UsageError('--out: expected a file name, found an empty string');
  }
  const parts = files.map((file) => ({ doc: readResultDocument(file, 'result'), label: file }));
  const merged = mergeResults(parts, { force: flags.force });

  if (flags.out !== undefined) writeResultFile(flags.out, merged);
  process.stdout.write(flags.json ? JSON.stringify(merged, null, 2) + '\n' : formatSummary(merged));

  const shards = parts.flatMap((part) => shardsCoveredBy(part.doc));
  const into = flags.out === undefined ? '' : ` into ${flags.out}`;
  log(`merged ${parts.length} results${shardsNote(shards)}${into}`);
  const missing = merged.merged?.missingShards ?? [];
  if (missing.length > 0) {
    log(
      `warning: shard${missing.length === 1 ? '' : 's'} ${missing.join(',')} of ` +
        `${shards[0].count} missing: the merged result covers only part of the load`,
    );
  }
  return merged.thresholds.every((verdict) => verdict.passed) ? EXIT.ok : EXIT.gateFailed;
}

/** " (shards 1,2,3 of 3)" for the shards of a run, "" for whole runs. */
function shardsNote(shards: ShardInfo[]): string {
  if (shards.length === 0) return '';
  const indexes = shards.map((shard) => shard.index).sort((a, b) => a - b);
  return ` (shards ${indexes.join(',')} of ${shards[0].count})`;
}

function log(message: string): void {
  process.stderr.write(`chatload: ${message}\n`);
}

export function registerMergeCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('merge')
    .description('merge the result documents of the shards or workers of one run')
    .argument('<files...>', 'result documents (JSON), at least two')
    .option('-o, --out <file>', 'where to write the merged result document')
    .option('--json', 'print the merged result document on stdout instead of tables')
    .option('--force', 'merge results whose seed, target, timeouts or connections differ')
    .action((files: string[], flags: MergeFlags) => setExitCode(mergeCommand(files, flags)));
}
