// The demo's TLS certificate (`npm start -- --https`): made with the names a phone and this machine use,
// kept across starts, and made anew when the LAN address changes.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoCertificate } from '../src/tls.js';

describe('demo certificate', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'demo-tls-'));

  it('covers the LAN address, 127.0.0.1 and localhost, and is kept across starts', async () => {
    const first = await demoCertificate(stateDir, '192.0.2.7');
    const cert = new X509Certificate(readFileSync(first.certFile));
    expect(cert.subjectAltName).toBe('IP Address:192.0.2.7, IP Address:127.0.0.1, DNS:localhost');
    expect(cert.fingerprint256).toBe(first.fingerprint);
    expect(first.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    // The key belongs to the certificate, and only its owner reads it.
    expect(cert.checkPrivateKey(createPrivateKey(readFileSync(first.keyFile)))).toBe(true);
    expect(statSync(first.keyFile).mode & 0o077).toBe(0);
    const days = (Date.parse(cert.validTo) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(300);
    expect(days).toBeLessThanOrEqual(366);

    const again = await demoCertificate(stateDir, '192.0.2.7');
    expect(again.fingerprint).toBe(first.fingerprint);
  });

  it('is made anew for another LAN address', async () => {
    const before = await demoCertificate(stateDir, '192.0.2.7');
    const moved = await demoCertificate(stateDir, '198.51.100.3');
    expect(moved.fingerprint).not.toBe(before.fingerprint);
    expect(moved.names).toEqual(['198.51.100.3', '127.0.0.1', 'localhost']);
  });

  it('replaces a damaged certificate file', async () => {
    const before = await demoCertificate(stateDir, '192.0.2.7');
    writeFileSync(before.certFile, 'not a certificate');
    const after = await demoCertificate(stateDir, '192.0.2.7');
    expect(after.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(new X509Certificate(readFileSync(after.certFile)).fingerprint256).toBe(after.fingerprint);
  });
});
