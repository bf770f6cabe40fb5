import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort, runCli, startHestiaChild } from '../helpers/process.ts';

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
    // first start wrote the admin's credentials to a file only its owner can read
    assert.equal(statSync(path.join(dataDir, 'initial-admin.json')).mode & 0o777, 0o600);
    assert.doesNotMatch(first.output(), /"password"/);
    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0);
  });

  it('admin init, gateway create and list work on the configured store', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hestia-cli-'));
    const env = { HESTIA_DATA_DIR: dir };
    const none = await runCli(['admin', 'gateway', 'create', '--name', 'x'], env);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /admin init/);
    const short = await runCli(
      ['admin', 'init', '--tenant-name', 'Acme', '--email', 'a@example.com', '--password', 'short'],
      env,
    );
    assert.match(short.stderr, /password: at least 10 characters/);
    assert.equal(
      (
        await runCli(
          ['admin', 'init', '--tenant-name', 'Acme', '--email', 'a@example.com', '--password-stdin'],
          env,
          'long enough password\n',
        )
      ).code,
      0,
    );
    const created = await runCli(['admin', 'gateway', 'create', '--name', 'Hall', '--id', 'gw-cli'], env);
    assert.equal(created.code, 0, created.stderr);
    const body = JSON.parse(created.stdout) as { gatewayId: string; token: string };
    assert.equal(body.gatewayId, 'gw-cli');
    assert.match(body.token, /^hgw_/);
    const listed = JSON.parse((await runCli(['admin', 'gateway', 'list'], env)).stdout) as Array<{
      id: string;
    }>;
    assert.deepEqual(
      listed.map((g) => g.id),
      ['gw-cli'],
    );
    assert.doesNotMatch(JSON.stringify(listed), /hgw_|tokenHash/);
    rmSync(dir, { recursive: true, force: true });
  });
});
