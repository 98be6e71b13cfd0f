// How the generator's own heap grows. Thousands of chat users receive a message every second
// or so per socket; each socket read is a Node Buffer whose bytes live outside the JS heap, in
// malloc. In chatload's runs most of those Buffers survive minor GCs and are freed only by a
// full one (forced minor GCs free none of them; why is not pinned down), and V8 by default
// lets the old generation grow to about twice its live size first. The garbage that piles up
// meanwhile, during a ramp-up most of all, pushes glibc's heap to a high-water mark it never
// gives back: free but resident memory. `npm run bench:users` measured 28 KB of RSS per
// added user without this (6.3 KB of it live heap) and 11-13 KB with it, for about 30% more
// time in GC pauses (2.3 s instead of 1.7 s over the 5,000-user run) and 0.62 cores instead
// of 0.54.
//
// Compacting on every full GC (--compact-on-every-full-gc) was tried as well: it gave back the
// old generation's fragmented pages (about 16 KB per user) but took the generator from 0.7 to
// 0.9 cores at 5,000 users, and its pauses made the server's deliveries look lost. Rejected:
// a generator that cannot keep up reports the wrong server.
//
// Limitation: a process-wide V8 setting, applied by the first chat run and kept afterwards.

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
