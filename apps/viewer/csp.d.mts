/** The origins the page may connect to for one LiveKit URL (its ws(s) and http(s) origins). */
export function livekitSources(livekitUrl: string): string[];
/** The Content-Security-Policy header value of scenecast's web apps. */
export function contentSecurityPolicy(options: { livekitUrl: string; connect?: string[] }): string;
