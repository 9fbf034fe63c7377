/**
 * The floor: bare `node:http` answering the admin message with no framework and no token check,
 * so the table shows how much of every other contender's time is HTTP itself.
 */
import { createServer } from 'node:http';
import { MESSAGES, printPort } from './messages.mjs';

const body = JSON.stringify({ text: MESSAGES.adminMessage });
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.listen(0, '127.0.0.1', () => printPort(server));
