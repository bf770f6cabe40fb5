/**
 * The one catalogue of Hestia's error codes. Every error that leaves the process
 * (API response, dead-letter record, CLI message) carries one of these codes.
 * Codes are never reused for a different meaning.
 */
export const ErrorCatalogue = {
  // configuration
  HESTIA_CONFIG_INVALID: { status: 500, message: 'Configuration is invalid' },
  // HTTP / API
  HESTIA_BAD_REQUEST: { status: 400, message: 'The request is malformed' },
  HESTIA_VALIDATION_FAILED: { status: 400, message: 'The request does not match the schema' },
  HESTIA_UNAUTHENTICATED: { status: 401, message: 'A valid bearer token is required' },
  HESTIA_BAD_CREDENTIALS: { status: 401, message: 'Email or password is wrong' },
  HESTIA_FORBIDDEN: { status: 403, message: 'Your role does not allow this action' },
  HESTIA_NOT_FOUND: { status: 404, message: 'No such object' },
  HESTIA_CONFLICT: { status: 409, message: 'The object already exists' },
  HESTIA_PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large' },
  HESTIA_CONFIRMATION_REQUIRED: {
    status: 409,
    message: 'This deletes data: repeat the request with the confirmation it names',
  },
  HESTIA_CSV_INVALID: { status: 400, message: 'The CSV file has errors; nothing was imported' },
  // accounts
  HESTIA_LOGIN_LOCKED: { status: 429, message: 'Too many failed logins: try again later' },
  HESTIA_TENANT_SUSPENDED: { status: 403, message: 'This service provider is suspended' },
  HESTIA_ACCOUNT_DISABLED: { status: 403, message: 'This account is disabled' },
  HESTIA_SIGNUP_CLOSED: { status: 403, message: 'Sign-up is by invitation only' },
  HESTIA_TOKEN_INVALID: { status: 400, message: 'The token is unknown, used or expired' },
  HESTIA_INVITATION_OTHER_ACCOUNT: {
    status: 403,
    message: 'This invitation is for another account: sign in as the invited person',
  },
  HESTIA_CLAIM_FAILED: {
    status: 404,
    message: 'No pending gateway with this serial and claim code',
  },
  HESTIA_RATE_LIMITED: { status: 429, message: 'Too many requests' },
  // tariffs
  HESTIA_TARIFF_LIMIT: {
    status: 409,
    message: 'The home has reached a limit of its tariff: ask the service provider for another tariff',
  },
  // commands
  HESTIA_COMMAND_UNSUPPORTED: {
    status: 422,
    message: "The device does not support this command (see its channels' capabilities)",
  },
  HESTIA_GATEWAY_OFFLINE: {
    status: 409,
    message: 'The gateway is offline: send the command with whenOffline "queue" to deliver it on reconnect',
  },
  HESTIA_IDEMPOTENCY_MISMATCH: {
    status: 409,
    message: 'This idempotency key was used for a different command',
  },
  HESTIA_DEVICE_REMOVED: {
    status: 409,
    message: 'The device was removed from its gateway, or its gateway from its home',
  },
  // alarms
  HESTIA_ALARM_CLEARED: { status: 409, message: 'The alarm is already cleared' },
  // notifications
  HESTIA_PROVIDER_NOT_CONFIGURED: {
    status: 409,
    message: 'The service provider has not configured this notification channel',
  },
  // automations
  HESTIA_AUTOMATION_INVALID: { status: 400, message: 'The automation is not valid' },
  HESTIA_AUTOMATION_LIMIT: {
    status: 409,
    message: 'The home has reached its limit of automations or scenes',
  },
  // cameras and media servers
  HESTIA_MEDIA_NO_SERVER: {
    status: 503,
    message: 'No healthy media server can take this stream now: ask again later',
  },
  HESTIA_MEDIA_SERVER_IN_USE: {
    status: 409,
    message: 'Archive files still lie on this media server: drain it and let retention empty it first',
  },
  HESTIA_NOT_A_CAMERA: { status: 422, message: 'This device is not a camera' },
  HESTIA_PLAYBACK_URL_INVALID: { status: 403, message: 'The playback URL is not valid' },
  HESTIA_PLAYBACK_URL_EXPIRED: { status: 410, message: 'The playback URL has expired: ask for a new one' },
  HESTIA_NOTHING_RECORDED: { status: 404, message: 'Nothing was recorded in this time range' },
  HESTIA_NOT_STREAMING: { status: 409, message: 'The camera is not streaming now' },
  HESTIA_SCHEMA_TOO_NEW: {
    status: 500,
    message:
      'The database was migrated by a newer Hestia: run that version, or restore a backup from before the upgrade',
  },
  HESTIA_INTERNAL: { status: 500, message: 'Internal error' },
  HESTIA_UNAVAILABLE: { status: 503, message: 'Service is not ready' },
  // mail
  HESTIA_MAIL_FAILED: { status: 502, message: 'The mail could not be delivered' },
  // ingest (dead-letter reasons)
  HESTIA_INGEST_INVALID_JSON: { status: 400, message: 'Payload is not valid JSON' },
  HESTIA_INGEST_SCHEMA: { status: 400, message: 'Message does not match the uplink schema' },
  HESTIA_INGEST_NOT_NUMERIC: { status: 400, message: 'Value is not numeric for a numeric label' },
  HESTIA_INGEST_TIMESTAMP_RANGE: { status: 400, message: 'Timestamp is in the far future or before 2000' },
  HESTIA_INGEST_TOO_LARGE: { status: 413, message: 'Payload exceeds the size limit' },
  HESTIA_INGEST_TOO_MANY_MESSAGES: { status: 413, message: 'Too many messages in one payload' },
  HESTIA_INGEST_GATEWAY_MISMATCH: {
    status: 403,
    message: 'Payload gatewayId is not the authenticated gateway',
  },
  HESTIA_INGEST_DEVICE_FOREIGN: { status: 403, message: 'Device belongs to another gateway' },
  HESTIA_INGEST_DEVICE_LIMIT: { status: 429, message: 'Gateway has reached its device limit' },
  HESTIA_INGEST_TARIFF_LIMIT: { status: 403, message: "Not allowed by the home's tariff" },
  HESTIA_INGEST_UNKNOWN_TOPIC: { status: 400, message: 'Topic is not part of the uplink contract' },
  HESTIA_INGEST_UNKNOWN_COMMAND: {
    status: 404,
    message: 'commandResult for a command this gateway was not sent',
  },
  HESTIA_MQTT_MALFORMED_PACKET: { status: 400, message: 'MQTT packet is malformed' },
  HESTIA_MQTT_PACKET_TOO_LARGE: { status: 413, message: 'MQTT packet exceeds the hard size limit' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ErrorCatalogue;

/** An error with a catalogue code; converted to `{ error: { code, message } }` at the API boundary. */
export class HestiaError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;

  constructor(code: ErrorCode, message?: string, details?: unknown) {
    super(message ?? ErrorCatalogue[code].message);
    this.name = 'HestiaError';
    this.code = code;
    this.status = ErrorCatalogue[code].status;
    this.details = details;
  }
}

export function isHestiaError(error: unknown): error is HestiaError {
  return error instanceof HestiaError;
}
