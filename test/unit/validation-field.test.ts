import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validationField } from '../../src/api/server.ts';

describe('the field of a validation error', () => {
  it('comes from the schema check: the value, a missing or an unknown property', () => {
    assert.equal(
      validationField({ validation: [{ instancePath: '/reportIntervalSeconds' }] }),
      'reportIntervalSeconds',
    );
    assert.equal(
      validationField({ validation: [{ instancePath: '/actions/0/params/level' }] }),
      'actions[0].params.level',
    );
    assert.equal(
      validationField({ validation: [{ instancePath: '/oneSignal', params: { missingProperty: 'appId' } }] }),
      'oneSignal.appId',
    );
    assert.equal(
      validationField({ validation: [{ instancePath: '', params: { additionalProperty: 'colour' } }] }),
      'colour',
    );
    assert.equal(validationField({ validation: [{ instancePath: '' }] }), undefined, 'the whole body');
  });

  it("comes from a service's message that starts with it, else there is none", () => {
    assert.equal(validationField({ message: 'name: must not be empty' }), 'name');
    assert.equal(validationField({ message: 'webhooks[1].url: an http(s) URL' }), 'webhooks[1].url');
    assert.equal(validationField({ message: 'Heat must be at least 3 °C above freeze' }), undefined);
  });
});
