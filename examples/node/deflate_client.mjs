// An echo round trip with permessage-deflate, as `ws` does it: connects to
// the URL given, sends a large and a small text message and a binary one,
// checks each echo, and prints the extension the server agreed to. The
// interop test (tests/deflate_interop.rs) runs it against wshub --deflate.
//
//   npm install && node deflate_client.mjs ws://127.0.0.1:3000
import { WebSocket } from 'ws';

const url = process.argv[2];
const large = JSON.stringify(Array.from({ length: 100 }, (_, i) => ({ id: i, text: `message ${i}` })));
const sent = [large, 'small', Buffer.from(large)];
const ws = new WebSocket(url, { perMessageDeflate: { threshold: 0 } });
const fail = (why) => { console.error(why); process.exit(1); };
setTimeout(() => fail('timed out'), 10000).unref();
ws.on('error', (e) => fail(`error: ${e.message}`));
ws.on('open', () => {
  console.log(`extensions: ${ws.extensions}`);
  for (const m of sent) ws.send(m);
});
let got = 0;
ws.on('message', (data, isBinary) => {
  const expected = sent[got++];
  const same = Buffer.isBuffer(expected) ? isBinary && data.equals(expected) : !isBinary && data.toString() === expected;
  if (!same) fail(`echo ${got} differs`);
  if (got === sent.length) { console.log('ok'); ws.close(); }
});
