import { stripVTControlCharacters } from 'node:util';
import { devKeys, type EngineName } from '@scenecast/engine';

export interface DemoUrls {
  /** The demo show in the viewer. */
  showUrl: string;
  tokenService: string;
  /** The engine's LiveKit URL (ws://). */
  engineUrl: string;
  /** The brand console. */
  consoleUrl: string;
}

const engineLabels: Record<EngineName, string> = {
  embedded: 'SFU (LiveKit API)',
  livekit: 'livekit-server',
};

/** What `npm start` prints once the demo is up: where to look. */
export function formatBanner({
  engine,
  showUrl,
  tokenService,
  engineUrl,
  consoleUrl,
  brandKey,
  certificateFingerprint,
}: DemoUrls & { engine: EngineName; brandKey: string; certificateFingerprint?: string }) {
  // The browser warns about the self-signed certificate; the fingerprint lets a user check it is this one.
  const tls = certificateFingerprint
    ? `
  Self-signed TLS    SHA-256 ${certificateFingerprint}
                     a phone's browser warns once ("Your connection is not private": Advanced, Proceed);
                     check the fingerprint its certificate viewer shows against this one first
`
    : '';
  return `
  scenecast demo is live — Ctrl-C stops everything

  Watch the show     ${showUrl}
  Brand console      ${consoleUrl}   sign in with the demo brand's key ${brandKey}
  Token service      ${tokenService}   (public show: ${tokenService}/v1/shows/demo, API: ${tokenService}/v1/openapi.json)
  ${engineLabels[engine].padEnd(18)} ${engineUrl}     api key ${devKeys.apiKey} / secret ${devKeys.apiSecret}
${tls}`;
}

/** The URLs from the banner in the demo's output, once it is there (tests run the demo and read them). */
export function readBanner(output: string): DemoUrls | undefined {
  const text = stripVTControlCharacters(output);
  const url = (label: string) => new RegExp(`${label}\\s+((?:https?|ws)://\\S+)`).exec(text)?.[1];
  const [showUrl, tokenService, engineUrl, consoleUrl] = [
    url('Watch the show'),
    url('Token service'),
    url('(?:SFU \\(LiveKit API\\)|livekit-server)'),
    url('Brand console'),
  ];
  return showUrl && tokenService && engineUrl && consoleUrl
    ? { showUrl, tokenService, engineUrl, consoleUrl }
    : undefined;
}
