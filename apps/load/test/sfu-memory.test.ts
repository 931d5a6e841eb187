// rss_growth_pct, the soak's leak verdict: warm-up and teardown do not count, steady growth does.
import { describe, expect, it } from 'vitest';
import { rssGrowthPct } from '../src/sfu-memory.js';

const MB = 1e6;
/** One sample every 30 s over a 30-minute run, from a function of the time. */
const run = (rss: (t: number) => number) =>
  Array.from({ length: 61 }, (_, i) => ({ t: i * 30, rssBytes: rss(i * 30) }));

describe('rssGrowthPct', () => {
  it('is about zero for a heap that warms up in the first minutes and then holds, whatever the teardown does', () => {
    const samples = run((t) => (t < 180 ? 150 * MB + t * MB : 350 * MB + ((t / 30) % 3) * MB));
    samples.push({ t: 1815, rssBytes: 650 * MB }); // every viewer leaving at once, after the run
    expect(Math.abs(rssGrowthPct(samples, 5, 1800)!)).toBeLessThan(1);
  });

  it('reports a steady leak', () => {
    // 200 MB growing 10 MB a minute: +100 % from the second tenth's median to the last tenth's.
    const growth = rssGrowthPct(
      run((t) => 200 * MB + (t / 60) * 10 * MB),
      0,
      1800,
    )!;
    expect(growth).toBeGreaterThan(80);
    expect(growth).toBeLessThan(110);
  });

  it('says nothing from fewer than three samples', () => {
    expect(
      rssGrowthPct(
        [
          { t: 10, rssBytes: MB },
          { t: 20, rssBytes: 2 * MB },
        ],
        0,
      ),
    ).toBeNull();
  });
});
