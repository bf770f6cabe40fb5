import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { ConfigInput } from '../../src/core/config.ts';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  OWNER_EMAIL,
  TENANT_SLUG,
  seedMessages,
  startTestApp,
  type TestApp,
} from '../helpers/app.ts';
import { onPostgres } from '../helpers/backends.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { extractToken, startSmtpSink, type ReceivedMail, type SmtpSink } from '../helpers/smtp-sink.ts';
import { closesWithin, refusedCode } from '../helpers/mqtt.ts';
import { TEST_TIMEOUT_MS } from '../helpers/wait.ts';

/**
 * People's accounts end to end, through the HTTP API of a real Hestia with mail over a real
 * SMTP server (test/helpers/smtp-sink.ts): sign-up, login and its lock, sessions, password
 * change and reset, invitations, homes changing hands, tenant suspension, API keys and the
 * audit log. Run once per storage backend.
 */

const ORIGIN = { ip: '127.0.0.1', userAgent: 'accounts test' };
const PASSWORD = 'a long enough password';
const NEW_PASSWORD = 'another long enough password';
const LOCK_AFTER_FAILURES = 3;
/**
 * How long the first lock lasts (it doubles with each failure after it). A test reads a lock back
 * one login after setting it; a busy machine has taken seconds for a few logins (scrypt).
 */
const LOCK_BASE_SECONDS = 5;
/** A broken server tends to hang a test (an uplink never acknowledged): fail it instead. */
const TIMEOUT = { timeout: TEST_TIMEOUT_MS };

interface Reply {
  status: number;
  body: any;
  headers: Record<string, unknown>;
}

let requestCount = 0;

/**
 * `app.inject` from a new client address each time: /v1/auth/* limits each address to a few
 * requests a minute, and these tests, which sign in many times, are not about that limit.
 */
async function call(
  app: TestApp,
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  url: string,
  options: { body?: unknown; token?: string | null } = {},
): Promise<Reply> {
  requestCount += 1;
  const response = await app.hestia.api.inject({
    method,
    url,
    remoteAddress: `10.${(requestCount >> 16) & 255}.${(requestCount >> 8) & 255}.${requestCount & 255}`,
    headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
    ...(options.body === undefined ? {} : { payload: options.body as object }),
  });
  return {
    status: response.statusCode,
    body: response.body ? JSON.parse(response.body) : null,
    headers: response.headers,
  };
}

/** Asserts an error answer by status and catalogue code, showing the body when it differs. */
function assertError(reply: Reply, status: number, code: string): void {
  assert.equal(reply.status, status, JSON.stringify(reply.body));
  assert.equal(reply.body?.error?.code, code, JSON.stringify(reply.body));
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a backend stores, read behind the application's back. */
interface StoredData {
  /** The `token_hash` column of every access token. */
  accessTokenHashes(): Promise<string[]>;
  /** The `refresh_hash` column of every session. */
  refreshHashes(): Promise<string[]>;
  /** Everything stored, as text: the database files (SQLite) or every row of every table (PostgreSQL). */
  everything(): Promise<string>;
}

function sqliteData(app: TestApp): StoredData {
  const file = path.join(app.dataDir, 'hestia.db');
  const column = (sql: string): string[] => {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare(sql).raw().all() as unknown[][]).map((row) => String(row[0]));
    } finally {
      db.close();
    }
  };
  return {
    accessTokenHashes: async () => column('SELECT token_hash FROM access_tokens'),
    refreshHashes: async () => column('SELECT refresh_hash FROM sessions'),
    // the main file and its write-ahead log, where the latest commits still are
    everything: async () =>
      readdirSync(app.dataDir)
        .filter((name) => name.startsWith('hestia.db'))
        .map((name) => readFileSync(path.join(app.dataDir, name)).toString('latin1'))
        .join('\n'),
  };
}

function postgresData(databaseUrl: string): StoredData {
  const query = async (sql: string): Promise<Array<Record<string, unknown>>> => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      return (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  };
  return {
    accessTokenHashes: async () =>
      (await query('SELECT token_hash FROM access_tokens')).map((row) => String(row.token_hash)),
    refreshHashes: async () =>
      (await query('SELECT refresh_hash FROM sessions')).map((row) => String(row.refresh_hash)),
    async everything() {
      const tables = await query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
      );
      const dumps: string[] = [];
      for (const { table_name: table } of tables) {
        dumps.push(JSON.stringify(await query(`SELECT * FROM "${String(table)}"`)));
      }
      return dumps.join('\n');
    },
  };
}

interface Backend {
  name: string;
  tag: string;
  /** Storage for one app, and how to clean it up. */
  open(): Promise<{ storage?: ConfigInput['storage']; databaseUrl?: string; drop: () => Promise<void> }>;
}

const SQLITE: Backend = {
  name: 'SQLite',
  tag: 'sqlite',
  open: async () => ({ drop: async () => undefined }),
};
const POSTGRES: Backend = {
  name: 'PostgreSQL',
  tag: 'pg',
  async open() {
    const database = await createTestDatabase();
    if ('skipped' in database) throw new Error(database.skipped);
    return {
      storage: { kind: 'postgres', databaseUrl: database.url },
      databaseUrl: database.url,
      drop: database.drop,
    };
  },
};

let sink: SmtpSink;
before(async () => {
  sink = await startSmtpSink();
});
after(() => sink?.stop());

function accountsSuite(backend: Backend): void {
  describe(`accounts, sessions, invitations, suspension, API keys and audit (${backend.name})`, () => {
    let app: TestApp;
    let stored: StoredData;
    let drop: () => Promise<void> = async () => undefined;
    let betaTenantId: string;
    let betaAdminToken: string;
    /** Every secret the tests handle; none may ever show up in the audit log. */
    const secrets = new Set<string>([ADMIN_PASSWORD, PASSWORD, NEW_PASSWORD]);
    /** Mails of one backend's run go to addresses of its own, as both runs share the SMTP sink. */
    const email = (local: string) => `${local}.${backend.tag}@example.com`;
    const mailTo = (address: string, subject: RegExp): Promise<ReceivedMail> =>
      sink.waitForMail((mail) => mail.to.includes(address) && subject.test(mail.subject));

    async function signUp(local: string, tenant = TENANT_SLUG) {
      const reply = await call(app, 'POST', '/v1/auth/signup', {
        body: { tenant, email: email(local), password: PASSWORD },
      });
      assert.equal(reply.status, 201, JSON.stringify(reply.body));
      secrets.add(reply.body.accessToken).add(reply.body.refreshToken);
      return {
        id: reply.body.user.id as string,
        email: email(local),
        accessToken: reply.body.accessToken as string,
        refreshToken: reply.body.refreshToken as string,
      };
    }

    async function login(address: string, password = PASSWORD, tenant: string | null = TENANT_SLUG) {
      const reply = await call(app, 'POST', '/v1/auth/login', {
        body: { email: address, password, ...(tenant === null ? {} : { tenant }) },
      });
      if (reply.status === 200) secrets.add(reply.body.accessToken).add(reply.body.refreshToken);
      return reply;
    }

    const me = (token: string) => call(app, 'GET', '/v1/me', { token });

    async function auditActions(action?: string) {
      const reply = await call(
        app,
        'GET',
        `/v1/tenants/${app.tenantId}/audit?limit=1000${action ? `&action=${action}` : ''}`,
        { token: app.adminToken },
      );
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      return reply.body.items as Array<{
        action: string;
        actorId: string | null;
        targetId: string | null;
        outcome: string;
        detail: Record<string, unknown>;
      }>;
    }

    before(async () => {
      const opened = await backend.open();
      drop = opened.drop;
      app = await startTestApp({
        mail: { transport: 'smtp', smtpUrl: sink.url },
        auth: { loginFailuresBeforeLock: LOCK_AFTER_FAILURES, loginLockBaseSeconds: LOCK_BASE_SECONDS },
        ...(opened.storage ? { storage: opened.storage } : {}),
      });
      stored = opened.databaseUrl ? postgresData(opened.databaseUrl) : sqliteData(app);
      secrets.add(app.adminToken).add(app.ownerToken);
      const beta = await app.hestia.services.tenants.createTenant(
        null,
        { name: 'Beta', slug: 'beta', adminEmail: email('admin-beta'), adminPassword: PASSWORD },
        ORIGIN,
      );
      betaTenantId = beta.tenant.id;
      betaAdminToken = (
        await app.hestia.services.accounts.login(
          { email: email('admin-beta'), password: PASSWORD, tenant: 'beta' },
          ORIGIN,
        )
      ).accessToken;
      secrets.add(betaAdminToken);
    });
    after(async () => {
      await app?.stop();
      await drop();
    });

    it(
      'sign-up: open and closed tenants, one account per email and tenant, login by tenant slug',
      TIMEOUT,
      async () => {
        const alice = await signUp('alice');
        assert.equal((await me(alice.accessToken)).body.user.role, 'user');
        assert.equal((await me(alice.accessToken)).body.tenant.slug, TENANT_SLUG);

        // the same address again in the same tenant, also in other letter case
        for (const address of [email('alice'), email('alice').toUpperCase()]) {
          const duplicate = await call(app, 'POST', '/v1/auth/signup', {
            body: { tenant: TENANT_SLUG, email: address, password: PASSWORD },
          });
          assertError(duplicate, 409, 'HESTIA_CONFLICT');
        }
        // ... but another tenant's app may have a person with the same address
        const aliceAtBeta = await signUp('alice', 'beta');
        assert.notEqual(aliceAtBeta.id, alice.id);
        assert.equal((await me(aliceAtBeta.accessToken)).body.user.tenantId, betaTenantId);

        const closed = await call(app, 'PATCH', `/v1/tenants/${app.tenantId}`, {
          body: { signupOpen: false },
          token: app.adminToken,
        });
        assert.equal(closed.status, 200, JSON.stringify(closed.body));
        assert.equal(closed.body.signupOpen, false);
        const refused = await call(app, 'POST', '/v1/auth/signup', {
          body: { tenant: TENANT_SLUG, email: email('latecomer'), password: PASSWORD },
        });
        assertError(refused, 403, 'HESTIA_SIGNUP_CLOSED');
        // a person cannot reopen it
        assertError(
          await call(app, 'PATCH', `/v1/tenants/${app.tenantId}`, {
            body: { signupOpen: true },
            token: alice.accessToken,
          }),
          403,
          'HESTIA_FORBIDDEN',
        );
        const reopened = await call(app, 'PATCH', `/v1/tenants/${app.tenantId}`, {
          body: { signupOpen: true },
          token: app.adminToken,
        });
        assert.equal(reopened.body.signupOpen, true);
        await signUp('latecomer');

        const atAcme = await login(email('alice'), PASSWORD, TENANT_SLUG);
        assert.equal(atAcme.status, 200, JSON.stringify(atAcme.body));
        assert.equal(atAcme.body.user.id, alice.id);
        const atBeta = await login(email('alice'), PASSWORD, 'beta');
        assert.equal(atBeta.status, 200, JSON.stringify(atBeta.body));
        assert.equal(atBeta.body.user.id, aliceAtBeta.id);
        // without a tenant the address is ambiguous: the answer names the missing field
        const ambiguous = await login(email('alice'), PASSWORD, null);
        assertError(ambiguous, 400, 'HESTIA_VALIDATION_FAILED');
        assert.match(ambiguous.body.error.message, /tenant/);
        // an address with one account needs no tenant
        const unique = await login(OWNER_EMAIL, ADMIN_PASSWORD, null);
        assert.equal(unique.status, 200, JSON.stringify(unique.body));
        assert.equal(unique.body.user.id, app.ownerId);
      },
    );

    it('stores passwords as scrypt hashes and tokens only as SHA-256 digests', TIMEOUT, async () => {
      const bob = await signUp('bob');
      const user = await app.hestia.ctx.store.directory.findUser(bob.id);
      assert.ok(user);
      assert.match(user.passwordHash, /^scrypt\$/);
      assert.ok(!user.passwordHash.includes(PASSWORD));
      // the same password gets a different salt, hence a different hash, for another person
      const alice = await app.hestia.ctx.store.directory.findUserByEmail(app.tenantId, email('alice'));
      assert.notEqual(alice?.passwordHash, user.passwordHash);

      const session = await login(bob.email);
      assert.equal(session.status, 200);
      const { accessToken, refreshToken } = session.body as { accessToken: string; refreshToken: string };
      const accessHashes = await stored.accessTokenHashes();
      assert.ok(accessHashes.includes(sha256(accessToken)), 'the digest of the access token is stored');
      assert.ok(!accessHashes.includes(accessToken));
      assert.ok((await stored.refreshHashes()).includes(sha256(refreshToken)));
      const everything = await stored.everything();
      assert.ok(everything.includes(sha256(accessToken)), 'the raw read sees the stored digests');
      for (const secret of [accessToken, refreshToken, bob.accessToken, bob.refreshToken, PASSWORD]) {
        assert.ok(!everything.includes(secret), `${secret.slice(0, 8)}… is stored in clear`);
      }
    });

    it(
      'locks an account after repeated failures, with Retry-After and doubling, audited',
      TIMEOUT,
      async () => {
        const first = await signUp('locky');
        const second = await signUp('locky-two');
        const failLogins = async (person: { email: string }) => {
          for (let attempt = 1; attempt <= LOCK_AFTER_FAILURES; attempt += 1) {
            assertError(await login(person.email, 'wrong password!'), 401, 'HESTIA_BAD_CREDENTIALS');
          }
        };
        // Each lock is looked at right after it is set: it lasts only LOCK_BASE_SECONDS.
        await failLogins(first);
        // locked: even the right password is refused, before it is checked
        const locked = await login(first.email);
        assertError(locked, 429, 'HESTIA_LOGIN_LOCKED');
        const retryAfter = Number(locked.headers['retry-after']);
        assert.ok(retryAfter >= 1 && retryAfter <= LOCK_BASE_SECONDS, `Retry-After ${retryAfter}`);
        assert.equal(locked.body.error.details.retryAfterSeconds, retryAfter);
        // another account is not affected
        assert.equal((await login(email('bob'))).status, 200);
        await failLogins(second);

        const failed = (await auditActions('auth.login_failed')).filter((e) => e.actorId === first.id);
        assert.deepEqual(
          failed.map((e) => Number(e.detail.failures)).sort((x, y) => x - y),
          Array.from({ length: LOCK_AFTER_FAILURES }, (_, i) => i + 1),
        );
        assert.ok(failed.every((e) => e.outcome === 'failure'));
        assert.ok(failed.some((e) => e.detail.lockedForSeconds === LOCK_BASE_SECONDS));
        const lockedEntries = (await auditActions('auth.login_locked')).filter((e) => e.actorId === first.id);
        assert.equal(lockedEntries.length, 1);

        await sleep(LOCK_BASE_SECONDS * 1000 + 100);
        // the lock is over: the right password works and the count starts again
        assert.equal((await login(first.email)).status, 200);
        for (let attempt = 1; attempt < LOCK_AFTER_FAILURES; attempt += 1) {
          assertError(await login(first.email, 'wrong password!'), 401, 'HESTIA_BAD_CREDENTIALS');
        }
        assert.equal((await login(first.email)).status, 200, 'the count was reset by the good login');
        // the other account fails once more after its lock: the next lock lasts twice as long
        assertError(await login(second.email, 'wrong password!'), 401, 'HESTIA_BAD_CREDENTIALS');
        const doubled = await login(second.email);
        assertError(doubled, 429, 'HESTIA_LOGIN_LOCKED');
        const doubledRetry = Number(doubled.headers['retry-after']);
        assert.ok(
          doubledRetry > LOCK_BASE_SECONDS && doubledRetry <= 2 * LOCK_BASE_SECONDS,
          `Retry-After ${doubledRetry}`,
        );
      },
    );

    it(
      'refresh rotates the pair; the old refresh token again revokes the whole session',
      TIMEOUT,
      async () => {
        const carol = await signUp('carol');
        const other = await login(carol.email); // a second session of the same person
        const rotated = await call(app, 'POST', '/v1/auth/refresh', {
          body: { refreshToken: carol.refreshToken },
        });
        assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
        secrets.add(rotated.body.accessToken).add(rotated.body.refreshToken);
        assert.notEqual(rotated.body.accessToken, carol.accessToken);
        assert.notEqual(rotated.body.refreshToken, carol.refreshToken);
        assert.equal(rotated.body.user.id, carol.id);
        // the previous access token lives on until it expires
        assert.equal((await me(carol.accessToken)).status, 200);
        assert.equal((await me(rotated.body.accessToken)).status, 200);

        // the rotated-out refresh token comes back: someone copied it
        const reused = await call(app, 'POST', '/v1/auth/refresh', {
          body: { refreshToken: carol.refreshToken },
        });
        assertError(reused, 401, 'HESTIA_UNAUTHENTICATED');
        assertError(await me(rotated.body.accessToken), 401, 'HESTIA_UNAUTHENTICATED');
        assertError(await me(carol.accessToken), 401, 'HESTIA_UNAUTHENTICATED');
        assertError(
          await call(app, 'POST', '/v1/auth/refresh', { body: { refreshToken: rotated.body.refreshToken } }),
          401,
          'HESTIA_UNAUTHENTICATED',
        );
        // only that session ended
        assert.equal((await me(other.body.accessToken)).status, 200);
        const audit = (await auditActions('auth.refresh_reused')).filter((e) => e.actorId === carol.id);
        assert.equal(audit.length, 1);
        assert.equal(audit[0]!.outcome, 'failure');
      },
    );

    it(
      'a refresh token rotated out two generations ago also revokes the session',
      {
        ...TIMEOUT,
      },
      async () => {
        const dave = await signUp('dave');
        let current = dave.refreshToken;
        for (let i = 0; i < 2; i += 1) {
          const next = await call(app, 'POST', '/v1/auth/refresh', { body: { refreshToken: current } });
          assert.equal(next.status, 200);
          current = next.body.refreshToken;
          secrets.add(current).add(next.body.accessToken);
        }
        assertError(
          await call(app, 'POST', '/v1/auth/refresh', { body: { refreshToken: dave.refreshToken } }),
          401,
          'HESTIA_UNAUTHENTICATED',
        );
        // whoever holds the newest token (perhaps the thief) must be signed out too
        assertError(
          await call(app, 'POST', '/v1/auth/refresh', { body: { refreshToken: current } }),
          401,
          'HESTIA_UNAUTHENTICATED',
        );
      },
    );

    it('logout revokes the access and the refresh token of that session only', TIMEOUT, async () => {
      const erin = await signUp('erin');
      const other = await login(erin.email);
      assert.equal((await me(erin.accessToken)).status, 200);
      const out = await call(app, 'POST', '/v1/auth/logout', { token: erin.accessToken });
      assert.equal(out.status, 204, JSON.stringify(out.body));
      assertError(await me(erin.accessToken), 401, 'HESTIA_UNAUTHENTICATED');
      assertError(
        await call(app, 'POST', '/v1/auth/refresh', { body: { refreshToken: erin.refreshToken } }),
        401,
        'HESTIA_UNAUTHENTICATED',
      );
      assert.equal((await me(other.body.accessToken)).status, 200);
      const refreshed = await call(app, 'POST', '/v1/auth/refresh', {
        body: { refreshToken: other.body.refreshToken },
      });
      assert.equal(refreshed.status, 200);
      secrets.add(refreshed.body.accessToken).add(refreshed.body.refreshToken);
    });

    it('a password change ends the other sessions, keeps this one and mails a notice', TIMEOUT, async () => {
      const frank = await signUp('frank');
      const other = await login(frank.email);
      assertError(
        await call(app, 'POST', '/v1/auth/password', {
          body: { currentPassword: 'not the password', newPassword: NEW_PASSWORD },
          token: frank.accessToken,
        }),
        401,
        'HESTIA_BAD_CREDENTIALS',
      );
      assert.equal((await me(other.body.accessToken)).status, 200, 'a refused change ends nothing');

      const changed = await call(app, 'POST', '/v1/auth/password', {
        body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
        token: frank.accessToken,
      });
      assert.equal(changed.status, 204, JSON.stringify(changed.body));
      assert.equal((await me(frank.accessToken)).status, 200, 'the session that changed it goes on');
      assert.equal(
        (await call(app, 'POST', '/v1/auth/refresh', { body: { refreshToken: frank.refreshToken } })).status,
        200,
      );
      assertError(await me(other.body.accessToken), 401, 'HESTIA_UNAUTHENTICATED');
      assertError(
        await call(app, 'POST', '/v1/auth/refresh', { body: { refreshToken: other.body.refreshToken } }),
        401,
        'HESTIA_UNAUTHENTICATED',
      );
      assertError(await login(frank.email, PASSWORD), 401, 'HESTIA_BAD_CREDENTIALS');
      assert.equal((await login(frank.email, NEW_PASSWORD)).status, 200);

      const notice = await mailTo(frank.email, /password was changed/);
      assert.equal(notice.subject, 'Your Acme password was changed');
      assert.ok(!notice.text.includes(NEW_PASSWORD));
      assert.doesNotMatch(notice.text, /token=/, 'the notice carries no link');
    });

    it('password reset by a mailed one-time token, through a real SMTP server', TIMEOUT, async () => {
      const grace = await signUp('grace');
      const other = await login(grace.email);
      const stranger = email('nobody-here');
      const unknown = await call(app, 'POST', '/v1/auth/password-reset', {
        body: { email: stranger, tenant: TENANT_SLUG },
      });
      assert.equal(unknown.status, 202, JSON.stringify(unknown.body));
      const known = await call(app, 'POST', '/v1/auth/password-reset', {
        body: { email: grace.email, tenant: TENANT_SLUG },
      });
      assert.equal(known.status, 202);
      assert.deepEqual(known.body, unknown.body, 'the answer does not tell whether the account exists');

      const mail = await mailTo(grace.email, /Reset/);
      assert.equal(mail.subject, 'Reset your Acme password');
      const token = extractToken(mail);
      secrets.add(token);
      // the unknown address was asked first, over the same server: its mail would be here by now
      assert.deepEqual(
        sink.messages().filter((m) => m.to.includes(stranger)),
        [],
      );
      // the token alone does not sign anybody in
      assertError(await me(token), 401, 'HESTIA_UNAUTHENTICATED');

      const confirmed = await call(app, 'POST', '/v1/auth/password-reset/confirm', {
        body: { token, newPassword: NEW_PASSWORD },
      });
      assert.equal(confirmed.status, 204, JSON.stringify(confirmed.body));
      assertError(
        await call(app, 'POST', '/v1/auth/password-reset/confirm', {
          body: { token, newPassword: 'yet another long password' },
        }),
        400,
        'HESTIA_TOKEN_INVALID',
      );
      for (const accessToken of [grace.accessToken, other.body.accessToken as string]) {
        assertError(await me(accessToken), 401, 'HESTIA_UNAUTHENTICATED');
      }
      assertError(
        await call(app, 'POST', '/v1/auth/refresh', { body: { refreshToken: grace.refreshToken } }),
        401,
        'HESTIA_UNAUTHENTICATED',
      );
      assertError(await login(grace.email, PASSWORD), 401, 'HESTIA_BAD_CREDENTIALS');
      // the second confirmation did not set its password either
      assertError(await login(grace.email, 'yet another long password'), 401, 'HESTIA_BAD_CREDENTIALS');
      assert.equal((await login(grace.email, NEW_PASSWORD)).status, 200);
    });

    it(
      'a withdrawn invitation previews as invalid; preview and accept share one per-address limit',
      TIMEOUT,
      async () => {
        const address = email('withdrawn');
        const invited = await call(app, 'POST', `/v1/homes/${app.homeId}/invitations`, {
          body: { email: address, role: 'member' },
          token: app.ownerToken,
        });
        assert.equal(invited.status, 201, JSON.stringify(invited.body));
        const token = extractToken(await mailTo(address, /./));
        secrets.add(token);
        const preview = await call(app, 'POST', '/v1/invitations/preview', { body: { token } });
        assert.equal(preview.status, 200, JSON.stringify(preview.body));
        assert.equal(preview.body.accountExists, false);
        assert.equal(preview.body.role, 'member');
        const withdrawn = await call(
          app,
          'DELETE',
          `/v1/homes/${app.homeId}/invitations/${invited.body.id}`,
          {
            token: app.ownerToken,
          },
        );
        assert.equal(withdrawn.status, 204);
        assertError(
          await call(app, 'POST', '/v1/invitations/preview', { body: { token } }),
          400,
          'HESTIA_TOKEN_INVALID',
        );

        // from one address: previews use up the allowance that accepting draws on, and back
        const fromOneAddress = async (url: string, remoteAddress: string) => {
          const response = await app.hestia.api.inject({
            method: 'POST',
            url,
            remoteAddress,
            payload: { token: 'hin_guessed' },
          });
          return { status: response.statusCode, body: JSON.parse(response.body), headers: response.headers };
        };
        for (const [first, second, remoteAddress] of [
          ['/v1/invitations/preview', '/v1/invitations/accept', '192.0.2.10'],
          ['/v1/invitations/accept', '/v1/invitations/preview', '192.0.2.11'],
        ] as const) {
          for (let attempt = 0; attempt < 10; attempt += 1) {
            const reply = await fromOneAddress(first, remoteAddress);
            assertError(reply, 400, 'HESTIA_TOKEN_INVALID');
          }
          assertError(await fromOneAddress(second, remoteAddress), 429, 'HESTIA_RATE_LIMITED');
        }
        // another address is not held back
        assertError(
          await fromOneAddress('/v1/invitations/preview', '192.0.2.12'),
          400,
          'HESTIA_TOKEN_INVALID',
        );
      },
    );

    it(
      'invitations to the tenant and to a home; a home changes hands; its owner cannot leave',
      TIMEOUT,
      async () => {
        // a tenant admin invites a new person, who chooses a password when accepting
        const invitee = email('invitee');
        const invited = await call(app, 'POST', `/v1/tenants/${app.tenantId}/invitations`, {
          body: { email: invitee, role: 'user' },
          token: app.adminToken,
        });
        assert.equal(invited.status, 201, JSON.stringify(invited.body));
        const admin = (await call(app, 'GET', '/v1/me', { token: app.adminToken })).body.user;
        assert.deepEqual(invited.body.invitedBy, { id: admin.id, name: admin.name, email: admin.email });
        const tenantToken = extractToken(await mailTo(invitee, /invited to Acme/));
        secrets.add(tenantToken);
        // the invitee sees what they are invited to before choosing; reading it audits nothing
        const face = (await call(app, 'GET', `/v1/public/tenants/${TENANT_SLUG}`)).body;
        const auditedBefore = (await auditActions()).length;
        const tenantPreview = await call(app, 'POST', '/v1/invitations/preview', {
          body: { token: tenantToken },
        });
        assert.equal(tenantPreview.status, 200, JSON.stringify(tenantPreview.body));
        assert.deepEqual(tenantPreview.body, {
          email: invitee,
          kind: 'tenant',
          tenantName: face.branding.displayName ?? face.name,
          tenantSlug: TENANT_SLUG,
          homeName: null,
          role: 'user',
          invitedBy: { name: admin.name, email: admin.email },
          expiresAt: invited.body.expiresAt,
          accountExists: false,
          language: null,
        });
        assert.equal(tenantPreview.headers['cache-control'], 'no-store');
        assert.equal((await auditActions()).length, auditedBefore, 'a preview is not audited');
        const joined = await call(app, 'POST', '/v1/invitations/accept', {
          body: { token: tenantToken, password: PASSWORD },
        });
        assert.equal(joined.status, 200, JSON.stringify(joined.body));
        assert.equal(joined.body.homeId, null);
        assert.equal(joined.body.session.user.email, invitee);
        assert.equal(joined.body.session.user.role, 'user');
        assert.equal(joined.body.session.user.tenantId, app.tenantId);
        secrets.add(joined.body.session.accessToken).add(joined.body.session.refreshToken);
        assertError(
          await call(app, 'POST', '/v1/invitations/accept', {
            body: { token: tenantToken, password: PASSWORD },
          }),
          400,
          'HESTIA_TOKEN_INVALID',
        );
        // a used token, or one never issued, previews as it accepts
        for (const token of [tenantToken, 'hin_never_issued']) {
          assertError(
            await call(app, 'POST', '/v1/invitations/preview', { body: { token } }),
            400,
            'HESTIA_TOKEN_INVALID',
          );
        }
        assert.equal((await login(invitee)).status, 200);

        // a home owner invites a person who has an account as a guest
        const hostess = await signUp('hostess');
        const home = await call(app, 'POST', '/v1/homes', {
          body: { name: 'Chalet', timezone: 'Europe/Zurich' },
          token: hostess.accessToken,
        });
        assert.equal(home.status, 201, JSON.stringify(home.body));
        const homeId = home.body.id as string;
        const guest = await signUp('guest');
        const homeInvitation = await call(app, 'POST', `/v1/homes/${homeId}/invitations`, {
          body: { email: guest.email, role: 'guest' },
          token: hostess.accessToken,
        });
        assert.equal(homeInvitation.status, 201, JSON.stringify(homeInvitation.body));
        const byHostess = { id: hostess.id, name: null, email: hostess.email };
        assert.equal(homeInvitation.body.role, 'guest');
        assert.deepEqual(homeInvitation.body.invitedBy, byHostess);
        const listed = await call(app, 'GET', `/v1/homes/${homeId}/invitations`, {
          token: hostess.accessToken,
        });
        assert.equal(listed.status, 200, JSON.stringify(listed.body));
        assert.deepEqual(
          listed.body.items.map((item: { id: string; invitedBy: unknown; role: string }) => [
            item.id,
            item.invitedBy,
            item.role,
          ]),
          [[homeInvitation.body.id, byHostess, 'guest']],
        );
        // a guest-to-be cannot invite people to a home they are not in
        assertError(
          await call(app, 'POST', `/v1/homes/${homeId}/invitations`, {
            body: { email: email('someone'), role: 'member' },
            token: guest.accessToken,
          }),
          404,
          'HESTIA_NOT_FOUND',
        );
        const homeToken = extractToken(await mailTo(guest.email, /Chalet/));
        secrets.add(homeToken);
        const homePreview = await call(app, 'POST', '/v1/invitations/preview', {
          body: { token: homeToken },
        });
        assert.equal(homePreview.status, 200, JSON.stringify(homePreview.body));
        assert.deepEqual(
          {
            kind: homePreview.body.kind,
            homeName: homePreview.body.homeName,
            role: homePreview.body.role,
            invitedBy: homePreview.body.invitedBy,
            accountExists: homePreview.body.accountExists,
          },
          {
            kind: 'home',
            homeName: 'Chalet',
            role: 'guest',
            invitedBy: { name: null, email: hostess.email },
            accountExists: true,
          },
        );
        // the mailed token alone is not enough for an existing account: without a session,
        // sign in (401); signed in as someone else, renewing that session cannot help (403)
        assertError(
          await call(app, 'POST', '/v1/invitations/accept', { body: { token: homeToken }, token: null }),
          401,
          'HESTIA_UNAUTHENTICATED',
        );
        const asOther = await call(app, 'POST', '/v1/invitations/accept', {
          body: { token: homeToken },
          token: joined.body.session.accessToken as string,
        });
        assertError(asOther, 403, 'HESTIA_INVITATION_OTHER_ACCOUNT');
        assert.match(asOther.body.error.message, /sign in as the invited person/);
        assertError(
          await call(app, 'GET', `/v1/homes/${homeId}`, { token: guest.accessToken }),
          404,
          'HESTIA_NOT_FOUND',
        );
        const accepted = await call(app, 'POST', '/v1/invitations/accept', {
          body: { token: homeToken },
          token: guest.accessToken,
        });
        assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
        assert.deepEqual(accepted.body, { homeId, session: null });
        const asGuest = await call(app, 'GET', `/v1/homes/${homeId}`, { token: guest.accessToken });
        assert.equal(asGuest.body.role, 'guest');
        assertError(
          await call(app, 'PATCH', `/v1/homes/${homeId}`, {
            body: { name: 'Mine' },
            token: guest.accessToken,
          }),
          403,
          'HESTIA_FORBIDDEN',
        );
        /** The home's people and their roles, as one of them sees it. */
        const roles = async (token = guest.accessToken) =>
          Object.fromEntries(
            (await call(app, 'GET', `/v1/homes/${homeId}/members`, { token })).body.items.map(
              (m: { userId: string; role: string }) => [m.userId, m.role],
            ),
          );
        assert.deepEqual(await roles(), { [hostess.id]: 'owner', [guest.id]: 'guest' });
        // an invitation accepted is no longer listed, nor previewed
        assert.deepEqual(
          (await call(app, 'GET', `/v1/homes/${homeId}/invitations`, { token: hostess.accessToken })).body
            .items,
          [],
        );
        assertError(
          await call(app, 'POST', '/v1/invitations/preview', { body: { token: homeToken } }),
          400,
          'HESTIA_TOKEN_INVALID',
        );
        // members carry the language each is written to in (null: unset)
        const languages = async () =>
          Object.fromEntries(
            (
              await call(app, 'GET', `/v1/homes/${homeId}/members`, { token: hostess.accessToken })
            ).body.items.map((m: { userId: string; language: string | null }) => [m.userId, m.language]),
          );
        assert.deepEqual(await languages(), { [hostess.id]: null, [guest.id]: null });
        const spoken = await call(app, 'PATCH', '/v1/me', {
          body: { language: 'zh' },
          token: guest.accessToken,
        });
        assert.equal(spoken.status, 200, JSON.stringify(spoken.body));
        assert.deepEqual(await languages(), { [hostess.id]: null, [guest.id]: 'zh' });
        await call(app, 'PATCH', '/v1/me', { body: { language: null }, token: guest.accessToken });

        // the owner promotes the guest, then hands the home over and stays on as a member
        assert.equal(
          (
            await call(app, 'PATCH', `/v1/homes/${homeId}/members/${guest.id}`, {
              body: { role: 'member' },
              token: hostess.accessToken,
            })
          ).status,
          204,
        );
        assertError(
          await call(app, 'POST', `/v1/homes/${homeId}/transfer`, {
            body: { userId: hostess.id },
            token: guest.accessToken,
          }),
          403,
          'HESTIA_FORBIDDEN',
        );
        const transferred = await call(app, 'POST', `/v1/homes/${homeId}/transfer`, {
          body: { userId: guest.id },
          token: hostess.accessToken,
        });
        assert.equal(transferred.status, 204, JSON.stringify(transferred.body));
        assert.deepEqual(await roles(), { [hostess.id]: 'member', [guest.id]: 'owner' });
        assertError(
          await call(app, 'PATCH', `/v1/homes/${homeId}`, {
            body: { name: 'Back' },
            token: hostess.accessToken,
          }),
          403,
          'HESTIA_FORBIDDEN',
        );
        const renamed = await call(app, 'PATCH', `/v1/homes/${homeId}`, {
          body: { name: 'Chalet Neuf' },
          token: guest.accessToken,
        });
        assert.equal(renamed.body.name, 'Chalet Neuf');
        // A location is set, kept at the equator and prime meridian (0 is a place), and cleared with null.
        for (const [latitude, longitude] of [
          [46.2, 7.1],
          [0, 0],
          [null, null],
        ] as const) {
          const located = await call(app, 'PATCH', `/v1/homes/${homeId}`, {
            body: { latitude, longitude },
            token: guest.accessToken,
          });
          assert.equal(located.status, 200, JSON.stringify(located.body));
          assert.deepEqual([located.body.latitude, located.body.longitude], [latitude, longitude]);
        }
        assertError(
          await call(app, 'PATCH', `/v1/homes/${homeId}`, {
            body: { latitude: 91 },
            token: guest.accessToken,
          }),
          400,
          'HESTIA_VALIDATION_FAILED',
        );

        // the owner cannot leave; a member can
        assertError(
          await call(app, 'DELETE', `/v1/homes/${homeId}/members/${guest.id}`, { token: guest.accessToken }),
          409,
          'HESTIA_CONFLICT',
        );
        const left = await call(app, 'DELETE', `/v1/homes/${homeId}/members/${hostess.id}`, {
          token: hostess.accessToken,
        });
        assert.equal(left.status, 204);
        assert.deepEqual(await roles(), { [guest.id]: 'owner' });
        const actions = new Set((await auditActions()).map((e) => e.action));
        for (const action of [
          'user.invited',
          'user.joined',
          'home.member_invited',
          'home.member_joined',
          'home.member_role_changed',
          'home.ownership_transferred',
          'home.member_removed',
        ]) {
          assert.ok(actions.has(action), `audit has ${action}`);
        }
      },
    );

    it(
      "a platform admin's suspension shuts the tenant out, gateways included, until resumed",
      TIMEOUT,
      async (t) => {
        // whatever fails here, the tests after this one need the tenant active
        t.after(() => app.hestia.ctx.store.directory.setTenantStatus(app.tenantId, 'active', Date.now()));
        const rootEmail = email('root');
        await app.hestia.services.accounts.createUser({
          tenantId: null,
          email: rootEmail,
          password: PASSWORD,
          name: null,
          role: 'platform_admin',
        });
        const root = (await login(rootEmail, PASSWORD, null)).body.accessToken as string;
        assert.ok(root);
        const gateway = await app.createGateway(`suspended-gw-${backend.tag}`);
        secrets.add(gateway.token);
        const client = await app.connectGateway(gateway);
        const key = await call(app, 'POST', `/v1/tenants/${app.tenantId}/api-keys`, {
          body: { name: 'backend', scopes: ['users:read'] },
          token: app.adminToken,
        });
        secrets.add(key.body.key);
        const users = () => call(app, 'GET', `/v1/tenants/${app.tenantId}/users`, { token: key.body.key });
        assert.equal((await users()).status, 200);

        // a tenant's own admin cannot suspend it
        assertError(
          await call(app, 'POST', `/v1/tenants/${app.tenantId}/suspend`, { token: app.adminToken }),
          403,
          'HESTIA_FORBIDDEN',
        );
        const closed = closesWithin(client, 'the gateway session of a suspended tenant');
        const suspended = await call(app, 'POST', `/v1/tenants/${app.tenantId}/suspend`, { token: root });
        assert.equal(suspended.status, 200, JSON.stringify(suspended.body));
        assert.equal(suspended.body.status, 'suspended');
        await closed;

        for (const token of [app.adminToken, app.ownerToken]) {
          assertError(await me(token), 401, 'HESTIA_UNAUTHENTICATED');
        }
        assertError(await users(), 401, 'HESTIA_UNAUTHENTICATED');
        assertError(await login(ADMIN_EMAIL, ADMIN_PASSWORD), 403, 'HESTIA_TENANT_SUSPENDED');
        assertError(
          await call(app, 'POST', '/v1/auth/signup', {
            body: { tenant: TENANT_SLUG, email: email('during-suspension'), password: PASSWORD },
          }),
          403,
          'HESTIA_TENANT_SUSPENDED',
        );
        const mqttLogin = { clientId: gateway.id, username: gateway.id, password: gateway.token };
        assert.equal(await refusedCode(app.mqttUrl, mqttLogin), 5, 'CONNACK 5: not authorized');
        // another tenant goes on
        assert.equal((await me(betaAdminToken)).status, 200);
        assert.equal((await login(email('admin-beta'), PASSWORD, 'beta')).status, 200);

        const resumed = await call(app, 'POST', `/v1/tenants/${app.tenantId}/resume`, { token: root });
        assert.equal(resumed.status, 200, JSON.stringify(resumed.body));
        assert.equal(resumed.body.status, 'active');
        assert.equal((await me(app.adminToken)).status, 200);
        assert.equal((await users()).status, 200);
        assert.equal((await login(ADMIN_EMAIL, ADMIN_PASSWORD)).status, 200);
        assert.equal(await refusedCode(app.mqttUrl, mqttLogin), undefined, 'the gateway connects again');
        const actions = (await auditActions()).map((e) => e.action);
        assert.ok(actions.includes('tenant.suspended') && actions.includes('tenant.resumed'));
      },
    );

    it(
      'API keys: shown once, listed without the key, limited to their scopes, dead once revoked',
      TIMEOUT,
      async () => {
        const created = await call(app, 'POST', `/v1/tenants/${app.tenantId}/api-keys`, {
          body: { name: 'crm sync', scopes: ['users:read'] },
          token: app.adminToken,
        });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        assert.equal(created.headers['cache-control'], 'no-store');
        const key = created.body.key as string;
        secrets.add(key);
        assert.match(key, /^hak_/);
        assert.deepEqual(created.body.apiKey.scopes, ['users:read']);

        const listed = await call(app, 'GET', `/v1/tenants/${app.tenantId}/api-keys`, {
          token: app.adminToken,
        });
        assert.equal(listed.status, 200);
        assert.ok(listed.body.items.some((k: { id: string }) => k.id === created.body.apiKey.id));
        assert.ok(!JSON.stringify(listed.body).includes(key), 'the list does not show the key');
        assert.ok(!JSON.stringify(listed.body).includes(sha256(key)), 'nor its digest');

        const users = await call(app, 'GET', `/v1/tenants/${app.tenantId}/users`, { token: key });
        assert.equal(users.status, 200, JSON.stringify(users.body));
        assert.ok(users.body.items.some((u: { email: string }) => u.email === ADMIN_EMAIL));
        assert.ok(!JSON.stringify(users.body).includes('scrypt$'), 'no password hash in the list');
        // other scopes, other routes
        assertError(
          await call(app, 'GET', `/v1/tenants/${app.tenantId}/audit`, { token: key }),
          403,
          'HESTIA_FORBIDDEN',
        );
        assertError(await call(app, 'GET', '/v1/gateways', { token: key }), 403, 'HESTIA_FORBIDDEN');
        assertError(
          await call(app, 'POST', `/v1/tenants/${app.tenantId}/api-keys`, {
            body: { name: 'more', scopes: ['users:read'] },
            token: key,
          }),
          403,
          'HESTIA_FORBIDDEN',
        );
        // another tenant's people are not found
        assertError(
          await call(app, 'GET', `/v1/tenants/${betaTenantId}/users`, { token: key }),
          404,
          'HESTIA_NOT_FOUND',
        );
        // people of the tenant cannot make keys
        assertError(
          await call(app, 'POST', `/v1/tenants/${app.tenantId}/api-keys`, {
            body: { name: 'mine', scopes: ['users:read'] },
            token: app.ownerToken,
          }),
          403,
          'HESTIA_FORBIDDEN',
        );

        const revoked = await call(
          app,
          'DELETE',
          `/v1/tenants/${app.tenantId}/api-keys/${created.body.apiKey.id}`,
          {
            token: app.adminToken,
          },
        );
        assert.equal(revoked.status, 204);
        assertError(
          await call(app, 'GET', `/v1/tenants/${app.tenantId}/users`, { token: key }),
          401,
          'HESTIA_UNAUTHENTICATED',
        );
        const relisted = await call(app, 'GET', `/v1/tenants/${app.tenantId}/api-keys`, {
          token: app.adminToken,
        });
        const entry = relisted.body.items.find((k: { id: string }) => k.id === created.body.apiKey.id);
        assert.ok(entry.revokedAt);
        assert.ok(entry.lastUsedAt, 'the use is recorded');
      },
    );

    it(
      'an API key with users:write invites people, but cannot make itself a tenant admin that way',
      TIMEOUT,
      async () => {
        const created = await call(app, 'POST', `/v1/tenants/${app.tenantId}/api-keys`, {
          body: { name: 'directory sync', scopes: ['users:write'] },
          token: app.adminToken,
        });
        assert.equal(created.status, 201);
        const key = created.body.key as string;
        secrets.add(key);
        const asUser = await call(app, 'POST', `/v1/tenants/${app.tenantId}/invitations`, {
          body: { email: email('synced-user'), role: 'user' },
          token: key,
        });
        assert.equal(asUser.status, 201, JSON.stringify(asUser.body));
        assert.equal(asUser.body.invitedBy, null, 'an API key is no one to name');
        const mailbox = email('key-made-admin');
        const asAdmin = await call(app, 'POST', `/v1/tenants/${app.tenantId}/invitations`, {
          body: { email: mailbox, role: 'tenant_admin' },
          token: key,
        });
        if (asAdmin.status === 201) {
          // show what the invitation gives whoever reads that mailbox
          const token = extractToken(await mailTo(mailbox, /invited to Acme/));
          secrets.add(token);
          const joined = await call(app, 'POST', '/v1/invitations/accept', {
            body: { token, password: PASSWORD },
          });
          secrets.add(joined.body.session.accessToken).add(joined.body.session.refreshToken);
          const minted = await call(app, 'POST', `/v1/tenants/${app.tenantId}/api-keys`, {
            body: { name: 'minted', scopes: ['audit:read'] },
            token: joined.body.session.accessToken,
          });
          if (minted.status === 201) secrets.add(minted.body.key);
          assert.fail(
            `a users:write key invited a tenant admin (role ${joined.body.session.user.role}), ` +
              `who minted an API key (${minted.status})`,
          );
        }
        assertError(asAdmin, 403, 'HESTIA_FORBIDDEN');
      },
    );

    it(
      'the audit log: what happened, filterable, for tenant admins only, without secrets',
      TIMEOUT,
      async () => {
        // actions not made by the tests above: a role change, a gateway's rotation and data deletion
        const promoted = await signUp('promoted');
        const roleChange = await call(app, 'PATCH', `/v1/tenants/${app.tenantId}/users/${promoted.id}`, {
          body: { role: 'tenant_admin' },
          token: app.adminToken,
        });
        assert.equal(roleChange.status, 200, JSON.stringify(roleChange.body));
        assert.equal(roleChange.body.role, 'tenant_admin');
        const gateway = await app.createGateway(`audited-gw-${backend.tag}`);
        secrets.add(gateway.token);
        const client = await app.connectGateway(gateway);
        const seed = await seedMessages();
        await client.publishAsync(
          `hestia/v1/gw/${gateway.id}/up`,
          JSON.stringify({ ...seed.sensorData, gatewayId: gateway.id, deviceId: `audited-${backend.tag}` }),
          { qos: 1 },
        );
        await client.endAsync();
        const rotated = await call(app, 'POST', `/v1/gateways/${gateway.id}/credentials/rotate`, {
          token: app.adminToken,
        });
        assert.equal(rotated.status, 200);
        secrets.add(rotated.body.token);
        const removed = await call(
          app,
          'DELETE',
          `/v1/homes/${app.homeId}/gateways/${gateway.id}?confirm=${gateway.id}`,
          { token: app.ownerToken },
        );
        assert.equal(removed.status, 200, JSON.stringify(removed.body));
        assert.deepEqual(removed.body.deleted, { devices: 1, readings: 1 });

        const entries = await auditActions();
        const actions = new Set(entries.map((e) => e.action));
        for (const action of [
          'auth.login',
          'auth.login_failed',
          'user.signed_up',
          'gateway.registered',
          'user.role_changed',
          'gateway.credentials_rotated',
          'data.deleted',
        ]) {
          assert.ok(actions.has(action), `audit has ${action}`);
        }
        const deletion = entries.find((e) => e.action === 'data.deleted' && e.targetId === gateway.id);
        assert.deepEqual(deletion?.detail, { devices: 1, readings: 1 });

        const filtered = await auditActions('user.role_changed');
        assert.ok(filtered.length >= 1);
        assert.ok(filtered.every((e) => e.action === 'user.role_changed'));
        const change = filtered.find((e) => e.targetId === promoted.id);
        assert.deepEqual(change?.detail, { from: 'user', to: 'tenant_admin' });
        assert.equal(change?.actorId, (await me(app.adminToken)).body.user.id);

        const person = await signUp('curious');
        assertError(
          await call(app, 'GET', `/v1/tenants/${app.tenantId}/audit`, { token: person.accessToken }),
          403,
          'HESTIA_FORBIDDEN',
        );
        assertError(
          await call(app, 'GET', `/v1/tenants/${app.tenantId}/audit`, { token: betaAdminToken }),
          404,
          'HESTIA_NOT_FOUND',
        );
        // the other tenant's log has its own entries and none of this one's
        const beta = await call(app, 'GET', `/v1/tenants/${betaTenantId}/audit?limit=1000`, {
          token: betaAdminToken,
        });
        assert.equal(beta.status, 200);
        assert.ok(beta.body.items.length > 0);
        assert.ok(beta.body.items.every((e: { tenantId: string }) => e.tenantId === betaTenantId));

        // every entry of every tenant, read from the store, holds none of the secrets seen here
        const everything = JSON.stringify(
          await app.hestia.ctx.store.directory.listAudit({ tenantId: undefined, limit: 100_000 }),
        );
        assert.ok(everything.includes(gateway.id), 'the dump is the audit log');
        assert.ok(secrets.size > 20, `${secrets.size} secrets collected`);
        for (const secret of secrets) {
          assert.ok(!everything.includes(secret), `the audit log holds the secret ${secret.slice(0, 6)}…`);
        }
      },
    );
  });
}

accountsSuite(SQLITE);

await onPostgres('accounts', () => accountsSuite(POSTGRES));
