import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import {
  CLAIM_CODE_ALPHABET,
  claimCodeMatches,
  generateClaimCode,
  hashClaimCode,
  isValidClaimCode,
  normalizeClaimCode,
} from '../../src/services/claim-codes.ts';

const GROUPED_CODE = /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;

test('generated codes are XXXX-XXXX-XXXX in Crockford base32 and valid once typed back', () => {
  for (let sample = 0; sample < 2_000; sample += 1) {
    const code = generateClaimCode();
    assert.match(code, GROUPED_CODE);
    assert.equal(isValidClaimCode(code), true);
    // A generated code is already canonical: normalising only drops the hyphens.
    assert.equal(normalizeClaimCode(code), code.replaceAll('-', ''));
  }
});

test('generated codes use all 32 symbols with roughly equal frequency', () => {
  const counts = new Map<string, number>();
  const samples = 1_000;
  for (let sample = 0; sample < samples; sample += 1) {
    for (const symbol of generateClaimCode().replaceAll('-', '')) {
      counts.set(symbol, (counts.get(symbol) ?? 0) + 1);
    }
  }
  assert.deepEqual([...counts.keys()].sort().join(''), CLAIM_CODE_ALPHABET);
  // 12,000 symbols: 375 expected per symbol, σ ≈ 19; the bounds are more than 6σ away, so only a
  // real bias (e.g. a modulo over a non-power of two, or a smaller alphabet) fails this.
  for (const [symbol, count] of counts) {
    assert.ok(count > 250 && count < 500, `symbol ${symbol} appeared ${count} times`);
  }
});

test('10,000 generated codes are all different', () => {
  const codes = new Set<string>();
  for (let sample = 0; sample < 10_000; sample += 1) codes.add(generateClaimCode());
  assert.equal(codes.size, 10_000);
});

test('normalisation upper-cases, drops spaces and hyphens, and reads I/L as 1 and O as 0', () => {
  assert.equal(normalizeClaimCode('abcd-efgh-ijkl'), 'ABCDEFGH1JK1');
  assert.equal(normalizeClaimCode('O o 0'), '000');
  assert.equal(normalizeClaimCode('I i L l 1'), '11111');
  assert.equal(normalizeClaimCode(' ab\tcd -\u00a0ef '), 'ABCDEF');
  assert.equal(normalizeClaimCode('ABCD-EFGH-JKMN'), 'ABCDEFGHJKMN');
});

test('a code typed sloppily from the label is the same code', () => {
  const printed = '7K2M-QX0P-1RVA';
  assert.equal(normalizeClaimCode('7k2m qxop irva'), normalizeClaimCode(printed));
  assert.equal(normalizeClaimCode('7K2M-QXoP-lRVA'), normalizeClaimCode(printed));
});

test('valid codes are 8 to 32 Crockford symbols after normalisation', () => {
  assert.equal(isValidClaimCode('abcd-efgh-ijkl'), true);
  assert.equal(isValidClaimCode('ABCD-EFGH'), true); // 8
  assert.equal(isValidClaimCode('ABCD-EFG'), false); // 7
  assert.equal(isValidClaimCode('A'.repeat(32)), true);
  assert.equal(isValidClaimCode('A'.repeat(33)), false);
  assert.equal(isValidClaimCode('ABCD-EFGH-UUUU'), false); // U is not a Crockford symbol
  assert.equal(isValidClaimCode('ABCD-EFGH-12!4'), false);
  assert.equal(isValidClaimCode('ABCD_EFGH_1234'), false);
  assert.equal(isValidClaimCode('   -  '), false);
  assert.equal(isValidClaimCode(''), false);
});

test('the digest is SHA-256 hex of the normalised code', () => {
  const expected = createHash('sha256').update('ABCDEFGH1JK1').digest('hex');
  assert.equal(hashClaimCode('ABCDEFGH1JK1'), expected);
  assert.equal(hashClaimCode('abcd-efgh-ijkl'), expected);
  assert.notEqual(hashClaimCode('ABCDEFGH1JK2'), expected);
});

test('a presented code matches its digest, also typed sloppily; another code does not', () => {
  const code = generateClaimCode();
  const stored = hashClaimCode(code);
  assert.equal(claimCodeMatches(code, stored), true);
  assert.equal(claimCodeMatches(` ${code.toLowerCase().replaceAll('-', ' ')} `, stored), true);
  assert.equal(claimCodeMatches('ABCD-EFGH-JKMN', hashClaimCode('ABCD-EFGH-JKMP')), false);
  assert.equal(claimCodeMatches('abcd-efgh-ijkl', hashClaimCode('ABCD-EFGH-1JK1')), true);
});

test('malformed input never matches and never throws', () => {
  const stored = hashClaimCode('ABCD-EFGH-JKMN');
  assert.equal(claimCodeMatches('', stored), false);
  assert.equal(claimCodeMatches('ABC', hashClaimCode('ABC')), false); // too short to be a code
  assert.equal(claimCodeMatches('ABCD-EFGH-UUUU', hashClaimCode('ABCD-EFGH-UUUU')), false);
  assert.equal(claimCodeMatches('ABCD-EFGH-JKMN', ''), false);
  assert.equal(claimCodeMatches('ABCD-EFGH-JKMN', stored.slice(0, 62)), false); // different length
  assert.equal(claimCodeMatches('ABCD-EFGH-JKMN', `${stored}00`), false);
  assert.equal(claimCodeMatches('ABCD-EFGH-JKMN', 'z'.repeat(64)), false);
});
