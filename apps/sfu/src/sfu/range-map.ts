interface Range {
  start: number;
  /** Inclusive; Infinity for the open range. */
  end: number;
  value: number;
}

/**
 * A value per range of integer keys, as LiveKit's `utils.RangeMap`: the newest range is open-ended,
 * older ones are closed, and keys between two ranges are excluded (they have no value). The munger
 * keeps its sequence-number offsets here, so a packet that arrives late still gets the offset that held
 * when its neighbours were forwarded, even after padding was dropped in between. Keys are extended
 * (unwrapped) numbers; only the newest `capacity` closed ranges are kept.
 */
export class RangeMap {
  private ranges: Range[];

  constructor(
    start: number,
    value: number,
    private readonly capacity = 100,
  ) {
    this.ranges = [{ start, end: Number.POSITIVE_INFINITY, value }];
  }

  /**
   * Exclude the keys [start, endExclusive), which must not lie before the open range; keys from
   * `endExclusive` on get the open range's value plus the number of keys excluded.
   */
  exclude(start: number, endExclusive: number): void {
    const open = this.ranges[this.ranges.length - 1]!;
    if (endExclusive <= start || start < open.start) {
      throw new RangeError(
        `cannot exclude [${start}, ${endExclusive}) from a range starting at ${open.start}`,
      );
    }
    const value = open.value + (endExclusive - start);
    if (start === open.start) {
      open.start = endExclusive;
      open.value = value;
      return;
    }
    open.end = start - 1;
    this.ranges.push({ start: endExclusive, end: Number.POSITIVE_INFINITY, value });
    if (this.ranges.length > this.capacity + 1) this.ranges.shift();
  }

  /** The value for a key, or undefined when it is excluded or older than every range kept. */
  get(key: number): number | undefined {
    for (let i = this.ranges.length - 1; i >= 0; i--) {
      const range = this.ranges[i]!;
      if (key >= range.start) return key <= range.end ? range.value : undefined;
    }
    return undefined;
  }
}
