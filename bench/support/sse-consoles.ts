// Open consoles for the console bench, in a child process (their memory and
// event loop are not the app's): N event-stream connections to one board, and
// how long a change takes to reach all of them.
import http from 'node:http';
import { performance } from 'node:perf_hooks';

type Command = { type: 'open'; url: string; cookie: string; count: number } | { type: 'mark' } | { type: 'close' };

const connections: { events: number; request: http.ClientRequest }[] = [];
let waiting: { since: number; base: number[]; arrived: (number | undefined)[] } | null = null;

const send = (message: unknown) => process.send!(message);

function onEvent(index: number) {
  const connection = connections[index]!;
  connection.events++;
  if (!opened) {
    if (connections.length === expected && connections.every((c) => c.events > 0)) {
      opened = true;
      send({ type: 'opened' });
    }
    return;
  }
  if (waiting && waiting.arrived[index] === undefined && connection.events > waiting.base[index]!) {
    waiting.arrived[index] = performance.now() - waiting.since;
    if (waiting.arrived.every((ms) => ms !== undefined)) {
      send({ type: 'arrived', latenciesMs: waiting.arrived });
      waiting = null;
    }
  }
}

let opened = false;
let expected = 0;

process.on('message', (command: Command) => {
  if (command.type === 'open') {
    expected = command.count;
    for (let i = 0; i < command.count; i++) {
      const index = i;
      const request = http.get(command.url, { headers: { cookie: command.cookie, accept: 'text/event-stream' }, agent: false }, (response) => {
        let buffer = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const message = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (/^event: ?fragments$/m.test(message)) onEvent(index);
          }
        });
      });
      connections.push({ events: 0, request });
    }
  } else if (command.type === 'mark') {
    waiting = { since: performance.now(), base: connections.map((c) => c.events), arrived: connections.map(() => undefined) };
    send({ type: 'marked' });
  } else {
    for (const connection of connections) connection.request.destroy();
    process.exit(0);
  }
});
