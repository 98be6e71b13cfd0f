// Splitting one run's load into parts: shards (`run --shard I/N`, one per machine) and,
// inside a shard, worker threads (`run --workers N`). Every part runs the same scenario
// with the same seed and takes its own share, so that the parts together send exactly
// what a single process would.
//
// - Closed model: the user count the stages ask for at any moment is dealt out round
//   robin: with T users and N parts, part i runs ceil((T - i) / N) of them. The shares
//   always add up to T and grow with T, so a ramp stays a ramp in every part.
// - Each part's users have their own range of user indexes (which pick data rows, seed
//   the users' randomness and name the chat accounts): part i's range starts after the
//   ranges the earlier parts need at the peak.
// - Open model: the k-th due iteration (counted over the whole run) belongs to part
//   k mod N, so the parts' arrivals interleave and their sum is the whole schedule.
//
// Levels nest: a worker of a shard splits the shard's share again, so shards on machines
// with different core counts still add up.

export interface PartLevel {
  /** 0-based. */
  index: number;
  count: number;
}

export class Partition {
  /** Outermost first: the shard, then the worker within it. */
  readonly levels: readonly PartLevel[];

  constructor(levels: readonly PartLevel[] = []) {
    for (const level of levels) {
      if (!(level.count >= 1 && level.index >= 0 && level.index < level.count)) {
        throw new Error(`bad partition level ${level.index}/${level.count}`);
      }
    }
    this.levels = levels;
  }

  get isWhole(): boolean {
    return this.levels.every((level) => level.count === 1);
  }

  /** This part's fraction of the whole. */
  get fraction(): number {
    return this.levels.reduce((product, level) => product / level.count, 1);
  }

  /** A part of this part: worker `index` of `count`. */
  split(index: number, count: number): Partition {
    return new Partition([...this.levels, { index, count }]);
  }

  /** How many of `total` whole things (users) this part takes. */
  shareOf(total: number): number {
    let share = total;
    for (const level of this.levels) share = roundRobinShare(share, level);
    return share;
  }

  /** The first user index of this part's range, when the whole run peaks at `peak` users. */
  firstIndex(peak: number): number {
    let first = 0;
    let share = peak;
    for (const level of this.levels) {
      for (let earlier = 0; earlier < level.index; earlier++) {
        first += roundRobinShare(share, { index: earlier, count: level.count });
      }
      share = roundRobinShare(share, level);
    }
    return first;
  }

  /** Whether the `sequence`-th iteration of the whole open-model schedule is this part's. */
  owns(sequence: number): boolean {
    let rest = sequence;
    for (const level of this.levels) {
      if (rest % level.count !== level.index) return false;
      rest = Math.floor(rest / level.count);
    }
    return true;
  }

  /** "shard 2/4, worker 1/2" (1-based, as the command line writes them). */
  describe(names: readonly string[] = ['shard', 'worker']): string {
    return this.levels
      .map((level, depth) => `${names[depth] ?? 'part'} ${level.index + 1}/${level.count}`)
      .join(', ');
  }
}

function roundRobinShare(total: number, level: PartLevel): number {
  return total > level.index ? Math.ceil((total - level.index) / level.count) : 0;
}
