// SPDX-License-Identifier: Apache-2.0
/**
 * An SMTP server to run inside a network namespace (`node dist/test/netns/smtp-sink.js ADDR`): it
 * prints `listening PORT`, then one JSON line per message received (test/fakes/smtp-sink.ts), so a
 * netns test can compare what lvsd and keepalived mail.
 */
import { SmtpSink } from '../fakes/smtp-sink.js';

const host = process.argv[2] ?? '127.0.0.1';
const sink = new SmtpSink();
let seen = 0;
const port = await sink.listen(host);
process.stdout.write(`listening ${port}\n`);
setInterval(() => {
  for (; seen < sink.messages.length; seen++)
    process.stdout.write(`${JSON.stringify(sink.messages[seen])}\n`);
}, 20);
