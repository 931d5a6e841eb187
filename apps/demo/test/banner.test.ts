// The banner `npm start` prints: with --https it names the certificate, and its URLs read back as printed.
import { describe, expect, it } from 'vitest';
import { formatBanner, readBanner } from '../src/banner.js';

const urls = {
  showUrl: 'https://192.0.2.2:5173/show/demo',
  tokenService: 'http://192.0.2.2:8080',
  engineUrl: 'ws://192.0.2.2:7880',
  consoleUrl: 'https://192.0.2.2:5174',
};
const fingerprint = Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(2, '0').toUpperCase()).join(
  ':',
);

describe('banner', () => {
  it('with https: the https URLs and the certificate fingerprint, and how to get past the warning', () => {
    const banner = formatBanner({
      ...urls,
      engine: 'embedded',
      brandKey: 'k',
      certificateFingerprint: fingerprint,
    });
    expect(readBanner(banner)).toEqual(urls);
    expect(banner).toContain(`SHA-256 ${fingerprint}`);
    expect(banner).toContain('Your connection is not private');
  });

  it('without: no certificate line', () => {
    const plain = {
      ...urls,
      showUrl: 'http://127.0.0.1:5173/show/demo',
      consoleUrl: 'http://127.0.0.1:5174',
    };
    const banner = formatBanner({ ...plain, engine: 'livekit', brandKey: 'k' });
    expect(readBanner(banner)).toEqual(plain);
    expect(banner).not.toContain('SHA-256');
  });
});
