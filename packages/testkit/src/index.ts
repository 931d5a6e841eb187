// The load subscriber lives with the load tool; tests and benchmarks reach it here as before.
export { LoadSubscriber, type SubscriberCounters, vp8KeyframeSize } from '@scenecast/load-client';
export { chromiumArgs, chromiumPath, keepPeerConnections, launchChromium } from './browser.js';
export { type Flood, type FloodOptions, type FloodReport, startFlood } from './flood.js';
export { serveLivekitClientPage } from './livekit-page.js';
export { createNetNamespace, type NetNamespace, netNamespaceUnavailable } from './netns.js';
export { processCpuSeconds } from './process-usage.js';
export { type SignalTap, startSignalTap, type TappedConnection } from './signal-tap.js';
export { skipWhen } from './skip.js';
export {
  longestFreeze,
  recordStage,
  type StageStats,
  type StageTimeline,
  stageStats,
  stageSummary,
  stageTimeline,
} from './stage-timeline.js';
export { publishSyntheticVideo } from './synthetic-video.js';
export { devKey, devSecret, participantToken } from './tokens.js';
export { publishTone, tonePower } from './tone.js';
export { countVideoFrames, type FrameCounter } from './video-frames.js';
export { setVideoQuality } from './video-quality.js';
export { waitFor } from './wait.js';
export { receiveWebhooks, type WebhookSink } from './webhooks.js';
export {
  type OutboundLayer,
  publishWhipFromChromium,
  type WhipPublisher,
  type WhipPublisherOptions,
} from './whip-publisher.js';
export {
  type CandidateListener,
  listenForChecks,
  patchWhipSession,
  trickleFragment,
  trickleOffer,
} from './whip-trickle.js';
