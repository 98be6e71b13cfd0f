// How the generator's own heap grows. Thousands of chat users receive a message every second
// or so per socket; each socket read is a Node Buffer whose bytes live outside the JS heap, in
// malloc. Many of those Buffers outlive two minor GCs and are only freed by a full one, and V8
// by default lets the old generation grow to about twice its live size first. The garbage
// that piles up meanwhile pushes glibc's heap to a high-water mark it never gives back, so the
// process keeps tens of MB of free but resident memory (`npm run bench:users`: 31–35 KB of
// RSS per added user, of which about 10 KB is live heap). A smaller growing factor runs full
// GCs sooner, for a little more CPU, and keeps that high-water mark low.

import v8 from 'node:v8';

// Old generation may grow to 1.2× its live size before the next full GC (V8 picks 1.1–4×).
const HEAP_GROWING_PERCENT = 20;

let applied = false;

/** Applies once per process; later calls do nothing. */
export function limitHeapGrowth(): void {
  if (applied) return;
  applied = true;
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
