/** The Content-Security-Policy header value of scenecast's web apps. */
export function contentSecurityPolicy(options: { livekitUrl: string; connect?: string[] }): string;
/** Every security header the web apps are served with (the policy among them). */
export function securityHeaders(options: { livekitUrl: string; connect?: string[] }): Record<string, string>;
