// Child-process entry of the bundled chat server: listens on 127.0.0.1 (port 0 unless told
// otherwise), seeds, and reports `{ port, seed }` to its parent over IPC. Its settings come
// in one environment variable so that the parent never builds a command line.

import { ChatServer } from './mattermost/server.js';
import { seed, type SeedInfo } from './mattermost/seed.js';

export const CHILD_MARKER = 'chat-server';

export interface ChildSettings {
  host: string;
  port: number;
  users: number;
  faults: string[];
  sessions: boolean;
  dbFile?: string;
  logRequests?: boolean;
}

export type ChildReport = { port: number; seed: SeedInfo } | { error: string };

async function main(settings: ChildSettings): Promise<void> {
  let server: ChatServer;
  try {
    server = new ChatServer({
      dbFile: settings.dbFile,
      faults: settings.faults,
      logRequests: settings.logRequests,
    });
  } catch (error) {
    report({ error: (error as Error).message });
    process.exit(2);
  }
  const info = await seed(server.app.store, { users: settings.users, sessions: settings.sessions });
  const port = await server.listen(settings.port, settings.host);
  report({ port, seed: info });

  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // The parent is gone: nobody will stop this server, so stop now.
  process.once('disconnect', stop);
}

function report(message: ChildReport): void {
  process.send?.(message);
}

if (process.send !== undefined && process.env.CHATLOAD_CHILD === CHILD_MARKER) {
  const settings = JSON.parse(process.env.CHATLOAD_CHAT_SERVER ?? '{}') as ChildSettings;
  main(settings).catch((error: Error) => {
    report({ error: error.message });
    process.exit(3);
  });
}
