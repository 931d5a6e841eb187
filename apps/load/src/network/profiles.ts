// The named network presets. Each number says where it comes from in `sources`; where no published figure
// was found the number is ours, and says so. Delays are one way (half the published round trip).
import type { NetworkProfile } from '@scenecast/load-client';

/** A queue that holds `ms` of traffic at `rateKbps`, in bytes: how much a mobile link buffers before it drops. */
const queueFor = (rateKbps: number, ms: number) => Math.round((rateKbps * 1000 * ms) / 1000 / 8);

const ookla5g =
  'Ookla Speedtest Intelligence: global median 5G download 203.04 Mbps (Q3 2023), upload 21.08 Mbps (Q3 2021)';
const opensignal4g =
  'Opensignal, State of Mobile USA (May 2019): 4G download 21.3 Mbps, upload 6.3 Mbps, latency 44.1–66.4 ms';
const loadero4g =
  'Loadero network conditions, preset "4G": 0.2 % loss, 45 ms latency, jitter 5 ms in / 15 ms out';
const loadero3g =
  'Loadero network conditions, preset "3G": 1200 kbit/s, 0.5 % loss, 250 ms latency, 50 ms jitter';
const loadrunnerWifi = 'LoadRunner Cloud network emulations, "WiFi": 100 ms latency, 0.3 % loss';

export const profiles = {
  none: {
    description: 'No emulation: the generator host’s own network (a baseline, and the benchmarks).',
    down: {},
    up: {},
  },
  '5g': {
    description: 'A median 5G connection (mid-band).',
    sources: [
      ookla5g,
      'latency (25 ms round trip), jitter and loss (0.05 %): ours — no published 5G median found; below the 4G figures',
    ],
    down: { rateKbps: 200_000, delayMs: 12, jitterMs: 3, loss: 0.0005, queueBytes: queueFor(200_000, 50) },
    up: { rateKbps: 21_000, delayMs: 12, jitterMs: 3, loss: 0.0005, queueBytes: queueFor(21_000, 50) },
  },
  '4g': {
    description: 'A median 4G/LTE connection.',
    sources: [opensignal4g, loadero4g, 'queue 100 ms at the rate: ours'],
    down: { rateKbps: 21_000, delayMs: 25, jitterMs: 5, loss: 0.002, queueBytes: queueFor(21_000, 100) },
    up: { rateKbps: 6_000, delayMs: 25, jitterMs: 15, loss: 0.002, queueBytes: queueFor(6_000, 100) },
  },
  '4g-poor': {
    description:
      'LTE at the cell edge: little capacity (below the 4K layer, above the stage layer), long and variable delay, random and bursty loss.',
    sources: [
      'rate 1.5 / 0.5 Mbit/s: ours — between Loadero’s "3G" (1.2 Mbit/s) and a 4G median; delay from the top of Opensignal’s 4G latency range doubled (120 ms round trip)',
      loadero3g,
      'burst loss: Gilbert-Elliott p 1 %, r 30 %, half lost while bad (≈1.6 % in bursts of ~3 packets): ours',
      'queue 150 ms at the rate: ours (a bloated cell-edge buffer)',
    ],
    down: {
      rateKbps: 1_500,
      delayMs: 60,
      jitterMs: 30,
      loss: 0.01,
      burst: { p: 0.01, r: 0.3, badLoss: 0.5, goodLoss: 0 },
      queueBytes: queueFor(1_500, 150),
    },
    up: {
      rateKbps: 500,
      delayMs: 60,
      jitterMs: 30,
      loss: 0.01,
      burst: { p: 0.01, r: 0.3, badLoss: 0.5, goodLoss: 0 },
      queueBytes: queueFor(500, 150),
    },
  },
  '3g': {
    description: 'A 3G (HSPA) connection, as Loadero’s preset.',
    sources: [loadero3g, 'latency taken as the round trip (125 ms each way); queue 200 ms at the rate: ours'],
    down: { rateKbps: 1_200, delayMs: 125, jitterMs: 50, loss: 0.005, queueBytes: queueFor(1_200, 200) },
    up: { rateKbps: 1_200, delayMs: 125, jitterMs: 50, loss: 0.005, queueBytes: queueFor(1_200, 200) },
  },
  'wifi-lossy': {
    description: 'A crowded Wi-Fi: plenty of capacity, but random and bursty loss and jitter.',
    sources: [
      loadrunnerWifi,
      'rate 20 / 5 Mbit/s, 1 % random loss and Gilbert-Elliott bursts (p 0.5 %, r 25 %, 30 % lost while bad): ours — a lossier Wi-Fi than LoadRunner’s',
    ],
    down: {
      rateKbps: 20_000,
      delayMs: 10,
      jitterMs: 10,
      loss: 0.01,
      burst: { p: 0.005, r: 0.25, badLoss: 0.3, goodLoss: 0 },
      queueBytes: queueFor(20_000, 50),
    },
    up: {
      rateKbps: 5_000,
      delayMs: 10,
      jitterMs: 10,
      loss: 0.01,
      burst: { p: 0.005, r: 0.25, badLoss: 0.3, goodLoss: 0 },
      queueBytes: queueFor(5_000, 50),
    },
  },
  handover: {
    description: 'The 4G median, with a scripted 2 s outage every 20 s (a cell handover or a tunnel).',
    sources: [opensignal4g, loadero4g, 'outage 2 s every 20 s: ours'],
    down: { rateKbps: 21_000, delayMs: 25, jitterMs: 5, loss: 0.002, queueBytes: queueFor(21_000, 100) },
    up: { rateKbps: 6_000, delayMs: 25, jitterMs: 15, loss: 0.002, queueBytes: queueFor(6_000, 100) },
    outage: { everyMs: 20_000, durationMs: 2_000 },
  },
} satisfies Record<string, NetworkProfile>;
