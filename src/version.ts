import { readFileSync } from 'node:fs';

// Read from package.json so that the version has one source of truth. The file sits one
// level up from src/ (run through tsx) and two levels up from dist/src/ (compiled).
const manifestUrl = new URL('../../package.json', import.meta.url);
const fallbackUrl = new URL('../package.json', import.meta.url);

function readVersion(): string {
  for (const url of [fallbackUrl, manifestUrl]) {
    try {
      return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
    } catch {
      // try the next location: the path differs between src/ (tsx) and dist/src/
    }
  }
  return '0.0.0';
}

export const TOOL_VERSION = readVersion();
