import { stripVTControlCharacters } from 'node:util';

export interface DemoUrls {
  /** The demo show in the viewer. */
  showUrl: string;
  tokenService: string;
  /** The SFU's LiveKit URL (ws://). */
  sfuUrl: string;
}

/** What `npm start` prints once the demo is up: where to look. */
export function formatBanner({ showUrl, tokenService, sfuUrl }: DemoUrls): string {
  return `
  scenecast demo is live — Ctrl-C stops everything

  Watch the show     ${showUrl}
  Token service      ${tokenService}   (public show: ${tokenService}/v1/shows/demo, API: ${tokenService}/v1/openapi.json)
  SFU (LiveKit API)  ${sfuUrl}     api key devkey / secret secret
`;
}

/** The URLs from the banner in the demo's output, once it is there (tests run the demo and read them). */
export function readBanner(output: string): DemoUrls | undefined {
  const text = stripVTControlCharacters(output);
  const url = (label: string) => new RegExp(`${label}\\s+((?:https?|ws)://\\S+)`).exec(text)?.[1];
  const [showUrl, tokenService, sfuUrl] = [
    url('Watch the show'),
    url('Token service'),
    url('SFU \\(LiveKit API\\)'),
  ];
  return showUrl && tokenService && sfuUrl ? { showUrl, tokenService, sfuUrl } : undefined;
}
