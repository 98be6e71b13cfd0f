// autocannon ships no types and @types/autocannon is not a dependency: this declares the
// small part of its programmatic API that the benchmark uses.

declare module 'autocannon' {
  interface AutocannonOptions {
    url: string;
    connections?: number;
    duration?: number;
    pipelining?: number;
    /** Left unset on purpose: with it, autocannon would fire from worker threads. */
    workers?: number;
  }

  interface AutocannonResult {
    requests: { total: number; average: number };
    errors: number;
    timeouts: number;
    non2xx: number;
    duration: number;
  }

  function autocannon(options: AutocannonOptions): Promise<AutocannonResult>;
  export default autocannon;
}
