export { Link, type LinkStats, udpOverhead } from './link.js';
export {
  type LinkProfile,
  linkProfile,
  type NetworkProfile,
  networkProfile,
  type Outage,
} from './profile.js';
export {
  LoadSubscriber,
  SignalRejected,
  type SubscriberCounters,
  type SubscriberOptions,
} from './subscriber.js';
export type { TextMessage } from './text-stream.js';
export { type FrameEvents, StreamCounter, VideoReceiver, type VideoSize, vp8KeyframeSize } from './video.js';
