import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { freePort, runCli, startHestiaChild } from '../helpers/process.ts';
import { READY_TIMEOUT_MS, TEST_TIMEOUT_MS } from '../helpers/wait.ts';

const PASSWORD = 'long enough password';

async function api(
  base: string,
  method: 'GET' | 'POST',
  route: string,
  body?: unknown,
  token?: string,
): Promise<{ status: number; body: any }> {
  const response = await fetch(`${base}${route}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: await response.json() };
}

describe('hestia CLI', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'hestia-cli-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('--help lists the commands and the configuration variables', async () => {
    const help = await runCli(['--help'], {});
    assert.equal(help.code, 0);
    for (const command of ['start', 'admin', 'simulate'])
      assert.match(help.stdout, new RegExp(`\\b${command}\\b`));
    const startHelp = await runCli(['start', '--help'], {});
    assert.match(startHelp.stdout, /HESTIA_HTTP_PORT/);
    assert.match(startHelp.stdout, /ports\.json/);
  });

  it('a bad configuration value stops the start with a message naming the key', async () => {
    const result = await runCli(['start'], { HESTIA_DATA_DIR: dataDir, HESTIA_MQTT_PORT: 'eighteen' });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /HESTIA_CONFIG_INVALID: HESTIA_MQTT_PORT/);
    const typo = await runCli(['start'], { HESTIA_DATA_DIR: dataDir, HESTIA_HTTP_PROT: '1' });
    assert.match(typo.stderr, /HESTIA_HTTP_PROT: unknown configuration variable/);
  });

  it('a port in use is reported clearly', async () => {
    const first = await startHestiaChild({
      HESTIA_DATA_DIR: dataDir,
      HESTIA_HTTP_PORT: '0',
      HESTIA_MQTT_PORT: String(await freePort()),
      HESTIA_MQTT_WS_PORT: 'null',
    });
    const clash = await runCli(['start'], {
      HESTIA_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'hestia-cli-')),
      HESTIA_HTTP_PORT: '0',
      HESTIA_MQTT_PORT: String(first.ports.mqtt),
      HESTIA_MQTT_WS_PORT: 'null',
    });
    assert.notEqual(clash.code, 0);
    assert.match(clash.stderr, new RegExp(`MQTT port ${first.ports.mqtt} .* already in use`));
    // first start wrote the platform admin's credentials to a file only its owner can read
    const initialAdmin = path.join(dataDir, 'initial-admin.json');
    assert.equal(statSync(initialAdmin).mode & 0o777, 0o600);
    const admin = JSON.parse(readFileSync(initialAdmin, 'utf8')) as Record<string, unknown>;
    assert.equal(admin.role, 'platform_admin');
    assert.equal(admin.email, 'admin@hestia.local');
    assert.doesNotMatch(first.output(), /"password"/);
    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0);
  });

  it('admin tenant create, gateway create and list work on the configured store', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hestia-cli-'));
    const env = { HESTIA_DATA_DIR: dir };
    try {
      const none = await runCli(['admin', 'gateway', 'create', '--name', 'x'], env);
      assert.equal(none.code, 2);
      assert.match(none.stderr, /no tenant yet: run `hestia admin tenant create` first/);
      const short = await runCli(
        [
          ...['admin', 'tenant', 'create', '--name', 'Short', '--slug', 'short'],
          ...['--admin-email', 'a@example.com', '--password', 'short'],
        ],
        env,
      );
      assert.equal(short.code, 2);
      assert.match(short.stderr, /password: 10 to 1024 characters/);
      const tenant = await runCli(
        [
          ...['admin', 'tenant', 'create', '--name', 'Acme', '--slug', 'acme'],
          ...['--admin-email', 'a@example.com', '--password-stdin'],
        ],
        env,
        `${PASSWORD}\n`,
      );
      assert.equal(tenant.code, 0, tenant.stderr);
      const createdTenant = JSON.parse(tenant.stdout) as {
        tenant: { slug: string };
        admin: { email: string; role: string };
      };
      assert.equal(createdTenant.tenant.slug, 'acme');
      assert.deepEqual(
        [createdTenant.admin.email, createdTenant.admin.role],
        ['a@example.com', 'tenant_admin'],
      );
      assert.ok(!tenant.stdout.includes(PASSWORD), 'the password is not echoed');

      const created = await runCli(
        ['admin', 'gateway', 'create', '--tenant', 'acme', '--name', 'Hall', '--id', 'gw-cli'],
        env,
      );
      assert.equal(created.code, 0, created.stderr);
      const body = JSON.parse(created.stdout) as { gatewayId: string; token: string; claimCode: string };
      assert.equal(body.gatewayId, 'gw-cli');
      assert.match(body.token, /^hgw_/);
      assert.ok(body.claimCode.length >= 8, body.claimCode);
      const list = await runCli(['admin', 'gateway', 'list', '--tenant', 'acme'], env);
      assert.equal(list.code, 0, list.stderr);
      const listed = JSON.parse(list.stdout) as Array<{ id: string; homeId: string | null }>;
      assert.deepEqual(
        listed.map((g) => [g.id, g.homeId]),
        [['gw-cli', null]],
        'provisioned, not registered',
      );
      assert.doesNotMatch(list.stdout, /hgw_|tokenHash/);
      assert.ok(!list.stdout.includes(body.claimCode), 'the claim code is shown once');

      const tariffs = await runCli(['admin', 'tariff', 'list', '--tenant', 'acme'], env);
      assert.equal(tariffs.code, 0, tariffs.stderr);
      assert.deepEqual(
        (JSON.parse(tariffs.stdout) as Array<{ name: string; isDefault: boolean }>).map((t) => [
          t.name,
          t.isDefault,
        ]),
        [
          ['Basic', true],
          ['Premium', false],
          ['Standard', false],
        ],
      );
      const retention = await runCli(['admin', 'retention', 'run'], env);
      assert.equal(retention.code, 0, retention.stderr);
      assert.deepEqual(Object.keys(JSON.parse(retention.stdout) as object), [
        'gateways',
        'readings',
        'rollups',
        'audit',
        'durationMs',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it(
    'admin gateway import: a bad row imports nothing; good credentials connect, and the simulator runs them',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'hestia-cli-import-'));
      const mqttPort = await freePort();
      const env = { HESTIA_DATA_DIR: dir };
      const hestia = await startHestiaChild({
        ...env,
        HESTIA_HTTP_PORT: '0',
        HESTIA_HTTP_HOST: '127.0.0.1',
        HESTIA_MQTT_PORT: String(mqttPort),
        HESTIA_MQTT_HOST: '127.0.0.1',
        HESTIA_MQTT_WS_PORT: 'null',
      });
      const clients: mqtt.MqttClient[] = [];
      try {
        // The CLI works on the store of the running Hestia.
        const tenant = await runCli(
          [
            ...['admin', 'tenant', 'create', '--name', 'Acme', '--slug', 'acme'],
            ...['--admin-email', 'ops@example.com', '--password', PASSWORD],
          ],
          env,
        );
        assert.equal(tenant.code, 0, tenant.stderr);

        const badCsv = path.join(dir, 'bad.csv');
        const badOut = path.join(dir, 'bad-credentials.csv');
        writeFileSync(badCsv, 'serial,claim_code,name\ncsv-ok-1,,One\ncsv/bad,,Two\ncsv-ok-2,,Three\n');
        const bad = await runCli(
          ['admin', 'gateway', 'import', badCsv, '--out', badOut, '--tenant', 'acme'],
          env,
        );
        assert.equal(bad.code, 2);
        assert.match(bad.stderr, new RegExp(`${badCsv}:3: serial "csv/bad" is not a valid gateway id`));
        assert.doesNotMatch(bad.stderr, new RegExp(`${badCsv}:[24]:`), 'only the bad line is reported');
        assert.match(bad.stderr, /HESTIA_CSV_INVALID/);
        assert.equal(existsSync(badOut), false, 'no credentials file');
        const afterBad = await runCli(['admin', 'gateway', 'list', '--tenant', 'acme'], env);
        assert.deepEqual(JSON.parse(afterBad.stdout), [], 'nothing imported, not even the good rows');

        const goodCsv = path.join(dir, 'serials.csv');
        const out = path.join(dir, 'credentials.csv');
        writeFileSync(goodCsv, 'serial,claim_code,name\ncsv-gw-1,ABCD2345EFGH,Kitchen\ncsv-gw-2,,Hall\n');
        const good = await runCli(
          ['admin', 'gateway', 'import', goodCsv, '--out', out, '--tenant', 'acme'],
          env,
        );
        assert.equal(good.code, 0, good.stderr);
        assert.match(good.stderr, /imported 2 gateway\(s\)/);
        assert.equal(statSync(out).mode & 0o777, 0o600, 'MQTT passwords are secrets');
        const [header, ...rows] = readFileSync(out, 'utf8').trimEnd().split('\n');
        assert.equal(header, 'serial,name,mqtt_username,mqtt_password,claim_code');
        const credentials = rows.map((row) => {
          const [serial, name, username, password, claimCode] = row.split(',');
          return { serial: serial!, name, username, password: password!, claimCode: claimCode! };
        });
        assert.deepEqual(
          credentials.map((c) => [c.serial, c.name, c.username]),
          [
            ['csv-gw-1', 'Kitchen', 'csv-gw-1'],
            ['csv-gw-2', 'Hall', 'csv-gw-2'],
          ],
        );
        assert.equal(credentials[0]!.claimCode, 'ABCD2345EFGH', 'the claim code printed on the device');
        assert.ok(credentials[1]!.claimCode.length >= 8, 'a claim code made for the device without one');

        const url = `mqtt://127.0.0.1:${mqttPort}`;
        for (const { serial, password } of credentials) {
          assert.match(password, /^hgw_/);
          const client = await mqtt.connectAsync(url, {
            clientId: serial,
            username: serial,
            password,
            reconnectPeriod: 0,
            connectTimeout: READY_TIMEOUT_MS,
          });
          clients.push(client);
          const notice = new Promise<string>((resolve) =>
            client.once('message', (_t, p) => resolve(p.toString())),
          );
          await client.subscribeAsync(`hestia/v1/gw/${serial}/down`, { qos: 1 });
          assert.deepEqual(JSON.parse(await notice), {
            messageType: 'registration',
            gatewayId: serial,
            status: 'pending',
          });
          await client.endAsync();
        }
        await assert.rejects(
          mqtt.connectAsync(url, {
            clientId: 'csv-gw-1',
            username: 'csv-gw-1',
            password: credentials[1]!.password,
            reconnectPeriod: 0,
          }),
          /Bad username or password/i,
          "another gateway's password is refused",
        );

        // The simulator runs the imported gateways; a person's credentials let it register them.
        const base = `http://127.0.0.1:${hestia.ports.http}`;
        const signup = await api(base, 'POST', '/v1/auth/signup', {
          tenant: 'acme',
          email: 'owner@example.com',
          password: PASSWORD,
        });
        assert.equal(signup.status, 201, JSON.stringify(signup.body));
        const simulate = await runCli(
          [
            ...['simulate', '--credentials-csv', out, '--api', base, '--url', url, '--tenant', 'acme'],
            ...['--owner-email', 'owner@example.com', '--owner-password', PASSWORD],
            ...['--speed', '1200', '--duration', '2'],
          ],
          env,
        );
        assert.equal(simulate.code, 0, simulate.stderr);
        assert.match(simulate.stderr, /home "Simulated home" \(.+\): registered 2 gateway\(s\)/);
        const ownerToken = signup.body.accessToken as string;
        const homes = await api(base, 'GET', '/v1/homes', undefined, ownerToken);
        const home = (homes.body.items as Array<{ id: string; name: string }>).find(
          (h) => h.name === 'Simulated home',
        );
        assert.ok(home, 'the simulator made the home for the owner');
        const devices = await api(base, 'GET', `/v1/homes/${home.id}/devices`, undefined, ownerToken);
        assert.equal(devices.status, 200);
        assert.deepEqual(
          [...new Set((devices.body.items as Array<{ gatewayId: string }>).map((d) => d.gatewayId))].sort(),
          ['csv-gw-1', 'csv-gw-2'],
        );
        assert.equal(devices.body.items.length, 22);
      } finally {
        await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
        hestia.child.kill('SIGTERM');
        await hestia.exited;
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
