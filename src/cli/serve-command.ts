// `chatload serve`: runs the bundled Mattermost-compatible chat server in the foreground
// until SIGINT or SIGTERM. Once listening it prints one JSON line on stdout, `{ url, seed }`,
// so that scripts can find the port (with --port 0) and the seeded names.

import { Command, Option } from 'commander';
import { ChatServer } from '../server/mattermost/server.js';
import { FaultSpecError } from '../server/mattermost/fault-spec.js';
import { seed, type SeedInfo } from '../server/mattermost/seed.js';
import { EXIT, UsageError } from './exit-codes.js';

interface ServeFlags {
  host: string;
  port: string;
  db?: string;
  memory?: boolean;
  fault: string[];
  seedUsers?: string;
  logRequests?: boolean;
  openSignup?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerServeCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('serve')
    .description('run the bundled Mattermost-compatible chat server (with optional faults)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0: any free port)', '8065')
    .addOption(new Option('--db <file>', 'keep the data in this SQLite file').conflicts('memory'))
    .option('--memory', 'keep the data in memory only (the default)')
    .option(
      '--fault <spec>',
      'a fault such as "stall:POST /api/v4/posts=10%" (repeatable)',
      collect,
      [],
    )
    .option('--seed-users <n>', 'create an admin, a team, channels and n users named user-0…')
    .option('--log-requests', 'one line per request on stderr')
    .option('--open-signup', 'let anyone create an account (Mattermost "Open Server")')
    .action(async (flags: ServeFlags) => setExitCode(await serve(flags)));
}

async function serve(flags: ServeFlags): Promise<number> {
  const port = wholeNumber('--port', flags.port, 0, 65535);
  const seedUsers =
    flags.seedUsers === undefined
      ? undefined
      : wholeNumber('--seed-users', flags.seedUsers, 0, 100_000);

  let server: ChatServer;
  try {
    server = new ChatServer({
      dbFile: flags.db,
      faults: flags.fault,
      logRequests: flags.logRequests,
      openSignup: flags.openSignup,
    });
  } catch (error) {
    if (error instanceof FaultSpecError) throw new UsageError(`--fault: ${error.message}`);
    throw new UsageError(`--db ${flags.db}: ${(error as Error).message}`);
  }

  let info: SeedInfo | undefined;
  if (seedUsers !== undefined) info = await seed(server.app.store, { users: seedUsers });
  const bound = await server.listen(port, flags.host);
  const url = `http://${flags.host.includes(':') ? `[${flags.host}]` : flags.host}:${bound}`;
  process.stdout.write(JSON.stringify({ url, seed: info ?? null }) + '\n');

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  // Stopping is how a server ends normally, so a clean stop is a success.
  return EXIT.ok;
}

function wholeNumber(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new UsageError(`${flag}: expected a whole number from ${min} to ${max}, found "${text}"`);
  }
  return value;
}
