// The token service's public contract (apps/token-service): the show a viewer may watch, and a token
// that lets it subscribe and chat, nothing more.

export type SceneKind = 'studio' | 'factory' | 'farm' | 'custom';

export interface Scene {
  id: string;
  kind: SceneKind;
  label: string;
  order: number;
  location?: string | null;
  description?: string | null;
  live: boolean;
}

export interface TraceRecord {
  id: string;
  stage: string;
  batch?: string | null;
  place?: string | null;
  time?: string | null;
  description?: string | null;
  evidence?: { name?: string | null; number?: string | null; url?: string | null } | null;
  sceneId?: string | null;
}

export interface Show {
  id: string;
  title: string;
  product: string;
  status: string;
  scenes: Scene[];
  trace: TraceRecord[];
}

export interface ViewerToken {
  url: string;
  token: string;
  identity: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function request<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(path, {
    ...init,
    headers: { 'content-type': 'application/json', ...init?.headers },
  });
  if (!response.ok) {
    let detail = response.statusText;
    try {
      const problem = (await response.json()) as { detail?: string; title?: string };
      detail = problem.detail ?? problem.title ?? detail;
    } catch {
      // not a problem+json body: keep the status text
    }
    throw new ApiError(response.status, detail);
  }
  return (await response.json()) as T;
}

export function fetchShow(showId: string): Promise<Show> {
  return request<Show>(`/v1/shows/${encodeURIComponent(showId)}`);
}

export function fetchViewerToken(showId: string, name?: string): Promise<ViewerToken> {
  return request<ViewerToken>(`/v1/shows/${encodeURIComponent(showId)}/viewer-token`, {
    method: 'POST',
    body: JSON.stringify(name ? { name } : {}),
  });
}
