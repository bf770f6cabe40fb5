import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startTestApp } from '../helpers/app.ts';

describe('extensions and the bus', () => {
  it('every feature listens while Hestia runs and leaves no listener behind once it stopped', async () => {
    const app = await startTestApp();
    const { bus } = app.hestia.ctx;
    try {
      // Alarms, automations, presence and the live feed all follow committed readings.
      assert.ok(bus.listenerCount('telemetry.committed') >= 4, 'committed readings have their listeners');
      assert.ok(
        bus.listenerCount('gateway.registration') >= 2,
        'the broker and the live feed follow registration',
      );
      assert.ok(
        bus.listenerCount('retention.policy_changed') >= 2,
        'retention and ingest follow tariff changes',
      );
    } finally {
      await app.stop();
    }
    assert.equal(bus.listenerCount(), 0, 'a stopped Hestia leaves no listener on its bus');
  });
});
