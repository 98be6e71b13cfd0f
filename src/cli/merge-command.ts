// `chatload merge A.json B.json … [-o merged.json]` (being written).

import type { Command } from 'commander';

export function registerMergeCommand(
  _program: Command,
  _setExitCode: (code: number) => void,
): void {}
