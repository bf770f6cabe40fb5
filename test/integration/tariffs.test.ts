import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type Tariff, DEFAULT_TARIFFS } from '../../src/core/domain/tariff.ts';
import { gatewayConfigMessage } from '../../src/simulator/messages.ts';
import { simulatedDevices } from '../../src/simulator/model.ts';
import { ADMIN_PASSWORD, eventually, startTestApp, type TestApp } from '../helpers/app.ts';
import { POSTGRES, SQLITE, onPostgres, type Backend } from '../helpers/backends.ts';
import { TEST_TIMEOUT_MS } from '../helpers/wait.ts';

/**
 * Tariffs end to end, through the HTTP API of a real Hestia: every new tenant gets the seed's
 * three, admins manage them (with validation naming the field), exactly one is the default,
 * one in use cannot go, a home's tariff is the provider's to set and its people read it, the
 * gateway limit refuses a claim, and retention policies follow. The directory store's tariff
 * methods are checked here too, as this suite runs on both engines. Run once per backend.
 */

const ORIGIN = { ip: '127.0.0.1', userAgent: 'tariffs test' };
const PASSWORD = ADMIN_PASSWORD;
const TIMEOUT = { timeout: TEST_TIMEOUT_MS };

interface Reply {
  status: number;
  body: any;
}

interface TariffBody {
  id: string;
  tenantId: string;
  name: string;
  rawRetentionDays: number;
  sensorRetentionDays: number;
  videoRetentionDays: number;
  recordingModes: string[];
  maxGatewaysPerHome: number;
  maxCamerasPerHome: number;
  isDefault: boolean;
}

/** A tenant of its own (the test app's tenant has its gateway limit raised): admin, owner, home. */
interface World {
  tenantId: string;
  slug: string;
  adminToken: string;
  ownerToken: string;
  homeId: string;
}

const VALID_TERMS = {
  rawRetentionDays: 60,
  sensorRetentionDays: 730,
  videoRetentionDays: 10,
  recordingModes: ['motion', 'off'],
  maxGatewaysPerHome: 4,
  maxCamerasPerHome: 8,
};

function assertError(reply: Reply, status: number, code: string, mentions?: RegExp): void {
  assert.equal(reply.status, status, JSON.stringify(reply.body));
  assert.equal(reply.body?.error?.code, code, JSON.stringify(reply.body));
  if (mentions) assert.match(reply.body.error.message as string, mentions);
}

function tariffsSuite(backend: Backend): void {
  describe(`tariffs (${backend.name})`, () => {
    let app: TestApp;
    let drop: () => Promise<void> = async () => undefined;
    let platformToken: string;
    let world: World;
    let other: World;
    const policyChanges: string[] = [];

    const call = (method: string, url: string, token: string | null, body?: unknown): Promise<Reply> =>
      app.request(method, url, body, token);
    const tariffsOf = async (w: World): Promise<TariffBody[]> => {
      const reply = await call('GET', '/v1/tariffs', w.adminToken);
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      return reply.body.items as TariffBody[];
    };
    const tariffNamed = async (w: World, name: string) => (await tariffsOf(w)).find((t) => t.name === name)!;
    const auditActions = async (w: World, action: string) => {
      const reply = await call('GET', `/v1/tenants/${w.tenantId}/audit?action=${action}`, w.adminToken);
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      return reply.body.items as Array<{ targetId: string | null; homeId: string | null; detail: any }>;
    };
    const provision = async (w: World) => {
      const reply = await call('POST', '/v1/gateways', w.adminToken, {
        name: 'gw',
        id: `gw-${randomUUID()}`,
      });
      assert.equal(reply.status, 201, JSON.stringify(reply.body));
      return {
        id: reply.body.gateway.id as string,
        token: reply.body.token as string,
        claimCode: reply.body.claimCode as string,
      };
    };
    const claim = (w: World, gateway: { id: string; claimCode: string }, homeId = w.homeId) =>
      call('POST', `/v1/homes/${homeId}/gateways`, w.ownerToken, {
        gatewayId: gateway.id,
        claimCode: gateway.claimCode,
      });
    const newHome = async (w: World, name: string) => {
      const reply = await call('POST', '/v1/homes', w.ownerToken, { name, timezone: 'UTC' });
      assert.equal(reply.status, 201, JSON.stringify(reply.body));
      return reply.body.id as string;
    };

    /** A tenant made by a platform admin over the API, its admin, a person and her home. */
    async function newWorld(slug: string): Promise<World> {
      const created = await call('POST', '/v1/tenants', platformToken, {
        name: slug,
        slug,
        adminEmail: `admin@${slug}.example`,
        adminPassword: PASSWORD,
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const admin = await app.hestia.services.accounts.login(
        { email: `admin@${slug}.example`, password: PASSWORD, tenant: slug },
        ORIGIN,
      );
      const owner = await app.signUp(`owner@${slug}.example`, slug);
      const home = await call('POST', '/v1/homes', owner.token, { name: 'Flat', timezone: 'Europe/Berlin' });
      assert.equal(home.status, 201, JSON.stringify(home.body));
      return {
        tenantId: created.body.tenant.id as string,
        slug,
        adminToken: admin.accessToken,
        ownerToken: owner.token,
        homeId: home.body.id as string,
      };
    }

    before(async () => {
      const opened = await backend.open();
      drop = opened.drop;
      app = await startTestApp(opened.storage ? { storage: opened.storage } : {});
      app.hestia.ctx.bus.on('retention.policy_changed', (event) => policyChanges.push(event.tenantId));
      await app.hestia.services.accounts.createUser({
        tenantId: null,
        email: 'platform@tariffs.example',
        password: PASSWORD,
        name: null,
        role: 'platform_admin',
      });
      platformToken = (
        await app.hestia.services.accounts.login(
          { email: 'platform@tariffs.example', password: PASSWORD },
          ORIGIN,
        )
      ).accessToken;
      world = await newWorld('tariffco');
      other = await newWorld('otherco');
    });
    after(async () => {
      await app?.stop();
      await drop();
    });

    it('a new tenant has the seed three tariffs, Basic its default, by every path that makes tenants', async () => {
      const expected = [...DEFAULT_TARIFFS]
        .map((t) => ({
          name: t.name,
          rawRetentionDays: t.rawRetentionDays,
          sensorRetentionDays: t.sensorRetentionDays,
          videoRetentionDays: t.videoRetentionDays,
          recordingModes: [...t.recordingModes],
          maxGatewaysPerHome: t.maxGatewaysPerHome,
          maxCamerasPerHome: t.maxCamerasPerHome,
          isDefault: t.isDefault,
        }))
        .sort((a, b) => a.name.localeCompare(b.name));
      const terms = (tariffs: Array<TariffBody | Tariff>) =>
        tariffs.map((t) => ({
          name: t.name,
          rawRetentionDays: t.rawRetentionDays,
          sensorRetentionDays: t.sensorRetentionDays,
          videoRetentionDays: t.videoRetentionDays,
          recordingModes: t.recordingModes,
          maxGatewaysPerHome: t.maxGatewaysPerHome,
          maxCamerasPerHome: t.maxCamerasPerHome,
          isDefault: t.isDefault,
        }));
      // over the API (platform admin), as the simulator does
      const api = await tariffsOf(world);
      assert.deepEqual(terms(api), expected);
      const basic = api.find((t) => t.name === 'Basic')!;
      assert.deepEqual(
        [basic.videoRetentionDays, basic.sensorRetentionDays, basic.rawRetentionDays],
        [7, 1095, 45],
      );
      assert.deepEqual(
        api.filter((t) => t.isDefault).map((t) => t.name),
        ['Basic'],
      );
      assert.ok(api.every((t) => t.tenantId === world.tenantId));
      // fresh ids, never shared with another tenant
      const otherIds = new Set((await tariffsOf(other)).map((t) => t.id));
      assert.ok(api.every((t) => !otherIds.has(t.id)));
      // by the tenant service without a caller (the CLI's path) and by the store itself
      const { tenant } = await app.hestia.services.tenants.createTenant(
        null,
        { name: 'Cli', slug: 'cli-made', adminEmail: 'admin@cli.example', adminPassword: PASSWORD },
        ORIGIN,
      );
      const storeMade = randomUUID();
      await app.hestia.ctx.store.directory.tenants.createTenant({
        id: storeMade,
        slug: 'store-made',
        name: 'Store',
        createdAtMs: Date.now(),
      });
      for (const tenantId of [tenant.id, storeMade]) {
        const tariffs = await app.hestia.ctx.store.directory.tariffs.listTariffs(tenantId);
        assert.deepEqual(terms(tariffs), expected, tenantId);
      }
      // a tenant that cannot be made leaves no tariffs behind
      const duplicate = randomUUID();
      await assert.rejects(
        app.hestia.ctx.store.directory.tenants.createTenant({
          id: duplicate,
          slug: 'store-made',
          name: 'Again',
          createdAtMs: Date.now(),
        }),
      );
      assert.deepEqual(await app.hestia.ctx.store.directory.tariffs.listTariffs(duplicate), []);
    });

    it('admins create, read and change tariffs; bad terms are refused naming the field', async () => {
      const bad: Array<[Record<string, unknown>, RegExp]> = [
        [{ rawRetentionDays: 30 }, /rawRetentionDays/],
        [{ rawRetentionDays: 90, sensorRetentionDays: 60 }, /sensorRetentionDays/],
        [{ videoRetentionDays: 0 }, /videoRetentionDays/],
        [{ sensorRetentionDays: 36_501 }, /sensorRetentionDays/],
        [{ recordingModes: [] }, /recordingModes/],
        [{ recordingModes: ['hd'] }, /recordingModes/],
        [{ maxGatewaysPerHome: 0 }, /maxGatewaysPerHome/],
        [{ maxCamerasPerHome: 0 }, /maxCamerasPerHome/],
        // undeclared: the default changes only by PUT …/default
        [{ isDefault: true }, /additional properties/],
        [{ tenantId: other.tenantId }, /tenantId/],
      ];
      for (const [change, field] of bad) {
        const reply = await call('POST', '/v1/tariffs', world.adminToken, {
          name: 'Bad',
          ...VALID_TERMS,
          ...change,
        });
        assertError(reply, 400, 'HESTIA_VALIDATION_FAILED', field);
      }
      assert.equal((await tariffsOf(world)).length, 3, 'nothing was created');

      const created = await call('POST', '/v1/tariffs', world.adminToken, {
        name: ' Family ',
        ...VALID_TERMS,
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const family = created.body as TariffBody;
      assert.equal(family.name, 'Family');
      assert.equal(family.isDefault, false);
      assert.deepEqual(family.recordingModes, ['off', 'motion']);
      assert.equal(family.tenantId, world.tenantId);
      assertError(
        await call('POST', '/v1/tariffs', world.adminToken, { name: 'Family', ...VALID_TERMS }),
        409,
        'HESTIA_CONFLICT',
        /name.*Family/,
      );
      // the same name in another tenant is another tariff
      assert.equal(
        (await call('POST', '/v1/tariffs', other.adminToken, { name: 'Family', ...VALID_TERMS })).status,
        201,
      );

      const read = await call('GET', `/v1/tariffs/${family.id}`, world.adminToken);
      assert.equal(read.status, 200);
      assert.deepEqual(read.body, created.body);
      assertError(await call('GET', `/v1/tariffs/${family.id}`, other.adminToken), 404, 'HESTIA_NOT_FOUND');
      assertError(await call('GET', `/v1/tariffs/${family.id}`, world.ownerToken), 403, 'HESTIA_FORBIDDEN');

      // a patch is checked merged onto the tariff
      assertError(
        await call('PATCH', `/v1/tariffs/${family.id}`, world.adminToken, { sensorRetentionDays: 59 }),
        400,
        'HESTIA_VALIDATION_FAILED',
        /sensorRetentionDays.*rawRetentionDays/,
      );
      assertError(
        await call('PATCH', `/v1/tariffs/${family.id}`, world.adminToken, { name: 'Basic' }),
        409,
        'HESTIA_CONFLICT',
        /Basic/,
      );
      const before = policyChanges.length;
      const renamed = await call('PATCH', `/v1/tariffs/${family.id}`, world.adminToken, { name: 'Family+' });
      assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
      assert.equal(policyChanges.length, before, 'a new name moves no retention horizon');
      const longer = await call('PATCH', `/v1/tariffs/${family.id}`, world.adminToken, {
        rawRetentionDays: 120,
        sensorRetentionDays: 1000,
      });
      assert.equal(longer.status, 200, JSON.stringify(longer.body));
      assert.deepEqual(
        [
          longer.body.name,
          longer.body.rawRetentionDays,
          longer.body.sensorRetentionDays,
          longer.body.videoRetentionDays,
        ],
        ['Family+', 120, 1000, 10],
      );
      assert.deepEqual(policyChanges.slice(before), [world.tenantId], 'retention changed: announced once');

      const updates = await auditActions(world, 'tariff.updated');
      const retention = updates.find((entry) => entry.detail.fields?.includes('rawRetentionDays'));
      assert.equal(retention?.targetId, family.id);
      assert.deepEqual(retention?.detail.from, { rawRetentionDays: 60, sensorRetentionDays: 730 });
      assert.deepEqual(retention?.detail.to, { rawRetentionDays: 120, sensorRetentionDays: 1000 });
      assert.deepEqual(
        (await auditActions(world, 'tariff.created')).map((entry) => entry.targetId),
        [family.id],
      );
    });

    it('exactly one tariff is the default, also when two admins change it at once', async () => {
      const premium = await tariffNamed(world, 'Premium');
      const basic = await tariffNamed(world, 'Basic');
      const made = await call('PUT', `/v1/tariffs/${premium.id}/default`, world.adminToken);
      assert.equal(made.status, 200, JSON.stringify(made.body));
      assert.equal(made.body.isDefault, true);
      assert.deepEqual(
        (await tariffsOf(world)).filter((t) => t.isDefault).map((t) => t.name),
        ['Premium'],
      );
      // the home follows the default it has no tariff of its own
      const home = await call('GET', `/v1/homes/${world.homeId}`, world.ownerToken);
      assert.equal(home.body.tariffId, null);
      assert.equal(home.body.tariff.name, 'Premium');
      // the other tenant's default is its own business
      assert.deepEqual(
        (await tariffsOf(other)).filter((t) => t.isDefault).map((t) => t.name),
        ['Basic'],
      );
      assertError(
        await call('PUT', `/v1/tariffs/${premium.id}/default`, other.adminToken),
        404,
        'HESTIA_NOT_FOUND',
      );

      const directory = app.hestia.ctx.store.directory;
      const ids = (await tariffsOf(world)).map((t) => t.id);
      for (let round = 0; round < 5; round++) {
        await Promise.all(
          ids.map((id) => directory.tariffs.setDefaultTariff(world.tenantId, id, Date.now())),
        );
        const defaults = (await directory.tariffs.listTariffs(world.tenantId)).filter((t) => t.isDefault);
        assert.equal(defaults.length, 1, `round ${round}: ${defaults.map((t) => t.name).join(', ')}`);
      }
      assert.equal(await directory.tariffs.setDefaultTariff(other.tenantId, basic.id, Date.now()), false);
      assert.equal(
        (await directory.tariffs.listTariffs(other.tenantId)).filter((t) => t.isDefault).length,
        1,
        "another tenant's tariff id changes nothing",
      );
      assert.equal((await call('PUT', `/v1/tariffs/${basic.id}/default`, world.adminToken)).status, 200);
      assert.equal((await tariffNamed(world, 'Basic')).isDefault, true);
    });

    it("a home's tariff is the provider's: admins set it, owners 403, another tenant 404; its people read it", async () => {
      const standard = await tariffNamed(world, 'Standard');
      const path = `/v1/homes/${world.homeId}/tariff`;
      const shown = await call('GET', `/v1/homes/${world.homeId}`, world.ownerToken);
      assert.equal(shown.status, 200);
      assert.equal(shown.body.role, 'owner');
      assert.equal(shown.body.tariffId, null);
      assert.deepEqual(shown.body.tariff, {
        id: (await tariffNamed(world, 'Basic')).id,
        name: 'Basic',
        rawRetentionDays: 45,
        sensorRetentionDays: 1095,
        videoRetentionDays: 7,
        recordingModes: ['off', 'motion'],
        maxGatewaysPerHome: 2,
        maxCamerasPerHome: 6,
      });

      assertError(
        await call('PUT', path, world.ownerToken, { tariffId: standard.id }),
        403,
        'HESTIA_FORBIDDEN',
      );
      assertError(
        await call('PUT', path, other.adminToken, { tariffId: standard.id }),
        404,
        'HESTIA_NOT_FOUND',
      );
      assertError(await call('PUT', path, null, { tariffId: standard.id }), 401, 'HESTIA_UNAUTHENTICATED');
      const foreign = await tariffNamed(other, 'Premium');
      assertError(
        await call('PUT', path, world.adminToken, { tariffId: foreign.id }),
        404,
        'HESTIA_NOT_FOUND',
        /tariff/,
      );
      assertError(
        await call('PUT', path, world.adminToken, { tariffId: standard.id, homeId: other.homeId }),
        400,
        'HESTIA_VALIDATION_FAILED',
      );
      assert.equal(
        (await call('GET', `/v1/homes/${world.homeId}`, world.ownerToken)).body.tariffId,
        null,
        'the refused calls changed nothing',
      );

      const before = policyChanges.length;
      const set = await call('PUT', path, world.adminToken, { tariffId: standard.id });
      assert.equal(set.status, 200, JSON.stringify(set.body));
      assert.equal(set.body.tariffId, standard.id);
      assert.equal(set.body.tariff.name, 'Standard');
      assert.deepEqual(policyChanges.slice(before), [world.tenantId]);
      const read = await call('GET', `/v1/homes/${world.homeId}`, world.ownerToken);
      assert.equal(read.body.tariffId, standard.id);
      assert.deepEqual(
        [read.body.tariff.name, read.body.tariff.videoRetentionDays, read.body.tariff.sensorRetentionDays],
        ['Standard', 14, 1825],
      );
      const [changed] = await auditActions(world, 'home.tariff_changed');
      assert.equal(changed?.homeId, world.homeId);
      assert.equal(changed?.detail.to, standard.id);
      assert.equal(changed?.detail.from, null);

      // a platform admin may too; and the same tariff again changes nothing
      assert.equal((await call('PUT', path, platformToken, { tariffId: standard.id })).status, 200);
      assert.deepEqual(policyChanges.slice(before), [world.tenantId]);
      assert.equal((await auditActions(world, 'home.tariff_changed')).length, 1);

      // a provider's backend with tariffs:write (and only that) may
      const key = await call('POST', `/v1/tenants/${world.tenantId}/api-keys`, world.adminToken, {
        name: 'billing',
        scopes: ['tariffs:write'],
      });
      assert.equal(key.status, 201, JSON.stringify(key.body));
      const backToDefault = await call('PUT', path, key.body.key as string, { tariffId: null });
      assert.equal(backToDefault.status, 200, JSON.stringify(backToDefault.body));
      assert.equal(backToDefault.body.tariffId, null);
      assert.equal(backToDefault.body.tariff.name, 'Basic');
      assertError(
        await call('GET', '/v1/tariffs', key.body.key as string),
        403,
        'HESTIA_FORBIDDEN',
        /tariffs:read/,
      );
    });

    it('a tariff that is the default or in use cannot be deleted (409 saying why)', async () => {
      const basic = await tariffNamed(world, 'Basic');
      assertError(
        await call('DELETE', `/v1/tariffs/${basic.id}`, world.adminToken),
        409,
        'HESTIA_CONFLICT',
        /default/,
      );
      const created = await call('POST', '/v1/tariffs', world.adminToken, {
        name: 'Short-lived',
        ...VALID_TERMS,
      });
      const doomed = created.body as TariffBody;
      const secondHome = await newHome(world, 'Cabin');
      for (const homeId of [world.homeId, secondHome]) {
        assert.equal(
          (await call('PUT', `/v1/homes/${homeId}/tariff`, world.adminToken, { tariffId: doomed.id })).status,
          200,
        );
      }
      assertError(
        await call('DELETE', `/v1/tariffs/${doomed.id}`, world.adminToken),
        409,
        'HESTIA_CONFLICT',
        /in use by 2 home/,
      );
      const directory = app.hestia.ctx.store.directory;
      assert.equal(await directory.tariffs.countTariffHomes(doomed.id), 2);
      assert.equal(await directory.tariffs.deleteTariff(doomed.id), false, 'the store refuses too');
      assertError(
        await call('DELETE', `/v1/tariffs/${doomed.id}`, world.ownerToken),
        403,
        'HESTIA_FORBIDDEN',
      );
      assertError(
        await call('DELETE', `/v1/tariffs/${doomed.id}`, other.adminToken),
        404,
        'HESTIA_NOT_FOUND',
      );
      for (const homeId of [world.homeId, secondHome]) {
        assert.equal(
          (await call('PUT', `/v1/homes/${homeId}/tariff`, world.adminToken, { tariffId: null })).status,
          200,
        );
      }
      assert.equal(await directory.tariffs.countTariffHomes(doomed.id), 0);
      const deleted = await call('DELETE', `/v1/tariffs/${doomed.id}`, world.adminToken);
      assert.equal(deleted.status, 204, JSON.stringify(deleted.body));
      assertError(await call('GET', `/v1/tariffs/${doomed.id}`, world.adminToken), 404, 'HESTIA_NOT_FOUND');
      assert.deepEqual(
        (await auditActions(world, 'tariff.deleted')).map((entry) => entry.targetId),
        [doomed.id],
      );
      assert.equal(await directory.tariffs.findTariff(doomed.id), undefined);
    });

    it(
      "a claim beyond the tariff's gateways is refused with HESTIA_TARIFF_LIMIT; another tariff lets it in",
      TIMEOUT,
      async () => {
        const homeId = await newHome(world, 'Limited');
        const gateways = [await provision(world), await provision(world), await provision(world)];
        for (const gateway of gateways.slice(0, 2)) {
          const claimed = await claim(world, gateway, homeId);
          assert.equal(claimed.status, 200, JSON.stringify(claimed.body));
        }
        const third = gateways[2]!;
        const refused = await claim(world, third, homeId);
        assertError(refused, 409, 'HESTIA_TARIFF_LIMIT', /Basic.*2 gateway\(s\).*maxGatewaysPerHome/);
        assert.deepEqual(refused.body.error.details, {
          limit: 'maxGatewaysPerHome',
          allowed: 2,
          registered: 2,
          tariffId: (await tariffNamed(world, 'Basic')).id,
          tariffName: 'Basic',
        });
        // refused before the code is looked at: a wrong one gets the same answer
        assertError(
          await claim(world, { id: third.id, claimCode: 'WRONGCODE123' }, homeId),
          409,
          'HESTIA_TARIFF_LIMIT',
        );
        const pending = await call('GET', `/v1/gateways/${third.id}`, world.adminToken);
        assert.equal(pending.body.homeId, null, 'the refused gateway stays pending');
        const failures = await auditActions(world, 'gateway.claim_failed');
        assert.ok(
          failures.some((entry) => entry.homeId === homeId && entry.detail.reason === 'tariff_limit'),
        );

        const directory = app.hestia.ctx.store.directory;
        assert.equal(await directory.gateways.countHomeGateways(homeId), 2);
        const atLimit = await directory.gateways.registerGatewayWithinTariff(third.id, homeId, Date.now());
        assert.equal(atLimit.outcome, 'limit');

        // the provider moves the home to Standard (3 gateways): the claim goes through
        const standard = await tariffNamed(world, 'Standard');
        assert.equal(
          (await call('PUT', `/v1/homes/${homeId}/tariff`, world.adminToken, { tariffId: standard.id }))
            .status,
          200,
        );
        const admitted = await claim(world, third, homeId);
        assert.equal(admitted.status, 200, JSON.stringify(admitted.body));
        assert.equal(admitted.body.homeId, homeId);
        assert.equal(await directory.gateways.countHomeGateways(homeId), 3);
        const fourth = await provision(world);
        assertError(await claim(world, fourth, homeId), 409, 'HESTIA_TARIFF_LIMIT', /Standard.*3 gateway/);

        // limits are per home: the other home still has room
        assert.equal((await claim(world, fourth)).status, 200);
        // a registered gateway is taken, whatever the room
        const taken = await directory.gateways.registerGatewayWithinTariff(
          fourth.id,
          await newHome(world, 'Empty'),
          Date.now(),
        );
        assert.equal(taken.outcome, 'taken');
      },
    );

    it(
      'retention policies follow the tariff of each gateway home; cameras are counted per home',
      TIMEOUT,
      async () => {
        const directory = app.hestia.ctx.store.directory;
        const homeId = await newHome(other, 'Watched');
        const gateway = await provision(other);
        assert.equal((await claim(other, gateway, homeId)).status, 200);
        const policyOf = async () =>
          (await directory.tariffs.retentionPolicies()).find((p) => p.gatewayId === gateway.id);
        assert.deepEqual(await policyOf(), {
          gatewayId: gateway.id,
          tenantId: other.tenantId,
          homeId,
          rawRetentionDays: 45,
          sensorRetentionDays: 1095,
          videoRetentionDays: 7,
        });
        const pendingGateway = await provision(other);
        assert.ok(
          (await directory.tariffs.retentionPolicies()).every((p) => p.gatewayId !== pendingGateway.id),
          'a pending gateway has no policy',
        );

        const premium = await tariffNamed(other, 'Premium');
        await call('PUT', `/v1/homes/${homeId}/tariff`, other.adminToken, { tariffId: premium.id });
        assert.deepEqual(
          [
            (await policyOf())?.rawRetentionDays,
            (await policyOf())?.sensorRetentionDays,
            (await policyOf())?.videoRetentionDays,
          ],
          [90, 2555, 30],
        );
        await call('PATCH', `/v1/tariffs/${premium.id}`, other.adminToken, { videoRetentionDays: 31 });
        assert.equal((await policyOf())?.videoRetentionDays, 31);
        // back to the default, and the default changes: the home follows
        await call('PUT', `/v1/homes/${homeId}/tariff`, other.adminToken, { tariffId: null });
        const standard = await tariffNamed(other, 'Standard');
        await call('PUT', `/v1/tariffs/${standard.id}/default`, other.adminToken);
        assert.equal((await policyOf())?.videoRetentionDays, 14);
        assert.equal((await directory.tariffs.tariffForHome(homeId))?.id, standard.id);
        await call('PUT', `/v1/tariffs/${(await tariffNamed(other, 'Basic')).id}/default`, other.adminToken);
        assert.equal(await directory.tariffs.tariffForHome(randomUUID()), undefined);

        // cameras: the gateway's configuration lists 3, then drops one (marked removed)
        assert.equal(await directory.gateways.countHomeCameras(homeId), 0);
        const devices = simulatedDevices(gateway.id);
        const client = await app.connectGateway(gateway);
        const up = `hestia/v1/gw/${gateway.id}/up`;
        await client.publishAsync(up, JSON.stringify(gatewayConfigMessage(gateway.id, devices, Date.now())), {
          qos: 1,
        });
        await eventually('three cameras', async () =>
          (await directory.gateways.countHomeCameras(homeId)) === 3 ? true : undefined,
        );
        const lastCamera = devices.filter((d) => d.deviceType === 'camera').at(-1)!;
        const fewer = devices.filter((d) => d.deviceId !== lastCamera.deviceId);
        await client.publishAsync(
          up,
          JSON.stringify(gatewayConfigMessage(gateway.id, fewer, Date.now() + 1)),
          {
            qos: 1,
          },
        );
        await eventually('a removed camera is not counted', async () =>
          (await directory.gateways.countHomeCameras(homeId)) === 2 ? true : undefined,
        );
        assert.equal(await directory.gateways.countHomeCameras(other.homeId), 0, 'per home');
        await client.endAsync();
      },
    );

    it("tenant B lists only its own tariffs and cannot touch A's", async () => {
      const ofA = new Set((await tariffsOf(world)).map((t) => t.id));
      const ofB = await tariffsOf(other);
      assert.ok(ofB.length >= 3);
      assert.ok(ofB.every((t) => t.tenantId === other.tenantId && !ofA.has(t.id)));
      const aTariff = [...ofA][0]!;
      assertError(
        await call('PATCH', `/v1/tariffs/${aTariff}`, other.adminToken, { name: 'Taken over' }),
        404,
        'HESTIA_NOT_FOUND',
      );
      assertError(
        await call('GET', `/v1/tariffs?tenantId=${world.tenantId}`, other.adminToken),
        400,
        'HESTIA_VALIDATION_FAILED',
      );
      const named = await call('GET', `/v1/tariffs?tenantId=${world.tenantId}`, platformToken);
      assert.deepEqual(new Set((named.body.items as TariffBody[]).map((t) => t.id)), ofA);
      assertError(
        await call('GET', '/v1/tariffs', platformToken),
        400,
        'HESTIA_VALIDATION_FAILED',
        /tenantId/,
      );
    });
  });
}

tariffsSuite(SQLITE);

await onPostgres('tariffs', () => tariffsSuite(POSTGRES));
