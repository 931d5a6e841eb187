/**
 * Power of one frequency in a block of 16-bit samples, so tests can tell which tone they hear
 * (Goertzel: one DFT bin in a few lines, all a test needs — an FFT library for a few bins would be more
 * code to trust, not less). A full-scale sine at `hz` gives 1.
 */
export function tonePower(samples: Int16Array, hz: number, rate: number): number {
  const coefficient = 2 * Math.cos((2 * Math.PI * hz) / rate);
  let s1 = 0;
  let s2 = 0;
  for (const sample of samples) {
    const s0 = sample / 32768 + coefficient * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return (s1 * s1 + s2 * s2 - coefficient * s1 * s2) / (samples.length / 2) ** 2;
}
