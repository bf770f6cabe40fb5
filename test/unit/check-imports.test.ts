import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkGraph, moduleGraph } from '../../scripts/check-imports.ts';

const graphOf = (edges: Record<string, string[]>): Map<string, string[]> => new Map(Object.entries(edges));

describe('the import check (npm run check:imports)', () => {
  it('passes on src/ as it is', () => {
    assert.deepEqual(checkGraph(moduleGraph()), []);
  });

  it('refuses an import that points up a layer', () => {
    const problems = checkGraph(
      graphOf({ 'core/bus.ts': ['store/sqlite/sqlite-store.ts'], 'store/sqlite/sqlite-store.ts': [] }),
    );
    assert.equal(problems.length, 1);
    assert.match(
      problems[0]!,
      /src\/core\/bus\.ts \(core\) imports src\/store\/sqlite\/sqlite-store\.ts \(adapters\)/,
    );
  });

  it('refuses an adapter importing another adapter, allows importing core and lower layers', () => {
    const problems = checkGraph(
      graphOf({
        'store/open-store.ts': ['mail/smtp-mailer.ts', 'core/config.ts'],
        'mail/smtp-mailer.ts': [],
        'core/config.ts': [],
        'api/server.ts': ['services/index.ts', 'core/config.ts'],
        'services/index.ts': ['ingest/topics.ts'],
        'ingest/topics.ts': [],
      }),
    );
    assert.deepEqual(problems.length, 1);
    assert.match(problems[0]!, /open-store\.ts \(store\) imports src\/mail\/smtp-mailer\.ts \(mail\)/);
  });

  it('refuses services, ingest or api importing an adapter; app.ts and the cli compose them', () => {
    const problems = checkGraph(
      graphOf({
        'services/notifications/notifications.ts': ['push/fcm.ts'],
        'push/fcm.ts': ['core/ports/notification-provider.ts'],
        'core/ports/notification-provider.ts': [],
        'app.ts': ['push/fcm.ts', 'store/open-store.ts'],
        'store/open-store.ts': [],
      }),
    );
    assert.equal(problems.length, 1);
    assert.match(
      problems[0]!,
      /notifications\.ts \(services\) imports src\/push\/fcm\.ts \(the push adapter\)/,
    );
  });

  it('names a cycle as a path that ends where it starts', () => {
    const problems = checkGraph(
      graphOf({
        'services/a.ts': ['services/b.ts'],
        'services/b.ts': ['services/c.ts'],
        'services/c.ts': ['services/a.ts'],
      }),
    );
    assert.deepEqual(problems, [
      'import cycle: src/services/a.ts → src/services/b.ts → src/services/c.ts → src/services/a.ts',
    ]);
  });

  it('refuses a file in no known layer', () => {
    assert.throws(() => checkGraph(graphOf({ 'misc/x.ts': [] })), /in no layer/);
  });
});
