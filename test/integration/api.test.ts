import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { seedMessages, startTestApp, type TestApp } from '../helpers/app.ts';

const ORIGIN = { ip: '127.0.0.1', userAgent: 'test' };

describe('REST API: authentication, tenant isolation, validation, paging, docs', () => {
  let app: TestApp;
  let otherToken: string;
  let gateway: { id: string; token: string };
  const DEVICE = 'c8e8de37-d301-45f4-ba01-00000000a001';

  before(async () => {
    app = await startTestApp();
    gateway = await app.createGateway('gw-api');
    const seed = await seedMessages();
    const client = await app.connectGateway(gateway);
    const t0 = Date.UTC(2024, 0, 1);
    const readings = Array.from({ length: 250 }, (_, i) => ({
      ...seed.sensorData,
      gatewayId: gateway.id,
      timestampMs: String(t0 + i * 60_000),
      sensorData: String(20 + (i % 10)),
    }));
    // 100 per payload keeps each under ingest.maxPayloadBytes (64 KiB)
    for (let i = 0; i < readings.length; i += 100) {
      await client.publishAsync(`hestia/v1/gw/${gateway.id}/up`, JSON.stringify(readings.slice(i, i + 100)), {
        qos: 1,
      });
    }
    await client.endAsync();
    await app.hestia.services.tenants.createTenant(
      null,
      { name: 'Other', adminEmail: 'other@example.com', adminPassword: 'another long password' },
      ORIGIN,
    );
    otherToken = (
      await app.hestia.services.accounts.login(
        { email: 'other@example.com', password: 'another long password' },
        ORIGIN,
      )
    ).accessToken;
  });
  after(() => app.stop());

  const routes = () => [
    '/v1/gateways',
    `/v1/gateways/${gateway.id}`,
    `/v1/gateways/${gateway.id}/devices`,
    `/v1/devices/${DEVICE}`,
    `/v1/devices/${DEVICE}/history?label=Temperature`,
    `/v1/devices/${DEVICE}/aggregate?label=Temperature&from=2024-01-01T00:00:00Z&to=2024-01-02T00:00:00Z&agg=mean&interval=1h`,
    '/v1/dead-letters',
  ];

  it('every /v1 route refuses anonymous callers and unknown or revoked tokens with 401', async () => {
    const { accessToken } = await app.hestia.services.accounts.login(
      { email: 'admin@example.com', password: 'correct horse battery staple' },
      ORIGIN,
    );
    const principal = await app.hestia.services.accounts.authenticate(accessToken);
    assert.equal(principal?.kind, 'user');
    if (principal?.kind === 'user') await app.hestia.services.accounts.logout(principal, ORIGIN);
    for (const url of routes()) {
      for (const token of [null, 'hat_forged', accessToken]) {
        const response = await app.request('GET', url, undefined, token);
        assert.equal(response.status, 401, `${url} with ${token}`);
        assert.equal(response.body.error.code, 'HESTIA_UNAUTHENTICATED');
      }
    }
    assert.equal((await app.request('POST', '/v1/gateways', { name: 'x' }, null)).status, 401);
  });

  it("another tenant's admin gets 404 for this tenant's objects and sees none of them in lists", async () => {
    for (const url of routes().slice(1, 6)) {
      const response = await app.request('GET', url, undefined, otherToken);
      assert.equal(response.status, 404, url);
      assert.equal(response.body.error.code, 'HESTIA_NOT_FOUND');
    }
    assert.deepEqual((await app.request('GET', '/v1/gateways', undefined, otherToken)).body.items, []);
    assert.deepEqual((await app.request('GET', '/v1/dead-letters', undefined, otherToken)).body.items, []);
  });

  it('validation errors name the problem; tenantId in a body cannot be mass-assigned', async () => {
    const cases: Array<[string, string, unknown, number, string]> = [
      ['POST', '/v1/gateways', { name: 'x', tenantId: 'someone-else' }, 400, 'HESTIA_VALIDATION_FAILED'],
      ['POST', '/v1/gateways', { name: '' }, 400, 'HESTIA_VALIDATION_FAILED'],
      ['POST', '/v1/gateways', { name: 'x', id: 'a/b#' }, 400, 'HESTIA_VALIDATION_FAILED'],
      ['POST', '/v1/gateways', { name: 'x', id: gateway.id }, 409, 'HESTIA_CONFLICT'],
      [
        'GET',
        `/v1/devices/${DEVICE}/history?label=Temperature&from=yesterday`,
        undefined,
        400,
        'HESTIA_VALIDATION_FAILED',
      ],
      [
        'GET',
        `/v1/devices/${DEVICE}/history?label=Temperature&limit=0`,
        undefined,
        400,
        'HESTIA_VALIDATION_FAILED',
      ],
      [
        'GET',
        `/v1/devices/${DEVICE}/aggregate?label=T&from=2024-01-01T00:00:00Z&to=2024-01-02T00:00:00Z&agg=median&interval=1h`,
        undefined,
        400,
        'HESTIA_VALIDATION_FAILED',
      ],
      [
        'GET',
        `/v1/devices/${DEVICE}/aggregate?label=T&from=2024-01-01T00:00:00Z&to=2024-01-02T00:00:00Z&agg=mean&interval=1h&timezone=Mars/Olympus`,
        undefined,
        400,
        'HESTIA_VALIDATION_FAILED',
      ],
      [
        'GET',
        `/v1/devices/${DEVICE}/aggregate?label=T&from=2000-01-01T00:00:00Z&to=2024-01-02T00:00:00Z&agg=mean&interval=1m`,
        undefined,
        400,
        'HESTIA_VALIDATION_FAILED',
      ],
      ['GET', '/v1/devices/nope', undefined, 404, 'HESTIA_NOT_FOUND'],
      ['GET', '/v1/nothing-here', undefined, 404, 'HESTIA_NOT_FOUND'],
    ];
    for (const [method, url, body, status, code] of cases) {
      const response = await app.request(method, url, body);
      assert.equal(response.status, status, `${method} ${url}: ${JSON.stringify(response.body)}`);
      assert.equal(response.body.error.code, code);
      assert.ok(response.body.error.message.length > 0);
    }
    const bad = await app.hestia.api.inject({
      method: 'POST',
      url: '/v1/gateways',
      headers: { authorization: `Bearer ${app.adminToken}`, 'content-type': 'application/json' },
      payload: '{"name":',
    });
    assert.equal(bad.statusCode, 400);
    assert.equal(JSON.parse(bad.body).error.code, 'HESTIA_BAD_REQUEST');
  });

  it('wrong passwords are refused alike for known and unknown accounts, and login is rate limited', async () => {
    const wrong = await app.request(
      'POST',
      '/v1/auth/login',
      { email: 'admin@example.com', password: 'nope' },
      null,
    );
    const unknown = await app.request(
      'POST',
      '/v1/auth/login',
      { email: 'ghost@example.com', password: 'nope' },
      null,
    );
    assert.equal(wrong.status, 401);
    assert.deepEqual(wrong.body, unknown.body);
    let limited = 0;
    for (let i = 0; i < 12; i++) {
      if (
        (await app.request('POST', '/v1/auth/login', { email: 'ghost@example.com', password: 'x' }, null))
          .status === 429
      )
        limited++;
    }
    assert.ok(limited > 0, 'some attempts were rate limited');
  });

  it('history pages with an opaque cursor in both orders, without gaps or repeats', async () => {
    const collect = async (order: 'asc' | 'desc') => {
      const seen: number[] = [];
      let cursor: string | null = null;
      do {
        const url: string = `/v1/devices/${DEVICE}/history?label=Temperature&from=2024-01-01T00:00:00Z&to=2024-01-02T00:00:00Z&limit=100&order=${order}${cursor ? `&cursor=${cursor}` : ''}`;
        const page = await app.request('GET', url);
        assert.equal(page.status, 200);
        seen.push(...page.body.items.map((p: { tsMs: number }) => p.tsMs));
        cursor = page.body.nextCursor;
      } while (cursor);
      return seen;
    };
    const asc = await collect('asc');
    assert.equal(asc.length, 250);
    assert.equal(new Set(asc).size, 250);
    assert.deepEqual(await collect('desc'), [...asc].reverse());
  });

  it('gateway lists page by cursor', async () => {
    for (let i = 0; i < 3; i++) await app.createGateway(`gw-page-${i}`);
    const first = await app.request('GET', '/v1/gateways?limit=2');
    assert.equal(first.body.items.length, 2);
    const second = await app.request('GET', `/v1/gateways?limit=10&cursor=${first.body.nextCursor}`);
    assert.equal(second.body.nextCursor, null);
    assert.equal(first.body.items.length + second.body.items.length, 4);
    assert.equal(JSON.stringify(first.body).includes('token'), false, 'no token or hash in listings');
  });

  it('serves OpenAPI 3 with every route, interactive docs, health, readiness and metrics', async () => {
    const spec = await app.request('GET', '/openapi.json', undefined, null);
    assert.equal(spec.status, 200);
    assert.match(spec.body.openapi, /^3\./);
    for (const path of [
      '/v1/gateways',
      '/v1/gateways/{gatewayId}/devices',
      '/v1/devices/{deviceId}/history',
      '/v1/devices/{deviceId}/aggregate',
      '/v1/dead-letters',
      '/v1/auth/login',
    ]) {
      assert.ok(spec.body.paths[path], `${path} documented`);
    }
    const docs = await app.hestia.api.inject({ url: '/docs/' });
    assert.equal(docs.statusCode, 200);
    assert.match(docs.body, /swagger/i);
    assert.deepEqual((await app.request('GET', '/healthz', undefined, null)).body, { status: 'ok' });
    assert.deepEqual((await app.request('GET', '/readyz', undefined, null)).body, {
      status: 'ready',
      storage: 'sqlite',
    });
    const metrics = await app.request('GET', '/metrics', undefined, null);
    assert.match(
      metrics.body as string,
      /hestia_ingest_messages_total\{message_type="sensorData",outcome="accepted"\} 250/,
    );
    assert.match(metrics.body as string, /hestia_process_/);
  });

  it('sets and clears a tenant branding field (null clears, it is not coerced to "")', async () => {
    const url = `/v1/tenants/${app.tenantId}`;
    const set = await app.request(
      'PATCH',
      url,
      { branding: { primaryColor: '#112233', logoUrl: null } },
      app.adminToken,
    );
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.equal(set.body.branding.primaryColor, '#112233');
    const cleared = await app.request('PATCH', url, { branding: { primaryColor: null } }, app.adminToken);
    assert.equal(cleared.status, 200, JSON.stringify(cleared.body));
    assert.equal(cleared.body.branding.primaryColor, null);
    const bad = await app.request('PATCH', url, { branding: { primaryColor: 'red' } }, app.adminToken);
    assert.equal(bad.status, 400);
  });
});
