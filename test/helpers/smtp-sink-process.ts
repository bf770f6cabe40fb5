/**
 * A real SMTP server (smtp-server, from nodemailer's author) that accepts every mail and reports it
 * as JSON lines on stdout. Runs as its own process so the mailer under test talks to it over TCP
 * exactly as it would to a production server.
 *
 *   node --import tsx test/helpers/smtp-sink-process.ts [port]
 *
 * stdout: `{"event":"listening","port":N}` once, then `{"event":"message","from","to","raw"}` per mail.
 * Stops on SIGTERM or when stdin ends (so run it by hand without `< /dev/null`).
 */
import { SMTPServer } from 'smtp-server';

const requestedPort = Number(process.argv[2] ?? '0');
if (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65535) {
  process.stderr.write(`smtp-sink: not a port: ${process.argv[2]}\n`);
  process.exit(2);
}

function report(line: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(line) + '\n');
}

const server = new SMTPServer({
  authOptional: true,
  // plain TCP only: the sink has no certificate, and a client must not upgrade half-way
  disabledCommands: ['STARTTLS'],
  // mailers configured with credentials must work too; the sink accepts any
  allowInsecureAuth: true,
  onAuth: (auth, _session, callback) => callback(null, { user: auth.username ?? 'anonymous' }),
  logger: false,
  // the default of 30 s would hold SIGTERM while a pooled client keeps its connection open
  closeTimeout: 500,
  onData: (stream, session, callback) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('error', (error) => callback(error));
    stream.once('end', () => {
      const mailFrom = session.envelope.mailFrom;
      report({
        event: 'message',
        from: mailFrom === false ? '' : mailFrom.address,
        to: session.envelope.rcptTo.map((recipient) => recipient.address),
        // nodemailer sends 7-bit encoded parts; utf8 also keeps an 8BITMIME body readable
        raw: Buffer.concat(chunks).toString('utf8'),
      });
      callback();
    });
  },
});

server.on('error', (error) => {
  process.stderr.write(`smtp-sink: ${error.stack ?? error.message}\n`);
  process.exit(1);
});

server.listen(requestedPort, '127.0.0.1', () => {
  const address = server.server.address();
  if (address === null || typeof address === 'string') {
    process.stderr.write('smtp-sink: listening on an unexpected address\n');
    process.exit(1);
  }
  report({ event: 'listening', port: address.port });
});

let closing = false;
function shutdown(): void {
  if (closing) return;
  closing = true;
  server.close(() => {
    // let the last message lines reach the parent before exiting
    process.stdout.write('', () => process.exit(0));
  });
}

process.once('SIGTERM', shutdown);
// stdin closes when the parent dies, even by SIGKILL: an orphaned sink must not keep its port
process.stdin.once('end', shutdown);
process.stdin.resume();
