// Exit codes are a public contract (CI scripts depend on them); see the README.
export const EXIT = {
  /** The run finished and every threshold passed. */
  ok: 0,
  /** The run finished (results written) but a threshold failed. */
  gateFailed: 1,
  /** Bad command line or bad scenario; nothing was sent to the target. */
  usage: 2,
  /** chatload itself failed: a bug or an environment problem (a full disk, say). */
  internal: 3,
  /** Stopped with Ctrl-C (SIGINT); results were still written. */
  interrupted: 130,
} as const;

/** An error the user can fix: printed as one line, with the exit code it carries. */
export class UsageError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode: number = EXIT.usage) {
    super(message);
    this.name = 'UsageError';
    this.exitCode = exitCode;
  }
}
