import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configEnv as moderatorEnv } from '@scenecast/moderator';
import { configEnv } from '@scenecast/token-service';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { readYaml, requirePath, runTool, skipWithout, tool } from './support.js';

const chart = 'infra/k8s/scenecast';
/** The Kubernetes version of kubernetes-models' schemas (resource.k8s.io/v1 is there: 1.34). */
const kubeVersion = '1.34.0';
const helm = tool('helm');

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are whatever the templates produce
type Manifest = any;

async function render(values: Record<string, unknown> = {}): Promise<Manifest[]> {
  const dir = mkdtempSync(join(tmpdir(), 'scenecast-helm-'));
  try {
    const file = join(dir, 'values.json');
    writeFileSync(file, JSON.stringify(values));
    const args = ['template', 'scenecast', chart, '--namespace', 'scenecast', '--kube-version', kubeVersion];
    const { status, output } = await runTool(requirePath(helm), [...args, '-f', file]);
    if (status !== 0) throw new Error(output);
    return parseAllDocuments(output)
      .map((doc) => doc.toJS())
      .filter(Boolean);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Kubernetes' own OpenAPI schemas, as kubernetes-models compiles them (types, required fields, formats). */
async function validateManifest(manifest: Manifest): Promise<void> {
  const module = await import(`kubernetes-models/${manifest.apiVersion}/${manifest.kind}`);
  new module[manifest.kind](manifest).validate();
}

const byKind = (manifests: Manifest[], kind: string) => manifests.filter((m) => m.kind === kind);

describe('infra/k8s/scenecast with the real helm', skipWithout(helm), () => {
  it('passes helm lint --strict', async () => {
    const { status, output } = await runTool(requirePath(helm), ['lint', '--strict', chart]);
    expect(status, output).toBe(0);
    expect(output).toContain('0 chart(s) failed');
  });

  it('renders the token service (Deployment, Service, HPA, PDB), the moderator and the viewer, all valid Kubernetes objects', async () => {
    const manifests = await render();
    expect(manifests.map((m) => `${m.kind}/${m.metadata.name}`).sort()).toEqual([
      'Deployment/scenecast-moderator',
      'Deployment/scenecast-token-service',
      'Deployment/scenecast-viewer',
      'HorizontalPodAutoscaler/scenecast-token-service',
      'Ingress/scenecast',
      'PodDisruptionBudget/scenecast-token-service',
      'Service/scenecast-token-service',
      'Service/scenecast-viewer',
    ]);
    for (const manifest of manifests) await validateManifest(manifest);
  });

  it('the schema check bites: a wrongly typed field is refused', async () => {
    const [deployment] = byKind(await render(), 'Deployment');
    deployment.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    await expect(validateManifest(deployment)).rejects.toThrow(/containerPort must be integer/);
  });

  it('the console drops in: a Deployment, a Service and an Ingress host of its own; replicas fixed without the HPA', async () => {
    const manifests = await render({
      web: { apps: { console: { enabled: true } } },
      tokenService: { autoscaling: { enabled: false } },
    });
    for (const manifest of manifests) await validateManifest(manifest);
    expect(byKind(manifests, 'Deployment').map((m) => m.metadata.name)).toContain('scenecast-console');
    expect(byKind(manifests, 'HorizontalPodAutoscaler')).toEqual([]);
    const tokenService = byKind(manifests, 'Deployment').find((m) =>
      m.metadata.name.endsWith('token-service'),
    );
    expect(tokenService.spec.replicas).toBe(2);
    const [ingress] = byKind(manifests, 'Ingress');
    expect(ingress.spec.rules.map((r: Manifest) => r.host).sort()).toEqual([
      'console.example.com',
      'show.example.com',
    ]);
    const cors = tokenService.spec.template.spec.containers[0].env.find(
      (e: Manifest) => e.name === 'CORS_ORIGINS',
    );
    expect(cors.value.split(',').sort()).toEqual(['https://console.example.com', 'https://show.example.com']);
  });

  it('gives the token service only variables its config schema reads, the secret ones from the Secret', async () => {
    const manifests = await render({ tokenService: { env: { LOG_LEVEL: 'debug' } } });
    const deployment = byKind(manifests, 'Deployment').find((m) => m.metadata.name.endsWith('token-service'));
    const container = deployment.spec.template.spec.containers[0];
    const reads = new Set(Object.keys(configEnv.shape));
    const names = container.env.map((e: Manifest) => e.name);
    expect(names.filter((name: string) => !reads.has(name))).toEqual([]);
    const fromSecret = container.env.filter((e: Manifest) => e.valueFrom?.secretKeyRef);
    expect(fromSecret.map((e: Manifest) => e.name).sort()).toEqual([
      'DATABASE_URL',
      'LIVEKIT_API_SECRET',
      'SCENECAST_ADMIN_TOKEN',
    ]);
    for (const e of fromSecret) expect(e.valueFrom.secretKeyRef.name).toBe('scenecast');
    expect(container.env.find((e: Manifest) => e.name === 'LOG_LEVEL').value).toBe('debug');
    // A misspelt variable in values is caught here, not by an operator wondering why it does nothing.
    const typo = await render({ tokenService: { env: { LOG_LEVL: 'debug' } } });
    const typoEnv = byKind(typo, 'Deployment')
      .find((m) => m.metadata.name.endsWith('token-service'))
      .spec.template.spec.containers[0].env.map((e: Manifest) => e.name);
    expect(typoEnv.filter((name: string) => !reads.has(name))).toEqual(['LOG_LEVL']);
  });

  it('gives the moderator only variables its config schema reads, one replica, the token service it asks', async () => {
    const manifests = await render({ moderator: { env: { CHAT_MAX_LENGTH: '200' } } });
    const deployment = byKind(manifests, 'Deployment').find((m) => m.metadata.name.endsWith('moderator'));
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy.type).toBe('Recreate');
    const env = deployment.spec.template.spec.containers[0].env as Manifest[];
    const reads = new Set(Object.keys(moderatorEnv.shape));
    expect(env.map((e) => e.name).filter((name: string) => !reads.has(name))).toEqual([]);
    expect(
      env
        .filter((e) => e.valueFrom?.secretKeyRef)
        .map((e) => e.name)
        .sort(),
    ).toEqual(['LIVEKIT_API_SECRET', 'SCENECAST_ADMIN_TOKEN']);
    const tokenService = byKind(manifests, 'Service').find((s) => s.metadata.name.endsWith('token-service'));
    expect(env.find((e) => e.name === 'TOKEN_SERVICE_URL').value).toBe(
      `http://${tokenService.metadata.name}:${tokenService.spec.ports[0].port}`,
    );
    expect(env.find((e) => e.name === 'LIVEKIT_URL').value).toBe('wss://livekit.example.com');
    expect(
      byKind(await render({ moderator: { enabled: false } }), 'Deployment').map((m) => m.metadata.name),
    ).not.toContain('scenecast-moderator');
  });

  it('probes, selectors, Ingress backends, HPA and PDB all point at what the chart renders', async () => {
    const manifests = await render({ web: { apps: { console: { enabled: true } } } });
    const deployments = byKind(manifests, 'Deployment');
    const services = byKind(manifests, 'Service');
    for (const deployment of deployments) {
      const pod = deployment.spec.template;
      expect(pod.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);
      expect(pod.spec.securityContext.runAsNonRoot).toBe(true);
      const [container] = pod.spec.containers;
      expect(container.readinessProbe.httpGet.port).toBe('http');
      expect(container.livenessProbe.httpGet.path).toBe('/healthz');
      expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    }
    for (const service of services) {
      const target = deployments.find((d) =>
        Object.entries(service.spec.selector).every(([k, v]) => d.spec.template.metadata.labels[k] === v),
      );
      expect(target, `Service ${service.metadata.name} selects a Deployment`).toBeDefined();
    }
    const [ingress] = byKind(manifests, 'Ingress');
    for (const rule of ingress.spec.rules)
      for (const path of rule.http.paths) {
        const service = services.find((s) => s.metadata.name === path.backend.service.name);
        expect(service, path.backend.service.name).toBeDefined();
        expect(service.spec.ports.map((p: Manifest) => p.name)).toContain(path.backend.service.port.name);
      }
    const [hpa] = byKind(manifests, 'HorizontalPodAutoscaler');
    expect(deployments.map((d) => d.metadata.name)).toContain(hpa.spec.scaleTargetRef.name);
    const [pdb] = byKind(manifests, 'PodDisruptionBudget');
    const tokenService = deployments.find((d) => d.metadata.name === hpa.spec.scaleTargetRef.name);
    expect(tokenService.spec.template.metadata.labels).toMatchObject(pdb.spec.selector.matchLabels);
    expect(tokenService.spec.template.spec.containers[0].readinessProbe.httpGet.path).toBe('/readyz');
  });

  it('refuses missing required values with a message naming them', async () => {
    await expect(render({ livekit: { url: '' } })).rejects.toThrow(/livekit.url is required/);
    await expect(render({ existingSecret: '' })).rejects.toThrow(/existingSecret is required/);
  });

  it("LiveKit's chart values send webhooks to this chart's token service, signed with its key", async () => {
    const values = readYaml<Manifest>('infra/k8s/livekit-values.yaml');
    const ours = readYaml<Manifest>(`${chart}/values.yaml`);
    const [service] = byKind(await render(), 'Service').filter((s) =>
      s.metadata.name.endsWith('token-service'),
    );
    expect(values.livekit.webhook.api_key).toBe(ours.livekit.apiKey);
    expect(values.livekit.webhook.urls).toEqual([
      `http://${service.metadata.name}.scenecast.svc.cluster.local:${service.spec.ports[0].port}/v1/livekit/webhook`,
    ]);
    expect(values.loadBalancer.tls[0].hosts).toEqual([new URL(ours.livekit.url).host]);
  });
});
