// Asks a listening worker for one UpdateAll and waits for the run to end; exits 0 when it
// completed. Clinic.js runs it through --on-port (profile-worker.ts), with CLINIC_TRIGGER_TOKEN.
//
//   node --import tsx bench/memory/trigger-full-sync.ts <port>
import { setTimeout as sleep } from 'node:timers/promises';

const port = Number(process.argv[2]);
const token = process.env['CLINIC_TRIGGER_TOKEN'];
if (!Number.isInteger(port) || port < 1 || !token) {
  console.error('usage: CLINIC_TRIGGER_TOKEN=<the worker’s CONTROL_TOKEN> node --import tsx bench/memory/trigger-full-sync.ts <port>');
  process.exit(2);
}
const base = `http://127.0.0.1:${port}`;
const auth = { authorization: `Bearer ${token}` };
const answer = await fetch(`${base}/update-all`, { method: 'POST', headers: auth });
if (answer.status !== 202) throw new Error(`POST /update-all answered ${answer.status}: ${await answer.text()}`);
const { runId } = (await answer.json()) as { runId: string };
let status = 'running';
while (status === 'running') {
  await sleep(200);
  status = ((await (await fetch(`${base}/runs/${runId}`, { headers: auth })).json()) as { status: string }).status;
}
console.error(`run ${runId}: ${status}`);
process.exitCode = status === 'completed' ? 0 : 1;
