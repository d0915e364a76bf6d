// UTC offsets and offset transitions of IANA zones, read from the runtime's ICU data through Intl and cached.
//
// Time is cut into chunks of CHUNK_MS. The first time a chunk of a zone is needed, its offset is sampled every
// SAMPLE_MS and every change between two samples is bisected to the second, giving the exact list of transitions
// in the chunk. After that an offset costs a map lookup and a scan of a (nearly always empty) list. A transition
// that is undone within SAMPLE_MS would be missed: no zone has had one.

/** A change of a zone's UTC offset. Offsets are local minus UTC, in milliseconds. */
export interface Transition {
  /** The first instant (ms since the epoch, a whole second) at which `after` applies. */
  at: number;
  before: number;
  after: number;
}

interface Chunk {
  /** The offset just before the chunk starts. */
  offset: number;
  /** Transitions with `at` inside the chunk, in order. */
  transitions: Transition[];
}

const SECOND = 1000;
const HOUR = 3_600_000;
const CHUNK_MS = 64 * 24 * HOUR;
const SAMPLE_MS = 6 * HOUR;
const MAX_CACHED_CHUNKS = 50_000;

const NO_TRANSITIONS: Transition[] = [];

export class Zone {
  readonly #format: Intl.DateTimeFormat;
  readonly #chunks = new Map<number, Chunk>();

  constructor(readonly name: string) {
    this.#format = new Intl.DateTimeFormat("en-US", {
      timeZone: name,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
  }

  /** The offset in force at instant `ms`. */
  offsetAt(ms: number): number {
    const chunk = this.#chunk(Math.floor(ms / CHUNK_MS));
    let offset = chunk.offset;
    for (const t of chunk.transitions) {
      if (t.at > ms) break;
      offset = t.after;
    }
    return offset;
  }

  /** Transitions with `lo <= at < hi`, in order (usually none: the shared empty array is returned then). */
  transitionsBetween(lo: number, hi: number): Transition[] {
    const first = Math.floor(lo / CHUNK_MS);
    const last = Math.floor((hi - 1) / CHUNK_MS);
    let out: Transition[] = NO_TRANSITIONS;
    for (let k = first; k <= last; k++) {
      for (const t of this.#chunk(k).transitions) {
        if (t.at >= lo && t.at < hi) {
          if (out === NO_TRANSITIONS) out = [];
          out.push(t);
        }
      }
    }
    return out;
  }

  #chunk(k: number): Chunk {
    let chunk = this.#chunks.get(k);
    if (!chunk) {
      chunk = this.#scan(k * CHUNK_MS, (k + 1) * CHUNK_MS);
      if (this.#chunks.size >= MAX_CACHED_CHUNKS) this.#chunks.clear();
      this.#chunks.set(k, chunk);
    }
    return chunk;
  }

  /** Finds the transitions with start <= at < end. */
  #scan(start: number, end: number): Chunk {
    const offset = this.#sample(start - SECOND);
    const transitions: Transition[] = [];
    let lo = start - SECOND;
    let offLo = offset;
    while (lo < end - SECOND) {
      const hi = Math.min(lo + SAMPLE_MS, end - SECOND);
      const offHi = this.#sample(hi);
      // Several changes between two samples are found one by one, as long as they do not cancel out.
      while (offHi !== offLo) {
        let l = lo;
        let h = hi;
        while (h - l > SECOND) {
          const mid = l + Math.floor((h - l) / (2 * SECOND)) * SECOND;
          if (this.#sample(mid) === offLo) l = mid;
          else h = mid;
        }
        const after = this.#sample(h);
        transitions.push({ at: h, before: offLo, after });
        lo = h;
        offLo = after;
      }
      lo = hi;
      offLo = offHi;
    }
    return { offset, transitions: transitions.length ? transitions : NO_TRANSITIONS };
  }

  /** The offset at `ms` (a whole second), straight from Intl. */
  #sample(ms: number): number {
    // "M/D/YYYY, HH:MM:SS"; format() is several times faster than formatToParts().
    const s = this.#format.format(ms);
    let i = 0;
    const next = () => {
      let n = 0;
      while (i < s.length) {
        const c = s.charCodeAt(i);
        if (c >= 48 && c <= 57) break;
        i++;
      }
      while (i < s.length) {
        const c = s.charCodeAt(i);
        if (c < 48 || c > 57) break;
        n = n * 10 + c - 48;
        i++;
      }
      return n;
    };
    const month = next();
    const day = next();
    const year = next();
    const hour = next();
    const minute = next();
    const second = next();
    return Date.UTC(year, month - 1, day, hour, minute, second) - ms;
  }
}

const zones = new Map<string, Zone>();

/** The cached rules of a zone the runtime knows (check with isValidTimeZone first: an unknown name throws). */
export function zone(name: string): Zone {
  let z = zones.get(name);
  if (!z) {
    z = new Zone(name);
    if (zones.size >= 1000) zones.clear();
    zones.set(name, z);
  }
  return z;
}
