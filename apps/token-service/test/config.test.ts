import { expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

it('reads token lifetimes as seconds or with s, m, h, and keeps them short', () => {
  expect(loadConfig({})).toMatchObject({ viewerTokenTtlSeconds: 900, feedTokenTtlSeconds: 3600 });
  expect(loadConfig({ VIEWER_TOKEN_TTL: '90' }).viewerTokenTtlSeconds).toBe(90);
  expect(loadConfig({ VIEWER_TOKEN_TTL: '30s', FEED_TOKEN_TTL: '2h' })).toMatchObject({
    viewerTokenTtlSeconds: 30,
    feedTokenTtlSeconds: 7200,
  });
  expect(() => loadConfig({ VIEWER_TOKEN_TTL: '25h' })).toThrow(/VIEWER_TOKEN_TTL: between 1 s and 24 h/);
  expect(() => loadConfig({ VIEWER_TOKEN_TTL: '0' })).toThrow(/VIEWER_TOKEN_TTL/);
  expect(() => loadConfig({ FEED_TOKEN_TTL: '15 minutes' })).toThrow(/FEED_TOKEN_TTL: a number of seconds/);
});

it('reads TRUST_PROXY as a hop count or proxy addresses, and refuses anything else', () => {
  expect(loadConfig({}).trustProxy).toEqual(['loopback']);
  expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
  expect(loadConfig({ TRUST_PROXY: 'uniquelocal, 10.0.0.0/8,fd00::1' }).trustProxy).toEqual([
    'uniquelocal',
    '10.0.0.0/8',
    'fd00::1',
  ]);
  expect(() => loadConfig({ TRUST_PROXY: 'everyone' })).toThrow(/TRUST_PROXY: a hop count, or loopback/);
  expect(() => loadConfig({ TRUST_PROXY: '10.0.0.0/8/1' })).toThrow(/TRUST_PROXY/);
});
