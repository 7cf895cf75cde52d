// Who may read /metrics, decided the way controller-runtime's WithAuthenticationAndAuthorization
// filter does: a bearer token, authenticated by the API server (authentication.k8s.io/v1
// TokenReview), then authorized for get on /metrics (authorization.k8s.io/v1 SubjectAccessReview
// on a nonResourceURL). No token or a rejected one: 401; authenticated but not allowed: 403. The
// server answers any other path or method before asking (health.ts), so the question is always the
// same one and a decision depends on the token alone: decisions are cached briefly, keyed by a hash
// of the token (never the token itself), one review runs per token however many requests wait for
// it, and at most a few run at once (beyond: 503, so that a flood of tokens cannot become a flood
// of reviews on the API server). The token is never logged.
import { createHash } from 'node:crypto';
import type { KubeClient, Resource } from './client.ts';

const TOKEN_REVIEWS: Resource = { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenReview', resource: 'tokenreviews', namespaced: false };
const SUBJECT_ACCESS_REVIEWS: Resource = {
  group: 'authorization.k8s.io', version: 'v1', kind: 'SubjectAccessReview', resource: 'subjectaccessreviews', namespaced: false,
};

/** What the filter answers: 200 lets the request through; 401, 403, 500 and 503 are sent as they are. */
export interface Decision {
  code: 200 | 401 | 403 | 500 | 503;
  /** Why, for the response body: never the token. */
  reason: string;
  /** The authenticated user, when there was one. */
  user?: string;
}

/**
 * The token of an `Authorization: Bearer TOKEN` header, as Kubernetes' bearer-token authenticator
 * reads it (scheme case-insensitive, surrounding space trimmed); undefined when there is none.
 */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^bearer +(\S+)$/i.exec((header ?? '').trim());
  return match?.[1];
}

/** The cache key of a token: its SHA-256, so that no token is kept in memory longer than a request. */
export function tokenKey(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface ReviewCacheOptions {
  /** How long an allowed decision is kept (default 60 s). */
  allowedTtlMs?: number;
  /** How long a refused one (401, 403) is kept (default 10 s). Errors (500, 503) are never kept. */
  deniedTtlMs?: number;
  /** At most this many allowed decisions, and as many refusals; the oldest go first (default 1,000 each). */
  maxEntries?: number;
  now?: () => number;
}

/**
 * Decisions by key for a short while: a scrape every few seconds makes two API requests a minute,
 * not two per scrape. Refusals are kept apart from allowed decisions, each set bounded on its own,
 * so that a flood of made-up tokens can only push out other refusals, never a scraper's decision.
 */
export class ReviewCache {
  private readonly allowed = new Map<string, { decision: Decision; expires: number }>();
  private readonly refused = new Map<string, { decision: Decision; expires: number }>();
  private readonly allowedTtlMs: number;
  private readonly deniedTtlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: ReviewCacheOptions = {}) {
    this.allowedTtlMs = options.allowedTtlMs ?? 60_000;
    this.deniedTtlMs = options.deniedTtlMs ?? 10_000;
    this.maxEntries = options.maxEntries ?? 1_000;
    this.now = options.now ?? Date.now;
  }

  get(key: string): Decision | undefined {
    for (const entries of [this.allowed, this.refused]) {
      const entry = entries.get(key);
      if (entry && entry.expires > this.now()) return entry.decision;
      entries.delete(key);
    }
    return undefined;
  }

  set(key: string, decision: Decision): void {
    if (decision.code !== 200 && decision.code !== 401 && decision.code !== 403) return;
    const [entries, ttlMs] = decision.code === 200 ? [this.allowed, this.allowedTtlMs] : [this.refused, this.deniedTtlMs];
    this.allowed.delete(key);
    this.refused.delete(key);
    entries.set(key, { decision, expires: this.now() + ttlMs });
    for (const oldest of entries.keys()) {
      if (entries.size <= this.maxEntries) break;
      entries.delete(oldest);
    }
  }

  get size(): number {
    return this.allowed.size + this.refused.size;
  }
}

interface TokenReviewStatus {
  authenticated?: boolean;
  user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  error?: string;
}

interface SubjectAccessReviewStatus {
  allowed?: boolean;
  denied?: boolean;
  reason?: string;
  evaluationError?: string;
}

export interface MetricsAuthorizerOptions {
  cache?: ReviewCache;
  /** Told of each review that failed (the request is answered 500). */
  onError?: (error: unknown) => void;
  /** At most this many reviews in flight, for distinct tokens; a request needing one more is answered 503 (default 16). */
  maxInFlight?: number;
  /** The one question asked of every token: may its user `verb` on the non-resource URL `path` (default get /metrics). */
  verb?: string;
  path?: string;
}

/** Asks the API server who a token is and whether that user may get /metrics. */
export class MetricsAuthorizer {
  private readonly client: Pick<KubeClient, 'create'>;
  private readonly cache: ReviewCache;
  private readonly onError: (error: unknown) => void;
  private readonly maxInFlight: number;
  private readonly verb: string;
  private readonly path: string;
  /** The review under way for each token key: later requests with the token wait for it (single flight). */
  private readonly inFlight = new Map<string, Promise<Decision>>();

  constructor(client: Pick<KubeClient, 'create'>, options: MetricsAuthorizerOptions = {}) {
    this.client = client;
    this.cache = options.cache ?? new ReviewCache();
    this.onError = options.onError ?? (() => undefined);
    this.maxInFlight = options.maxInFlight ?? 16;
    this.verb = options.verb ?? 'get';
    this.path = options.path ?? '/metrics';
  }

  /** The decision for a request with this Authorization header. */
  decide(authorization: string | undefined): Promise<Decision> {
    const token = bearerToken(authorization);
    if (token === undefined) return Promise.resolve({ code: 401, reason: 'Unauthorized: a bearer token is required' });
    const key = tokenKey(token);
    const cached = this.cache.get(key);
    if (cached) return Promise.resolve(cached);
    const running = this.inFlight.get(key);
    if (running) return running;
    if (this.inFlight.size >= this.maxInFlight) {
      return Promise.resolve({ code: 503, reason: 'Service Unavailable: too many authentication reviews under way, try again shortly' });
    }
    const review = this.review(token).catch((error: unknown): Decision => {
      this.onError(error);
      return { code: 500, reason: 'Internal Server Error: the authentication or authorization review failed' };
    }).then((decision) => {
      this.cache.set(key, decision); // before it leaves inFlight: no moment when a request would find neither
      return decision;
    }).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, review);
    return review;
  }

  private async review(token: string): Promise<Decision> {
    const { verb, path } = this;
    // Both reviews are virtual objects: created, answered, never stored (no name needed).
    const tokenReview = await this.client.create<{ status?: TokenReviewStatus }>(TOKEN_REVIEWS, {
      apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', metadata: { name: '' }, spec: { token },
    });
    const status = tokenReview.status ?? {};
    if (!status.authenticated || !status.user?.username) return { code: 401, reason: 'Unauthorized: the token was not accepted' };
    const { username, uid, groups, extra } = status.user;
    const access = await this.client.create<{ status?: SubjectAccessReviewStatus }>(SUBJECT_ACCESS_REVIEWS, {
      apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', metadata: { name: '' },
      spec: { user: username, uid, groups, extra, nonResourceAttributes: { path, verb } },
    });
    if (access.status?.allowed && !access.status.denied) return { code: 200, reason: 'allowed', user: username };
    return { code: 403, reason: `Forbidden: user "${username}" may not ${verb} ${path}`, user: username };
  }
}
