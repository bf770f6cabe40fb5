import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/core/config.ts';

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return `${(error as { code?: string }).code}: ${(error as Error).message}`;
  }
  assert.fail('expected an error');
}

describe('configuration', () => {
  it('has documented defaults', () => {
    const config = loadConfig({ env: {} });
    assert.equal(config.http.port, 8080);
    assert.equal(config.mqtt.port, 1883);
    assert.equal(config.storage.kind, 'sqlite');
    assert.equal(config.ingest.maxPayloadBytes, 64 * 1024);
    assert.equal(config.dataDir, path.resolve('./data'));
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.http), 'config is frozen');
  });

  it('takes HESTIA_* variables, including aliases, typed by the schema', () => {
    const config = loadConfig({
      env: {
        HESTIA_HTTP_PORT: '9000',
        HESTIA_MQTT_WS_PORT: 'null',
        HESTIA_STORAGE: 'postgres',
        HESTIA_DATABASE_URL: 'postgres://x/y',
        HESTIA_DATA_DIR: '/tmp/h',
      },
    });
    assert.equal(config.http.port, 9000);
    assert.equal(config.mqtt.wsPort, null);
    assert.equal(config.storage.kind, 'postgres');
    assert.equal(config.storage.databaseUrl, 'postgres://x/y');
    assert.equal(config.dataDir, '/tmp/h');
  });

  it('names the bad key and where it came from', () => {
    assert.match(
      errorOf(() => loadConfig({ env: { HESTIA_HTTP_PORT: 'eighty' } })),
      /^HESTIA_CONFIG_INVALID: HESTIA_HTTP_PORT: .*number/,
    );
    assert.match(
      errorOf(() => loadConfig({ env: { HESTIA_HTTP_PORT: '70000' } })),
      /HESTIA_HTTP_PORT/,
    );
    assert.match(
      errorOf(() => loadConfig({ env: { HESTIA_HTP_PORT: '1' } })),
      /HESTIA_HTP_PORT: unknown configuration variable/,
    );
    assert.match(
      errorOf(() => loadConfig({ env: { HESTIA_STORAGE: 'mysql' } })),
      /HESTIA_STORAGE: .*sqlite.*postgres/,
    );
    assert.match(
      errorOf(() => loadConfig({ env: { HESTIA_STORAGE: 'postgres' } })),
      /HESTIA_DATABASE_URL/,
    );
    const dir = mkdtempSync(path.join(tmpdir(), 'hestia-config-'));
    const file = path.join(dir, 'hestia.config.json');
    writeFileSync(file, JSON.stringify({ mqtt: { port: 'x' } }));
    assert.match(
      errorOf(() => loadConfig({ file, env: {} })),
      new RegExp(`${file}: mqtt.port`),
    );
    writeFileSync(file, JSON.stringify({ mqtt: { prot: 1 } }));
    assert.match(
      errorOf(() => loadConfig({ file, env: {} })),
      /unknown key mqtt.prot/,
    );
    writeFileSync(file, '{ not json');
    assert.match(
      errorOf(() => loadConfig({ file, env: {} })),
      /not a JSON object/,
    );
    writeFileSync(file, JSON.stringify({ mqtt: { tlsPort: 8883 } }));
    assert.match(
      errorOf(() => loadConfig({ file, env: {} })),
      /tlsCertFile/,
    );
  });

  it('lets the environment override the file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hestia-config-'));
    const file = path.join(dir, 'hestia.config.json');
    writeFileSync(file, JSON.stringify({ http: { port: 1000 }, log: { level: 'debug' } }));
    const config = loadConfig({ file, env: { HESTIA_HTTP_PORT: '2000' } });
    assert.equal(config.http.port, 2000);
    assert.equal(config.log.level, 'debug');
  });
});
