import { expect } from 'chai';
import { request, type IncomingHttpHeaders } from 'node:http';
import type { KubeClient, KubeObjectBody } from '../../src/runtime/client.ts';
import { serve, type Served } from '../../src/runtime/health.ts';
import { bearerToken, MetricsAuthorizer, ReviewCache, tokenKey, type Decision } from '../../src/runtime/metrics-auth.ts';
import { Metrics } from '../../src/runtime/metrics.ts';

describe('bearerToken', function () {
  it('reads the token of a Bearer header, scheme in any case, surrounding space trimmed', function () {
    expect(bearerToken('Bearer abc.def-ghi')).to.equal('abc.def-ghi');
    expect(bearerToken('bearer abc')).to.equal('abc');
    expect(bearerToken('  BEARER   abc  ')).to.equal('abc');
  });

  it('finds none without a header, with another scheme, an empty token or more than one word', function () {
    for (const header of [undefined, '', 'Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'Bearerabc', 'Bearer a b', 'Token abc']) {
      expect(bearerToken(header), String(header)).to.equal(undefined);
    }
  });
});

describe('tokenKey', function () {
  it('is the SHA-256 of the token, never the token', function () {
    expect(tokenKey('s3cret')).to.match(/^[0-9a-f]{64}$/).and.not.include('s3cret');
    expect(tokenKey('s3cret')).to.equal(tokenKey('s3cret')).and.not.equal(tokenKey('s3cret2'));
  });
});

describe('ReviewCache', function () {
  const allowed: Decision = { code: 200, reason: 'allowed', user: 'u' };
  const forbidden: Decision = { code: 403, reason: 'Forbidden', user: 'u' };

  it('keeps an allowed decision for its TTL and a refused one for the shorter one', function () {
    let now = 0;
    const cache = new ReviewCache({ allowedTtlMs: 60_000, deniedTtlMs: 10_000, now: () => now });
    cache.set('a', allowed);
    cache.set('f', forbidden);
    cache.set('u', { code: 401, reason: 'Unauthorized' });
    now = 9_999;
    expect([cache.get('a'), cache.get('f'), cache.get('u')?.code]).to.deep.equal([allowed, forbidden, 401]);
    now = 10_000;
    expect([cache.get('a'), cache.get('f'), cache.get('u')]).to.deep.equal([allowed, undefined, undefined]);
    now = 60_000;
    expect(cache.get('a')).to.equal(undefined);
    expect(cache.size).to.equal(0);
  });

  it('never keeps an error', function () {
    const cache = new ReviewCache();
    cache.set('e', { code: 500, reason: 'review failed' });
    cache.set('b', { code: 503, reason: 'too many reviews' });
    expect([cache.get('e'), cache.get('b'), cache.size]).to.deep.equal([undefined, undefined, 0]);
  });

  it('holds at most maxEntries allowed decisions, and as many refusals, dropping the oldest first', function () {
    const cache = new ReviewCache({ maxEntries: 2 });
    cache.set('1', allowed);
    cache.set('2', allowed);
    cache.set('3', allowed);
    expect([cache.get('1'), cache.get('2'), cache.get('3')]).to.deep.equal([undefined, allowed, allowed]);
    cache.set('2', forbidden); // set again, as a refusal
    expect([cache.get('2'), cache.get('3'), cache.size]).to.deep.equal([forbidden, allowed, 2]);
  });

  it('lets no flood of refused tokens push out an allowed decision', function () {
    const cache = new ReviewCache({ maxEntries: 2 });
    cache.set('scraper', allowed);
    for (let i = 0; i < 10; i++) cache.set(`made-up-${i}`, { code: 401, reason: 'Unauthorized' });
    expect([cache.get('scraper'), cache.get('made-up-0'), cache.get('made-up-9'), cache.size]).to.deep.equal([allowed, undefined, { code: 401, reason: 'Unauthorized' }, 3]);
  });
});

describe('MetricsAuthorizer', function () {
  /** A client whose TokenReview and SubjectAccessReview answers are given, recording what was asked. */
  function fakeClient(users: Record<string, string>, allowedUsers: string[], fail = false) {
    const asked: KubeObjectBody[] = [];
    const client: Pick<KubeClient, 'create'> = {
      create: <T>(resource: { resource: string }, body: unknown): Promise<T> => {
        const object = body as KubeObjectBody & { spec: Record<string, unknown> };
        asked.push(object);
        if (fail) return Promise.reject(new Error('connection refused'));
        if (resource.resource === 'tokenreviews') {
          const username = users[object.spec.token as string];
          return Promise.resolve({ status: username ? { authenticated: true, user: { username, groups: ['g'] } } : { authenticated: false } } as T);
        }
        return Promise.resolve({ status: { allowed: allowedUsers.includes(object.spec.user as string) } } as T);
      },
    };
    return { client, asked };
  }

  /** A client whose TokenReviews (all refusing the token) are answered only once `release` is called. */
  function heldClient() {
    const asked: unknown[] = [];
    let release = () => undefined as void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const client: Pick<KubeClient, 'create'> = {
      create: async <T>(_resource: unknown, body: unknown): Promise<T> => {
        asked.push(body);
        await held;
        return { status: { authenticated: false } } as T;
      },
    };
    return { client, asked, release: () => release() };
  }

  it('answers 401 without a token, asking nothing', async function () {
    const { client, asked } = fakeClient({}, []);
    expect((await new MetricsAuthorizer(client).decide(undefined)).code).to.equal(401);
    expect((await new MetricsAuthorizer(client).decide('Basic x')).code).to.equal(401);
    expect(asked).to.deep.equal([]);
  });

  it('answers 401 for a token the API server does not accept, 403 for a user not allowed, 200 for one allowed', async function () {
    const { client, asked } = fakeClient({ reader: 'system:serviceaccount:m:prometheus', other: 'system:serviceaccount:m:other' },
      ['system:serviceaccount:m:prometheus']);
    const authorizer = new MetricsAuthorizer(client);
    expect((await authorizer.decide('Bearer nobody')).code).to.equal(401);
    expect(await authorizer.decide('Bearer other')).to.deep.equal(
      { code: 403, reason: 'Forbidden: user "system:serviceaccount:m:other" may not get /metrics', user: 'system:serviceaccount:m:other' });
    expect((await authorizer.decide('Bearer reader')).code).to.equal(200);
    const access = asked.filter((body) => body.kind === 'SubjectAccessReview').at(-1) as unknown as { spec: unknown };
    expect(access.spec).to.deep.equal({
      user: 'system:serviceaccount:m:prometheus', uid: undefined, groups: ['g'], extra: undefined,
      nonResourceAttributes: { path: '/metrics', verb: 'get' },
    });
  });

  it('asks once per token while the decision is cached: the question is always get /metrics', async function () {
    const { client, asked } = fakeClient({ reader: 'r' }, ['r']);
    const authorizer = new MetricsAuthorizer(client);
    for (let i = 0; i < 5; i++) expect((await authorizer.decide('Bearer reader')).code).to.equal(200);
    expect(asked.map((body) => body.kind)).to.deep.equal(['TokenReview', 'SubjectAccessReview']);
    await authorizer.decide('Bearer other');
    expect(asked).to.have.length(3);
  });

  it('runs one review for requests with the same token that arrive while it is under way', async function () {
    const { client, asked } = fakeClient({ reader: 'r' }, ['r']);
    const authorizer = new MetricsAuthorizer(client);
    const decisions = await Promise.all([1, 2, 3].map(() => authorizer.decide('Bearer reader')));
    expect(decisions.map((decision) => decision.code)).to.deep.equal([200, 200, 200]);
    expect(asked.map((body) => body.kind)).to.deep.equal(['TokenReview', 'SubjectAccessReview']);
  });

  it('answers 503 beyond maxInFlight reviews under way, keeps nothing of it, and reviews the token once there is room', async function () {
    const { client, asked, release } = heldClient();
    const authorizer = new MetricsAuthorizer(client, { maxInFlight: 2 });
    const first = [authorizer.decide('Bearer a'), authorizer.decide('Bearer b'), authorizer.decide('Bearer a')];
    const refused = await authorizer.decide('Bearer c');
    expect(refused.code).to.equal(503);
    expect(asked).to.have.length(2);
    release();
    expect((await Promise.all(first)).map((decision) => decision.code)).to.deep.equal([401, 401, 401]);
    expect((await authorizer.decide('Bearer c')).code).to.equal(401);
    expect(asked).to.have.length(3);
  });

  it('answers 500 when a review fails, reports it, and asks again next time', async function () {
    const { client, asked } = fakeClient({}, [], true);
    const errors: unknown[] = [];
    const authorizer = new MetricsAuthorizer(client, { onError: (error) => errors.push(error) });
    const decision = await authorizer.decide('Bearer t0ken');
    expect(decision.code).to.equal(500);
    expect(decision.reason).to.not.include('t0ken');
    await authorizer.decide('Bearer t0ken');
    expect([asked.length, errors.length]).to.deep.equal([2, 2]);
  });
});

describe('serve with an authorizer: the metrics server', function () {
  /** Counts the reviews asked for; a TokenReview accepts `good` only, a SubjectAccessReview allows everyone; each answered after `delayMs`. */
  function countingClient(delayMs = 5) {
    const asked: string[] = [];
    const client: Pick<KubeClient, 'create'> = {
      create: async <T>(resource: { resource: string }, body: unknown): Promise<T> => {
        asked.push(resource.resource);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        const spec = (body as { spec: { token?: string } }).spec;
        if (resource.resource === 'tokenreviews') {
          return { status: spec.token === 'good' ? { authenticated: true, user: { username: 'u' } } : { authenticated: false } } as T;
        }
        return { status: { allowed: true } } as T;
      },
    };
    return { client, asked };
  }

  let served: Served | undefined;
  afterEach(function () {
    served?.server.close();
    served = undefined;
  });

  const start = async (client: Pick<KubeClient, 'create'>, maxInFlight?: number) => {
    const authorizer = new MetricsAuthorizer(client, { maxInFlight });
    served = await serve('127.0.0.1:0', { registry: new Metrics().registry, authorize: (request) => authorizer.decide(request.headers.authorization) });
    return served.port;
  };

  const call = (port: number, path: string, { method = 'GET', token }: { method?: string; token?: string } = {}) =>
    new Promise<{ status: number; headers: IncomingHttpHeaders; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, method, headers: token ? { authorization: `Bearer ${token}` } : {} }, (response) => {
        let body = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      });
      req.on('error', reject).end();
    });

  it('answers a path it does not serve 404, and another method 405, before any review', async function () {
    const { client, asked } = countingClient();
    const port = await start(client);
    expect((await call(port, '/nothing', { token: 'good' })).status).to.equal(404);
    expect((await call(port, '/nothing/else?x=1', { token: 'random' })).status).to.equal(404);
    expect((await call(port, '/healthz')).status, 'no probes on the metrics server').to.equal(404);
    const post = await call(port, '/metrics', { method: 'POST', token: 'good' });
    expect([post.status, post.headers.allow]).to.deep.equal([405, 'GET']);
    expect((await call(port, '/metrics', { method: 'DELETE', token: 'random' })).status).to.equal(405);
    expect(asked).to.deep.equal([]);
  });

  it('reviews a token once for concurrent scrapes, whatever their query string, and serves the metrics', async function () {
    const { client, asked } = countingClient();
    const port = await start(client);
    const answers = await Promise.all([call(port, '/metrics', { token: 'good' }), call(port, '/metrics?a=1', { token: 'good' })]);
    expect(answers.map((answer) => answer.status)).to.deep.equal([200, 200]);
    expect(answers[0]?.body).to.include('# TYPE');
    expect(asked).to.deep.equal(['tokenreviews', 'subjectaccessreviews']);
    const anonymous = await call(port, '/metrics');
    expect([anonymous.status, anonymous.headers['www-authenticate']]).to.deep.equal([401, 'Bearer']);
  });

  it('answers 503 with Retry-After once maxInFlight reviews are under way', async function () {
    const { client, asked } = countingClient(200); // the second request arrives while the first token's review is under way
    const port = await start(client, 1);
    const answers = await Promise.all(['t1', 't2'].map((token) => call(port, '/metrics', { token })));
    expect(answers.map((answer) => answer.status).sort()).to.deep.equal([401, 503]);
    expect(answers.find((answer) => answer.status === 503)!.headers['retry-after']).to.equal('1');
    expect(asked).to.deep.equal(['tokenreviews']);
  });
});
