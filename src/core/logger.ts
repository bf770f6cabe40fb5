import pino, { type Logger } from 'pino';

/** JSON logs (pino). Secrets never reach them: these paths are redacted wherever they appear. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'hestia' },
      redact: {
        paths: [
          'password',
          'token',
          '*.password',
          '*.token',
          'req.headers.authorization',
          'headers.authorization',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
