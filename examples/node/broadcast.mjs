// The tutorials' broadcast server with the `ws` package, as the benchmark
// runs it beside wshub: every message, unchanged, to every open client.
//
//   npm install && node broadcast.mjs 3000
import { WebSocketServer, WebSocket } from 'ws';

const port = Number(process.argv[2] ?? process.env.PORT ?? 3000);
const wss = new WebSocketServer({ host: '127.0.0.1', port });

wss.on('connection', (ws) => {
  ws.on('error', console.error);
  ws.on('message', (data, isBinary) => {
    wss.clients.forEach((c) => c.readyState === WebSocket.OPEN && c.send(data, { binary: isBinary }));
  });
});

wss.on('listening', () => console.log(`ws broadcast server on ws://127.0.0.1:${port}`));
