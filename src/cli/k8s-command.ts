// `chatload k8s <scenario> --shards N --image IMAGE` (being written).

import type { Command } from 'commander';

export function registerK8sCommand(_program: Command, _setExitCode: (code: number) => void): void {}
