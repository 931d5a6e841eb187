// The demo's self-signed TLS certificate for `npm start -- --https`: a phone's browser gives the camera only to a
// secure page, and a LAN address has no public certificate. Kept in the state dir, so a phone that accepted
// the warning once keeps working across starts.
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface DemoCertificate {
  certFile: string;
  keyFile: string;
  /** SHA-256 of the certificate, as a browser's certificate viewer shows it (AA:BB:…). */
  fingerprint: string;
  /** The addresses and names it is valid for. */
  names: string[];
}

/** The machine's first non-internal IPv4 address (what a phone on the same Wi-Fi reaches), if any. */
export function lanAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
}

/** Names a certificate covers: `IP Address:1.2.3.4` and `DNS:localhost`, from node's subjectAltName. */
function sans(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? '').split(', ').map((entry) => entry.replace(/^(IP Address|DNS):/, ''));
}

/** The certificate in the file, or undefined when it is not one (damaged: a new one replaces it). */
function readable(file: string): X509Certificate | undefined {
  try {
    return new X509Certificate(readFileSync(file));
  } catch {
    return undefined;
  }
}

/**
 * The certificate for `host` (and 127.0.0.1, localhost) in `stateDir`: the kept one while it covers them and
 * has a week left, else a new one (a year, like a browser's limit for a server certificate).
 */
export async function demoCertificate(stateDir: string, host: string): Promise<DemoCertificate> {
  const certFile = join(stateDir, 'tls-cert.pem');
  const keyFile = join(stateDir, 'tls-key.pem');
  const names = [...new Set([host, '127.0.0.1', 'localhost'])];
  const kept = existsSync(certFile) && existsSync(keyFile) && readable(certFile);
  const weekAhead = Date.now() + 7 * 86_400_000;
  if (kept && names.every((n) => sans(kept).includes(n)) && new Date(kept.validTo).getTime() > weekAhead)
    return { certFile, keyFile, fingerprint: kept.fingerprint256, names: sans(kept) };

  const pems = await generate([{ name: 'commonName', value: `scenecast demo ${host}` }], {
    algorithm: 'sha256',
    keySize: 2048,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: names.map((n) => (n === 'localhost' ? { type: 2, value: n } : { type: 7, ip: n })),
      },
    ],
  });
  writeFileSync(keyFile, pems.private, { mode: 0o600 });
  writeFileSync(certFile, pems.cert);
  const cert = new X509Certificate(pems.cert);
  return { certFile, keyFile, fingerprint: cert.fingerprint256, names: sans(cert) };
}
