import { typed, type Migration } from './migration.ts';

/**
 * Migration 5, languages: the language a person reads Hestia in ('en', 'zh'; null: the
 * provider's default, English), the one an invitation was mailed in, the catalogue key and
 * parameters of a notification request (rendered per person on delivery), and the language a
 * delivery was decided in. Every column may be null, so rows written before stay valid: a
 * request without a message is sent with its own title and body.
 */
export const languages: Migration = {
  version: 5,
  name: 'languages',
  sql: (dialect) => typed(dialect, SQL),
};

const SQL = `
ALTER TABLE users ADD COLUMN language {text};
ALTER TABLE invitations ADD COLUMN language {text};
ALTER TABLE notification_requests ADD COLUMN message {text};
ALTER TABLE notification_deliveries ADD COLUMN language {text};
`;
