import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics for `/metrics`; one registry per process, shared by every room. */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'sfu_process_' });

const counter = (name: string, help: string, labelNames: string[] = []) =>
  new Counter({ name, help, labelNames, registers: [registry] });
const gauge = (name: string, help: string) => new Gauge({ name, help, registers: [registry] });

export const metrics = {
  rooms: gauge('livekit_room_total', 'Rooms open'),
  participants: gauge('livekit_participant_total', 'Participants connected'),
  tracksPublished: gauge('livekit_track_published_total', 'Tracks published'),
  tracksSubscribed: gauge('livekit_track_subscribed_total', 'Track subscriptions'),
  packets: counter('livekit_packet_total', 'RTP packets', ['direction', 'kind']),
  bytes: counter('livekit_packet_bytes', 'RTP payload bytes', ['direction', 'kind']),
  nacks: counter('livekit_nack_total', 'NACK feedback received from subscribers'),
  plis: counter('livekit_pli_total', 'Keyframe requests sent to publishers'),
  layerSwitches: counter('livekit_layer_switch_total', 'Simulcast layer switches made for subscribers'),
  layerSwitchWait: new Histogram({
    name: 'livekit_layer_switch_wait_seconds',
    help:
      'Time a subscriber waited for a simulcast layer switch: from asking (or the layer becoming the goal) to ' +
      'forwarding it (outcome reached), or to asking for something else first (superseded)',
    labelNames: ['outcome'],
    buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30],
    registers: [registry],
  }),
  keyframeRerequests: counter(
    'livekit_keyframe_rerequest_total',
    'Keyframe requests sent again because the one before went unanswered past the time keyframes take',
  ),
  dynacastRenewals: counter(
    'livekit_dynacast_renew_total',
    'Times a publisher was told again which layers are needed because a subscriber kept waiting for one',
  ),
  congestionSwitches: counter(
    'livekit_congestion_layer_change_total',
    "Layer ceiling changes from subscribers' packet loss",
    ['direction'],
  ),
  bweCuts: counter('livekit_bwe_cut_total', "Cuts of a subscriber's bandwidth estimate on congestion"),
  bweProbes: counter(
    'livekit_bwe_probe_total',
    "Probes of a subscriber's link, by outcome (raised: a track got more; held: carried, no step fit; failed)",
    ['outcome'],
  ),
  retransmissionsDropped: counter(
    'livekit_bwe_retransmission_dropped_total',
    "Retransmissions (NACK answers) not sent because the subscriber's link was congested",
  ),
  pacerDropped: counter(
    'livekit_pacer_dropped_total',
    "Video packets the pacer dropped after queueing half a second toward a subscriber (a cut layer's excess)",
  ),
  allocationChanges: counter(
    'livekit_stream_allocation_change_total',
    "Layer changes the bandwidth allocator made for subscribers' tracks",
    ['direction'],
  ),
  fanOutDrops: counter(
    'livekit_fanout_drop_total',
    'Packets dropped because forwarding fell a second behind',
  ),
  dataPackets: counter('livekit_data_packet_total', 'Data packets', ['direction']),
  dataDropped: counter(
    'livekit_data_packet_dropped_total',
    "Data packets not relayed: over the sender's data limits",
    ['reason'],
  ),
  dataAbuseDisconnects: counter(
    'livekit_data_abuse_disconnect_total',
    'Participants disconnected for flooding data past their limits',
  ),
  signalFrames: counter('livekit_signal_frame_total', 'Signalling frames received from clients'),
  signalErrors: counter('livekit_signal_error_total', 'Malformed or refused signalling messages', ['reason']),
  webhooks: counter('livekit_webhook_total', 'Webhook deliveries', ['event', 'outcome']),
  callbackErrors: counter(
    'livekit_callback_error_total',
    'Exceptions caught at a callback boundary (timer, socket, peer connection, webhook) instead of crashing',
    ['where'],
  ),
  // LiveKit's name and buckets, so one dashboard and one loss alert serve both engines.
  packetLoss: new Histogram({
    name: 'livekit_packet_loss_percent',
    help: "Packet loss (%) in each subscriber's receiver reports",
    labelNames: ['direction', 'type'],
    buckets: [0, 0.1, 0.3, 0.5, 0.7, 1, 5, 10, 40, 100],
    registers: [registry],
  }),
};
