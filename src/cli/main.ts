// The command line: parses flags with commander, runs a command, and turns every failure
// into one of the documented exit codes (see exit-codes.ts and the README).

import { Command, CommanderError, Option } from 'commander';
import { ScenarioError, formatIssues } from '../scenario/errors.js';
import { loadScenario } from '../scenario/load.js';
import { TOOL_VERSION } from '../version.js';
import { EXIT, UsageError } from './exit-codes.js';
import { runCommand } from './run-command.js';
import { registerReportCommand } from './report-command.js';
import { registerServeCommand } from './serve-command.js';
import { registerCompareCommand } from './compare-command.js';
import { registerSweepCommand } from './sweep-command.js';
import { registerCapacityCommand } from './capacity-command.js';
import { registerBlastCommand } from './blast-command.js';
import { registerProbeCommand } from './probe-command.js';
import { registerMergeCommand } from './merge-command.js';
import { registerK8sCommand } from './k8s-command.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function buildProgram(setExitCode: (code: number) => void): Command {
  const program = new Command('chatload')
    .description('How many concurrent users can this chat server take, and does anything hang?')
    .version(TOOL_VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program
    .command('run')
    .description('run a scenario and report throughput, latency, stalls and freezes')
    .argument('<scenario>', 'scenario file (YAML or JSON)')
    .option('--target <url>', 'base URL of the server under test (overrides the scenario)')
    .option('--stall-after <duration>', 'a request in flight longer than this is stalled')
    .option('--request-timeout <duration>', 'hard per-request timeout, counted as an error')
    .option('--grace <duration>', 'time given to requests still in flight when the run ends')
    .option('--connections <n>', 'a pool of n connections shared by all users, or per-user')
    .option('--threshold <expr>', 'a gate such as "p99 < 300ms" (repeatable)', collect, [])
    .option('--abort-on-fail', 'stop as soon as a threshold fails')
    .option('--seed <n>', 'seed for think times, data picks and flow choice')
    .option('--admin-user <name>', 'chat scenarios: admin account used for setup')
    .option('--admin-password <password>', 'chat scenarios: its password')
    .option('--admin-token <token>', 'chat scenarios: an admin token instead of a password')
    .option('--out <file>', 'where to write the result document')
    .option('--json', 'print the result document on stdout instead of tables')
    .addOption(new Option('--quiet', 'no live progress line on stderr'))
    .option('--html [file]', 'also write an HTML report (default: beside the result)')
    .option('--baseline <file>', 'compare with an earlier result; a regression exits 1')
    .option('--max-regression <list>', "tolerances for --baseline, e.g. 'p99=10%,rps=5%'")
    .option('--force', 'compare even results of different scenarios or configs')
    .option('--junit <file>', 'write thresholds and comparisons as JUnit XML')
    .option('--summary-md <file>', 'write a Markdown summary (also to $GITHUB_STEP_SUMMARY)')
    .option('--probe-baseline <file>', 'report latency inflation against a `chatload probe`')
    .option('--workers <n>', 'split the load over n worker threads; auto: one per core')
    .option('--on-worker-failure <what>', 'when a worker dies: stop (default) or continue')
    .option('--shard <i/n>', 'run shard i of n (from 1), or auto: from a Kubernetes Indexed Job')
    .option('--start-at <time>', 'wait until this ISO 8601 time to start (lines shards up)')
    .action(async (file: string, flags) => setExitCode(await runCommand(file, flags)));

  program
    .command('validate')
    .description('check a scenario file without running it')
    .argument('<scenario>', 'scenario file (YAML or JSON)')
    .action((file: string) => {
      const scenario = loadScenario(file);
      process.stdout.write(`${file}: ok (${scenario.name}, ${scenario.flows.length} flows)\n`);
      setExitCode(EXIT.ok);
    });

  registerServeCommand(program, setExitCode);
  registerReportCommand(program, setExitCode);
  registerCompareCommand(program, setExitCode);
  registerSweepCommand(program, setExitCode);
  registerCapacityCommand(program, setExitCode);
  registerBlastCommand(program, setExitCode);
  registerProbeCommand(program, setExitCode);
  registerMergeCommand(program, setExitCode);
  registerK8sCommand(program, setExitCode);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = buildProgram((code) => (exitCode = code));
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    return reportError(error);
  }
}

function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander has already printed its message; help and --version are not failures.
    const benign = ['commander.helpDisplayed', 'commander.version', 'commander.help'];
    return benign.includes(error.code) ? EXIT.ok : EXIT.usage;
  }
  if (error instanceof ScenarioError) {
    const count = error.issues.length === 1 ? '1 problem' : `${error.issues.length} problems`;
    process.stderr.write(`${formatIssues(error.issues)}\nchatload: invalid scenario (${count})\n`);
    return EXIT.usage;
  }
  if (error instanceof UsageError) {
    process.stderr.write(`chatload: ${error.message}\n`);
    return error.exitCode;
  }
  const code = (error as { code?: string }).code;
  if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
    process.stderr.write(`chatload: ${(error as Error).message}\n`);
    return EXIT.usage;
  }
  process.stderr.write(`chatload: internal error: ${(error as Error).stack ?? error}\n`);
  return EXIT.internal;
}
