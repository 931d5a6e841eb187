export { chromiumArgs, chromiumPath, launchChromium } from './browser.js';
export { serveLivekitClientPage } from './livekit-page.js';
export { LoadSubscriber, type SubscriberCounters, vp8KeyframeSize } from './load-subscriber.js';
export { publishSyntheticVideo } from './synthetic-video.js';
export { devKey, devSecret, participantToken } from './tokens.js';
export { setVideoQuality } from './video-quality.js';
export { waitFor } from './wait.js';
export { createNetNamespace, type NetNamespace, netNamespaceUnavailable } from './netns.js';
