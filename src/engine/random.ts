// Seeded randomness, so that `--seed` makes think times, data picks and flow choices
// reproducible. Each user draws from its own stream (seed + user index), so the values a
// user sees do not depend on how the event loop interleaved the users.

/** sfc32: small, fast, and good enough for load shaping (not for cryptography). */
function sfc32(a: number, b: number, c: number, d: number): () => number {
  return () => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

/** Mixes a 32-bit value (splitmix32 finaliser) so that nearby seeds give unrelated streams. */
function mix32(value: number): number {
  let z = (value + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

export function createRandom(seed: number, stream: number): () => number {
  const base = mix32(seed ^ mix32(stream));
  const random = sfc32(mix32(base + 1), mix32(base + 2), mix32(base + 3), mix32(base + 4));
  for (let i = 0; i < 12; i++) random(); // the first outputs of sfc32 are weakly mixed
  return random;
}

/** A seed for runs without `--seed`: different every run, and printed so it can be reused. */
export function freshSeed(): number {
  return Math.floor(Math.random() * 0x7fffffff);
}

/** Picks an index with probability proportional to its weight. */
export function pickWeighted(weights: readonly number[], random: () => number): number {
  let total = 0;
  for (const weight of weights) total += weight;
  let point = random() * total;
  for (let i = 0; i < weights.length; i++) {
    point -= weights[i];
    if (point < 0) return i;
  }
  return weights.length - 1;
}
