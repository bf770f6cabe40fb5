import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as SunCalc from 'suncalc';
import {
  cronProblem,
  isSunDown,
  isWithinClockWindow,
  nextCronFire,
  nextSunFire,
  nextTimedFire,
  parseClock,
} from '../../src/services/automations/schedule.ts';

const BERLIN = { timezone: 'Europe/Berlin', latitude: 52.52, longitude: 13.405 };
const TROMSO = { timezone: 'Europe/Oslo', latitude: 69.6496, longitude: 18.956 };
const LONGYEARBYEN = { timezone: 'Arctic/Longyearbyen', latitude: 78.2232, longitude: 15.6267 };
const at = (text: string) => Date.parse(text);
const isoOf = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const MINUTE = 60_000;

/** Successive fires of a cron expression from `start`. */
function fires(cron: string, timezone: string, start: string, count: number): string[] {
  const result: string[] = [];
  let after = at(start);
  for (let index = 0; index < count; index++) {
    const next = nextCronFire(cron, timezone, after);
    assert.notEqual(next, null);
    result.push(isoOf(next)!);
    after = next!;
  }
  return result;
}

describe('cron schedules in the home timezone', () => {
  it('fires at 07:00 local on weekdays, CET and CEST alike', () => {
    // Friday 29 March 2024, noon UTC: next is Monday 1 April 07:00 CEST (05:00 UTC).
    assert.deepEqual(fires('0 7 * * 1-5', 'Europe/Berlin', '2024-03-29T12:00:00Z', 2), [
      '2024-04-01T05:00:00.000Z',
      '2024-04-02T05:00:00.000Z',
    ]);
    // In winter 07:00 CET is 06:00 UTC.
    assert.deepEqual(fires('0 7 * * 1-5', 'Europe/Berlin', '2024-01-05T12:00:00Z', 1), [
      '2024-01-08T06:00:00.000Z',
    ]);
  });

  it('a time skipped by the spring change fires once, an hour later on the wall clock', () => {
    // 31 March 2024: Berlin jumps from 02:00 to 03:00; 02:30 does not exist that night.
    assert.deepEqual(fires('30 2 * * *', 'Europe/Berlin', '2024-03-29T12:00:00Z', 3), [
      '2024-03-30T01:30:00.000Z', // 02:30 CET
      '2024-03-31T01:30:00.000Z', // 03:30 CEST: the skipped time, once
      '2024-04-01T00:30:00.000Z', // 02:30 CEST
    ]);
  });

  it('a time repeated by the autumn change fires once', () => {
    // 27 October 2024: 02:00–03:00 happens twice in Berlin; a daily 02:30 fires at the first.
    assert.deepEqual(fires('30 2 * * *', 'Europe/Berlin', '2024-10-25T12:00:00Z', 3), [
      '2024-10-26T00:30:00.000Z', // 02:30 CEST
      '2024-10-27T00:30:00.000Z', // 02:30 CEST, not again at 02:30 CET
      '2024-10-28T01:30:00.000Z', // 02:30 CET
    ]);
  });

  it('the next fire is strictly after the given time', () => {
    const fire = at('2024-04-01T05:00:00Z');
    assert.equal(isoOf(nextCronFire('0 7 * * 1-5', 'Europe/Berlin', fire)), '2024-04-02T05:00:00.000Z');
    assert.equal(isoOf(nextCronFire('0 7 * * 1-5', 'Europe/Berlin', fire - 1)), '2024-04-01T05:00:00.000Z');
  });

  it('refuses what a schedule should not be, naming why', () => {
    assert.equal(cronProblem('0 7 * * 1-5'), null);
    assert.equal(cronProblem('0 7 * * thu'), null);
    assert.equal(cronProblem('*/15 6-22 * jan-mar mon-fri'), null);
    assert.match(cronProblem('0 0 7 * * 1-5')!, /five fields/);
    assert.match(cronProblem('@daily')!, /five fields/);
    assert.match(cronProblem('H 7 * * *')!, /H \(hashed/);
    assert.match(cronProblem('0 0 30 2 *')!, /day of month/); // 30 February never comes
    assert.notEqual(cronProblem('61 * * * *'), null);
    assert.notEqual(cronProblem('a b c d e'), null);
  });
});

describe('sun events at the home location', () => {
  it('sunset in Berlin at midsummer matches the published time (21:33 CEST) within 2 minutes', () => {
    const sunset = nextSunFire('sunset', 0, BERLIN, at('2024-06-21T08:00:00Z'))!;
    assert.ok(Math.abs(sunset - at('2024-06-21T19:33:00Z')) <= 2 * MINUTE, isoOf(sunset)!);
    // Sanity check against the library's own figure for that day.
    const reference = SunCalc.getTimes(new Date('2024-06-21T12:00:00Z'), BERLIN.latitude, BERLIN.longitude);
    assert.ok(Math.abs(sunset - reference.sunset!.getTime()) < MINUTE);
  });

  it('sunset in Berlin at midwinter matches the published time (15:54 CET) within 2 minutes', () => {
    const sunset = nextSunFire('sunset', 0, BERLIN, at('2024-12-21T08:00:00Z'))!;
    assert.ok(Math.abs(sunset - at('2024-12-21T14:54:00Z')) <= 2 * MINUTE, isoOf(sunset)!);
    const sunrise = nextSunFire('sunrise', 0, BERLIN, at('2024-12-21T00:00:00Z'))!;
    assert.ok(Math.abs(sunrise - at('2024-12-21T07:15:00Z')) <= 2 * MINUTE, isoOf(sunrise)!); // 08:15 CET
  });

  it('after the day’s event the next is the following day’s; offsets move it', () => {
    const today = nextSunFire('sunset', 0, BERLIN, at('2024-06-21T08:00:00Z'))!;
    const tomorrow = nextSunFire('sunset', 0, BERLIN, today)!;
    assert.ok(tomorrow - today > 23.9 * 60 * MINUTE && tomorrow - today < 24.1 * 60 * MINUTE);
    assert.equal(nextSunFire('sunset', -30, BERLIN, at('2024-06-21T08:00:00Z')), today - 30 * MINUTE);
    // Half an hour after sunset, a +60 min trigger still fires today.
    assert.equal(nextSunFire('sunset', 60, BERLIN, today + 30 * MINUTE), today + 60 * MINUTE);
    assert.equal(
      nextTimedFire({ type: 'sun', event: 'sunset', offsetMinutes: 15 }, BERLIN, at('2024-06-21T08:00:00Z')),
      today + 15 * MINUTE,
    );
  });

  it('polar night and polar day have no event: the next comes when the sun returns', () => {
    // Tromsø: no sunrise from late November to mid January.
    const sunrise = nextSunFire('sunrise', 0, TROMSO, at('2024-12-01T12:00:00Z'))!;
    assert.ok(sunrise > at('2025-01-10T00:00:00Z') && sunrise < at('2025-01-20T00:00:00Z'), isoOf(sunrise)!);
    // Longyearbyen: midnight sun until late August.
    const sunset = nextSunFire('sunset', 0, LONGYEARBYEN, at('2024-06-21T12:00:00Z'))!;
    assert.ok(sunset > at('2024-08-15T00:00:00Z') && sunset < at('2024-09-01T00:00:00Z'), isoOf(sunset)!);
  });

  it('without a location there is no sun event', () => {
    assert.equal(nextSunFire('sunset', 0, { timezone: 'UTC', latitude: null, longitude: null }, 0), null);
    assert.equal(isSunDown({ timezone: 'UTC', latitude: null, longitude: null }, 0), null);
  });

  it('tells whether the sun is down, also in polar night and day', () => {
    assert.equal(isSunDown(BERLIN, at('2024-06-21T12:00:00Z')), false);
    assert.equal(isSunDown(BERLIN, at('2024-06-21T20:00:00Z')), true); // 22:00 CEST, after sunset
    assert.equal(isSunDown(BERLIN, at('2024-06-21T01:00:00Z')), true); // 03:00 CEST, before sunrise
    assert.equal(isSunDown(BERLIN, at('2024-12-21T15:30:00Z')), true); // 16:30 CET
    assert.equal(isSunDown(TROMSO, at('2024-12-21T11:00:00Z')), true); // noon in polar night
    assert.equal(isSunDown(LONGYEARBYEN, at('2024-06-21T23:00:00Z')), false); // midnight sun
  });
});

describe('time-of-day windows', () => {
  it('parses HH:MM only', () => {
    assert.equal(parseClock('07:30'), 450);
    assert.equal(parseClock('23:59'), 1439);
    assert.equal(parseClock('24:00'), null);
    assert.equal(parseClock('7:30'), null);
    assert.equal(parseClock('07:60'), null);
  });

  it('windows follow the home clock and may wrap midnight', () => {
    const night = { after: '22:00', before: '06:00' };
    assert.equal(isWithinClockWindow(night, 'Europe/Berlin', at('2024-06-21T21:30:00Z')), true); // 23:30 CEST
    assert.equal(isWithinClockWindow(night, 'Europe/Berlin', at('2024-06-21T03:59:00Z')), true); // 05:59
    assert.equal(isWithinClockWindow(night, 'Europe/Berlin', at('2024-06-21T04:00:00Z')), false); // 06:00
    assert.equal(isWithinClockWindow(night, 'Europe/Berlin', at('2024-06-21T10:00:00Z')), false);
    const office = { after: '09:00', before: '17:00' };
    assert.equal(isWithinClockWindow(office, 'Europe/Berlin', at('2024-01-10T08:00:00Z')), true); // 09:00 CET
    assert.equal(isWithinClockWindow(office, 'Europe/Berlin', at('2024-07-10T06:30:00Z')), false); // 08:30 CEST
    assert.equal(isWithinClockWindow(office, 'Europe/Berlin', at('2024-07-10T07:30:00Z')), true); // 09:30 CEST
    assert.equal(isWithinClockWindow({ before: '12:00' }, 'UTC', at('2024-01-10T11:59:00Z')), true);
    assert.equal(isWithinClockWindow({ after: '12:00' }, 'UTC', at('2024-01-10T11:59:00Z')), false);
  });
});
