/**
 * The floor: bare `node:http` answering the admin message with no framework and no token check,
 * so the table shows how much of every other contender's time is HTTP itself. Prints its port.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MessageText } from '../../src/graphql/resolvers.js';

const body = JSON.stringify({ text: MessageText.admin });

const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
