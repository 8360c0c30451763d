#!/usr/bin/env node
// A real SMTP server (nodemailer's smtp-server) on loopback for the mail integration tests.
//
//   node tests/tools/smtp-sink.mjs --dir DIR [--port 0] [--auth user:pass] [--fail-first N]
//
// Prints "SMTP_PORT=<port>" on stderr once it listens (port 0 = any). Every accepted message is
// written to DIR/<n>.eml (n = 1, 2, ...) after the whole DATA arrived, so a file that exists is
// complete. Plain SMTP without TLS (loopback only). --fail-first N answers 451 to the first N
// messages (a transient failure the sender must retry).
import fs from 'node:fs';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
};
const dir = opt('dir', null);
if (!dir) {
  console.error('--dir is required');
  process.exit(2);
}
const auth = opt('auth', '');
let failFirst = Number(opt('fail-first', '0'));
let count = 0;

const server = new SMTPServer({
  secure: false,
  disabledCommands: auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
  authOptional: !auth,
  allowInsecureAuth: true,
  logger: false,
  size: 10 * 1024 * 1024,
  onAuth(a, session, cb) {
    const [u, p] = auth.split(':');
    if (a.username === u && a.password === p) return cb(null, { user: u });
    return cb(new Error('invalid credentials'));
  },
  onData(stream, session, cb) {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => {
      if (failFirst > 0) {
        failFirst -= 1;
        const err = new Error('try again later');
        err.responseCode = 451;
        return cb(err);
      }
      count += 1;
      const n = count;
      const tmp = path.join(dir, `.${n}.tmp`);
      const rcpt = session.envelope.rcptTo.map((r) => r.address).join(',');
      fs.writeFileSync(tmp, `X-Envelope-To: ${rcpt}\r\n` + Buffer.concat(chunks).toString('utf8'));
      fs.renameSync(tmp, path.join(dir, `${n}.eml`));
      cb();
    });
  },
});
server.on('error', (e) => console.error('smtp-sink:', e.message));
server.listen(Number(opt('port', '0')), '127.0.0.1', () => {
  process.stderr.write(`SMTP_PORT=${server.server.address().port}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
