import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { configEnv as moderatorEnv } from '@scenecast/moderator';
import { configEnv } from '@scenecast/token-service';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { composeSchemaPath, envExample, infra, readYaml } from './support.js';

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string; args?: Record<string, string> };
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, unknown> | string[];
  profiles?: string[];
}
interface Compose {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
}

const composeDir = join(infra, 'compose');
const composeText = readFileSync(join(composeDir, 'compose.yaml'), 'utf8');
const compose = readYaml<Compose>('infra/compose/compose.yaml');

/** Go's time.Duration syntax, the schema's one custom format ("duration"), as compose-go registers it. */
const goDuration = /^-?(\d+(\.\d*)?(ns|us|µs|ms|s|m|h))+$/;

function composeValidator() {
  const schema = JSON.parse(readFileSync(composeSchemaPath(), 'utf8'));
  const ajv = new Ajv2020.default({ allErrors: true, strict: false });
  ajv.addFormat('duration', goDuration);
  return ajv.compile(schema);
}

describe('infra/compose/compose.yaml', () => {
  const validate = composeValidator();

  it('validates against the Compose specification schema', () => {
    const valid = validate(compose);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(valid).toBe(true);
  });

  it('the schema check bites: a misspelt key or a wrong type is refused', () => {
    const typo = structuredClone(compose) as unknown as { services: Record<string, Record<string, unknown>> };
    const tokenService = typo.services['token-service'] as Record<string, unknown>;
    tokenService.enviroment = tokenService.environment;
    expect(validate(typo)).toBe(false);
    const wrongType = structuredClone(compose) as unknown as {
      services: Record<string, Record<string, unknown>>;
    };
    (wrongType.services.redis as Record<string, unknown>).ports = 6379;
    expect(validate(wrongType)).toBe(false);
  });

  it('gives the token service only variables its config schema reads', () => {
    const reads = new Set(Object.keys(configEnv.shape));
    const given = Object.keys(compose.services['token-service']?.environment ?? {});
    expect(given.length).toBeGreaterThan(5);
    expect(given.filter((name) => !reads.has(name))).toEqual([]);
    // The secrets it must have in production are given, not left to the laptop defaults.
    for (const name of ['DATABASE_URL', 'LIVEKIT_URL', 'LIVEKIT_API_KEY', 'LIVEKIT_API_SECRET', 'HOST'])
      expect(given).toContain(name);
  });

  it('gives the chat moderator only variables its config schema reads, and the same LiveKit key and admin token', () => {
    const reads = new Set(Object.keys(moderatorEnv.shape));
    const moderator = compose.services.moderator?.environment ?? {};
    const tokenEnv = compose.services['token-service']?.environment ?? {};
    expect(Object.keys(moderator).filter((name) => !reads.has(name))).toEqual([]);
    // The same value: the same literal, or the same variable of .env.
    const source = (value: string | undefined) => /^\$\{(\w+)/.exec(value ?? '')?.[1] ?? value;
    for (const name of ['LIVEKIT_API_KEY', 'LIVEKIT_API_SECRET', 'SCENECAST_ADMIN_TOKEN'])
      expect(source(moderator[name]), name).toBe(source(tokenEnv[name]));
    expect(moderator.TOKEN_SERVICE_URL).toBe(`http://token-service:${tokenEnv.PORT}`);
  });

  it('gives Caddy exactly the variables its Caddyfile reads', () => {
    const caddyfile = readFileSync(join(composeDir, 'Caddyfile'), 'utf8');
    const reads = new Set([...caddyfile.matchAll(/\{\$([A-Z0-9_]+)/g)].map((m) => m[1]));
    const given = new Set(Object.keys(compose.services.caddy?.environment ?? {}));
    expect([...given].sort()).toEqual([...reads].sort());
  });

  it('every variable it requires is in .env.example, and .env.example holds nothing unused', () => {
    const example = envExample();
    const referenced = new Set([...composeText.matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1] as string));
    const required = [...composeText.matchAll(/\$\{([A-Z0-9_]+):\?/g)].map((m) => m[1] as string);
    expect(required.length).toBeGreaterThan(3);
    expect(required.filter((name) => !(name in example))).toEqual([]);
    expect(Object.keys(example).filter((name) => !referenced.has(name))).toEqual([]);
  });

  it('mounts and builds only files that exist', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0] as string;
        if (source.startsWith('.'))
          expect(existsSync(resolve(composeDir, source)), `${name}: ${source}`).toBe(true);
        else expect(compose.volumes, `${name}: named volume ${source}`).toHaveProperty(source);
      }
      if (service.build) {
        const context = resolve(composeDir, service.build.context);
        expect(existsSync(join(context, service.build.dockerfile)), `${name}: dockerfile`).toBe(true);
        const app = service.build.args?.APP;
        // The console slot builds apps/console, which lands with issue 12; it runs only with --profile console.
        if (app && !existsSync(join(context, 'apps', app))) expect(service.profiles).toEqual(['console']);
      }
      const dependsOn = service.depends_on ?? [];
      for (const dependency of Array.isArray(dependsOn) ? dependsOn : Object.keys(dependsOn))
        expect(compose.services, `${name} depends on ${dependency}`).toHaveProperty(dependency);
    }
  });

  it('pins every image to a version', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (service.build) continue;
      expect(service.image, name).toMatch(/^[\w./-]+:v?\d+\.\d+(\.\d+)?[\w.-]*$/);
    }
    for (const file of ['token-service.Dockerfile', 'web.Dockerfile', 'moderator.Dockerfile']) {
      const text = readFileSync(join(infra, 'docker', file), 'utf8');
      for (const match of text.matchAll(/^ARG \w+_IMAGE=(.+)$/gm))
        expect(match[1], file).toMatch(/:\d+\.\d+\.\d+-/);
      expect(text, file).toMatch(/^USER \d+:\d+$/m);
      expect(text, file).toMatch(/^HEALTHCHECK /m);
      expect(text.match(/^FROM /gm)?.length, `${file} is multi-stage`).toBe(2);
    }
  });

  it('LiveKit, the token service and Prometheus agree on names, ports and the webhook key', () => {
    const livekit = readYaml<{
      port: number;
      prometheus: { port: number };
      webhook: { api_key: string; urls: string[] };
      redis: { address: string };
    }>('infra/compose/livekit.yaml');
    const tokenEnv = compose.services['token-service']?.environment ?? {};
    expect(livekit.webhook.api_key).toBe(tokenEnv.LIVEKIT_API_KEY);
    expect(compose.services.livekit?.environment?.LIVEKIT_KEYS).toMatch(
      new RegExp(`^${livekit.webhook.api_key}: \\$\\{LIVEKIT_API_SECRET`),
    );
    expect(livekit.webhook.urls).toEqual([`http://token-service:${tokenEnv.PORT}/v1/livekit/webhook`]);
    expect(livekit.redis.address).toBe('redis:6379');
    const prometheus = readYaml<{
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    }>('infra/observability/prometheus/prometheus.yml');
    const targets = Object.fromEntries(
      prometheus.scrape_configs.map((job) => [job.job_name, job.static_configs[0]?.targets[0]]),
    );
    expect(targets.livekit).toBe(`livekit:${livekit.prometheus.port}`);
    expect(targets['token-service']).toBe(`token-service:${tokenEnv.PORT}`);
    const moderatorGiven = compose.services.moderator?.environment ?? {};
    expect(moderatorGiven.LIVEKIT_URL).toBe(`ws://livekit:${livekit.port}`);
    expect(targets.moderator).toBe(`moderator:${moderatorGiven.PORT}`);
  });
});
