// `chatload blast <url>`: raw endpoint throughput (autocannon), as a result document.

import type { Command } from 'commander';
import { blast } from '../capacity/blast.js';
import {
  defaultPath,
  durationFlag,
  log,
  positiveIntegerFlag,
  writeDocument,
} from '../capacity/command-support.js';
import { formatSummary } from '../report/tables.js';
import type { HttpMethod } from '../scenario/types.js';
import { EXIT, UsageError } from './exit-codes.js';

export interface BlastFlags {
  connections?: string;
  duration?: string;
  method?: string;
  body?: string;
  header: string[];
  timeout?: string;
  json?: boolean;
  out?: string;
}

const METHODS: HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

export async function blastCommand(url: string, flags: BlastFlags): Promise<number> {
  const options = {
    url: urlArgument(url),
    connections: positiveIntegerFlag('-c/--connections', flags.connections ?? '10'),
    durationMs: durationFlag('-d/--duration', flags.duration ?? '10s'),
    method: methodFlag(flags.method ?? 'GET'),
    body: flags.body,
    headers: headersFlag(flags.header),
    timeoutMs: durationFlag('--timeout', flags.timeout ?? '10s'),
  };
  if (options.durationMs < 1000) {
    throw new UsageError(`-d/--duration: expected at least 1s, found ${options.durationMs}ms`);
  }

  log(`blasting ${options.method} ${options.url} with ${options.connections} connections`);
  const result = await blast(options);
  const outPath = flags.out ?? defaultPath('blast', 'blast');
  writeDocument(outPath, result);
  process.stdout.write(flags.json ? JSON.stringify(result, null, 2) + '\n' : formatSummary(result));
  log(`results written to ${outPath}`);
  return EXIT.ok;
}

function urlArgument(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(
      `<url>: expected a URL such as http://127.0.0.1:8065/ping, found "${text}"`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`<url>: expected an http:// or https:// URL, found "${text}"`);
  }
  return url.href;
}

function methodFlag(text: string): HttpMethod {
  const method = text.toUpperCase() as HttpMethod;
  if (!METHODS.includes(method)) {
    throw new UsageError(`--method: expected one of ${METHODS.join(', ')}, found "${text}"`);
  }
  return method;
}

function headersFlag(lines: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  lines.forEach((line, index) => {
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) {
      throw new UsageError(
        `--header ${index + 1}: expected "Name: value" such as "Authorization: Bearer x", ` +
          `found "${line}"`,
      );
    }
    headers[name] = line.slice(colon + 1).trim();
  });
  return headers;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function registerBlastCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('blast')
    .description('raw throughput of one endpoint (autocannon), written as a result document')
    .argument('<url>', 'the endpoint, such as http://127.0.0.1:8065/api/v4/system/ping')
    .option('-c, --connections <n>', 'concurrent connections (default 10)')
    .option('-d, --duration <duration>', 'how long to send (default 10s)')
    .option('--method <method>', 'HTTP method (default GET)')
    .option('--body <text>', 'request body')
    .option(
      '--header <line>',
      'a header such as "Content-Type: application/json" (repeatable)',
      collect,
      [],
    )
    .option('--timeout <duration>', 'per-request timeout, counted as an error (default 10s)')
    .option('--json', 'print the result document on stdout instead of tables')
    .option('--out <file>', 'where to write the result document')
    .action(async (url: string, flags: BlastFlags) => setExitCode(await blastCommand(url, flags)));
}
