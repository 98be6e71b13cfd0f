// `chatload report RESULT.json [MORE.json] [-o report.html]`: an HTML report with charts
// from a saved result, or from two laid over each other (the second against the first).

import type { Command } from 'commander';
import { basename, dirname, join } from 'node:path';
import { writeHtmlReport, buildHtmlReport } from '../report/html/page.js';
import { readResultFile } from '../report/html/read.js';
import { EXIT, UsageError } from './exit-codes.js';

export interface ReportFlags {
  output?: string;
}

export function registerReportCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('report')
    .description('write an HTML report with charts from a result (two: compare them)')
    .argument('<result>', 'result document written by chatload run')
    .argument('[other]', 'a second result, laid over the first and compared with it')
    .option('-o, --output <file>', 'where to write the report, or - for stdout')
    .action((first: string, second: string | undefined, flags: ReportFlags) => {
      setExitCode(reportCommand(second === undefined ? [first] : [first, second], flags));
    });
}

export function reportCommand(files: string[], flags: ReportFlags): number {
  const output = flags.output ?? defaultReportPath(files);
  if (output.trim() === '') {
    throw new UsageError('--output: expected a file name or -, found an empty string');
  }
  const results = files.map((file) => readResultFile(file));

  if (output === '-') {
    process.stdout.write(buildHtmlReport(results));
    return EXIT.ok;
  }
  writeHtmlReport(results, output);
  process.stderr.write(`chatload: report written to ${output}\n`);
  return EXIT.ok;
}

/** Beside the (first) result: results/a.json → results/a.html, or a-vs-b.html for two. */
export function defaultReportPath(files: string[]): string {
  const stem = (file: string) => basename(file).replace(/\.json$/i, '');
  const name = files.length === 1 ? stem(files[0]) : `${stem(files[0])}-vs-${stem(files[1])}`;
  return join(dirname(files[0]), `${name}.html`);
}
