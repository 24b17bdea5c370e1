// The row cache of opencode PR #29029, in front of any strategy as `cached:<name>`.
//
// Built objects are kept per row id and reused while the row's `time_updated` is unchanged;
// a changed row is rebuilt and its entry replaced (keeping its place in insertion order, as a
// Map does). When a cache holds more than its capacity, the first-inserted 10 % of the
// capacity is deleted (FIFO, as the PR's `evictOldest`). Only infos and parts are cached:
// hydrate() still gives every message a fresh `parts` array.

export const INFO_CAPACITY = 200_000;
export const PART_CAPACITY = 400_000;
export const PREFIX = "cached:";

export class RowCache {
  constructor(capacity) {
    this.capacity = capacity;
    this.entries = new Map();
    this.hits = 0;
    this.misses = 0;
    this.evictions = 0;
  }

  /** `build` behind this cache: rows are keyed by `row.id`, valid while `row.time_updated` holds. */
  wrap(build) {
    return (row) => {
      const cached = this.entries.get(row.id);
      if (cached !== undefined && cached.time_updated === row.time_updated) {
        this.hits++;
        return cached.value;
      }
      this.misses++;
      const value = build(row);
      this.entries.set(row.id, { time_updated: row.time_updated, value });
      this.evictOldest();
      return value;
    };
  }

  evictOldest() {
    if (this.entries.size <= this.capacity) return;
    const count = Math.floor(this.capacity * 0.1);
    let deleted = 0;
    for (const key of this.entries.keys()) {
      this.entries.delete(key);
      if (++deleted >= count) break;
    }
    this.evictions += deleted;
  }

  stats() {
    return { size: this.entries.size, capacity: this.capacity, hits: this.hits, misses: this.misses,
      evictions: this.evictions };
  }
}

/** A new strategy object with its own pair of caches in front of `base`'s builders. */
export function cached(base) {
  const infos = new RowCache(INFO_CAPACITY);
  const parts = new RowCache(PART_CAPACITY);
  return {
    name: PREFIX + base.name,
    info: infos.wrap(base.info),
    part: parts.wrap(base.part),
    cacheStats: () => ({ info: infos.stats(), part: parts.stats() }),
  };
}
