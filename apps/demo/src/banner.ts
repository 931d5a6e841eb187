import { stripVTControlCharacters } from 'node:util';
import { devKeys, type EngineName } from '@scenecast/engine';

export interface DemoUrls {
  /** The demo show in the viewer. */
  showUrl: string;
  tokenService: string;
  /** The engine's LiveKit URL (ws://). */
  engineUrl: string;
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
}: DemoUrls & { engine: EngineName }) {
  return `
  scenecast demo is live — Ctrl-C stops everything

  Watch the show     ${showUrl}
  Token service      ${tokenService}   (public show: ${tokenService}/v1/shows/demo, API: ${tokenService}/v1/openapi.json)
  ${engineLabels[engine].padEnd(18)} ${engineUrl}     api key ${devKeys.apiKey} / secret ${devKeys.apiSecret}
`;
}

/** The URLs from the banner in the demo's output, once it is there (tests run the demo and read them). */
export function readBanner(output: string): DemoUrls | undefined {
  const text = stripVTControlCharacters(output);
  const url = (label: string) => new RegExp(`${label}\\s+((?:https?|ws)://\\S+)`).exec(text)?.[1];
  const [showUrl, tokenService, engineUrl] = [
    url('Watch the show'),
    url('Token service'),
    url('(?:SFU \\(LiveKit API\\)|livekit-server)'),
  ];
  return showUrl && tokenService && engineUrl ? { showUrl, tokenService, engineUrl } : undefined;
}
