import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/** Prometheus metrics for the moderator's `/metrics`. */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'moderator_' });

export const metrics = {
  shows: new Gauge({ name: 'moderator_shows', help: 'Shows the moderator is in', registers: [registry] }),
  messages: new Counter({
    name: 'moderator_chat_messages_total',
    help: 'Chat messages the moderator received, by outcome (relayed, refused)',
    labelNames: ['outcome'],
    registers: [registry],
  }),
  mutes: new Counter({
    name: 'moderator_mutes_total',
    help: 'Participants muted for abusing the chat',
    registers: [registry],
  }),
  removals: new Counter({
    name: 'moderator_removals_total',
    help: 'Muted participants removed because the engine still relayed them',
    registers: [registry],
  }),
};
