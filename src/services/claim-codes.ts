import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Claim codes: the short secret printed on a gateway next to its serial. A home owner types both
 * into the app to register the gateway to a home. Codes use Crockford base32 because it has no
 * symbols that people confuse on a label (no I, L, O, U), and decoding forgives the usual slips.
 */

/** Crockford base32: digits and upper-case letters without I, L, O and U. */
export const CLAIM_CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** 12 symbols × 5 bits = 60 bits: out of reach of guessing at a rate-limited claim endpoint. */
export const GENERATED_CLAIM_CODE_LENGTH = 12;

const CLAIM_CODE_GROUP_LENGTH = 4;

/**
 * Codes imported from a factory's list may have another length; below 8 symbols (40 bits) a code
 * is too weak, above 32 nobody types it.
 */
const VALID_NORMALIZED_CLAIM_CODE = /^[0-9A-HJKMNP-TV-Z]{8,32}$/;

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** A new claim code to print on the device's label, grouped for reading and typing: `XXXX-XXXX-XXXX`. */
export function generateClaimCode(): string {
  // 32 divides 256, so keeping the low 5 bits of each random byte picks every symbol with the
  // same probability (no modulo bias).
  const bytes = randomBytes(GENERATED_CLAIM_CODE_LENGTH);
  let symbols = '';
  for (const byte of bytes) symbols += CLAIM_CODE_ALPHABET[byte & 0b11111];
  const groups: string[] = [];
  for (let start = 0; start < symbols.length; start += CLAIM_CODE_GROUP_LENGTH) {
    groups.push(symbols.slice(start, start + CLAIM_CODE_GROUP_LENGTH));
  }
  return groups.join('-');
}

/**
 * What a person typed from a label, in canonical form: upper case, without spaces and hyphens,
 * with I and L read as 1 and O as 0 (Crockford's decoding rules). Does not validate.
 */
export function normalizeClaimCode(input: string): string {
  return input.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
}

/** True when the input, once normalised, is 8 to 32 Crockford base32 symbols. */
export function isValidClaimCode(input: string): boolean {
  return VALID_NORMALIZED_CLAIM_CODE.test(normalizeClaimCode(input));
}

/**
 * The digest stored instead of the code. A fast, unsalted SHA-256 is acceptable here, unlike for
 * passwords: guesses can only be tried at the claim endpoint, which is rate-limited per user, and a
 * code is useless on its own — it claims only a pending gateway of the same provider whose serial
 * the caller must also present, and it is spent once that gateway is claimed. Whoever could read
 * the digests offline already holds the database a claim would give access to.
 * Normalising first makes `abcd-efgh-ijkl` and `ABCDEFGH1JK1` the same code.
 */
export function hashClaimCode(code: string): string {
  return createHash('sha256').update(normalizeClaimCode(code)).digest('hex');
}

/** Constant-time check of a typed claim code against a stored digest; false for malformed input. */
export function claimCodeMatches(presented: string, storedHash: string): boolean {
  // Rejecting malformed input early reveals only what the caller already knows: what it typed.
  if (!isValidClaimCode(presented) || !SHA256_HEX.test(storedHash)) return false;
  const presentedDigest = Buffer.from(hashClaimCode(presented), 'hex');
  const storedDigest = Buffer.from(storedHash, 'hex');
  return timingSafeEqual(presentedDigest, storedDigest);
}
