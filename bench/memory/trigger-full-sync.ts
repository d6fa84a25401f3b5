// Asks a listening worker for one UpdateAll and waits for the run to end; exits 0 when it
// completed. Clinic.js runs it through --on-port (profile-worker.ts), with CLINIC_TRIGGER_TOKEN.
//
//   node --import tsx bench/memory/trigger-full-sync.ts <port>
import { WorkerClient } from '../harness/worker-client';

const port = Number(process.argv[2]);
const token = process.env['CLINIC_TRIGGER_TOKEN'];
if (!Number.isInteger(port) || port < 1 || !token) {
  console.error('usage: CLINIC_TRIGGER_TOKEN=<the worker’s CONTROL_TOKEN> node --import tsx bench/memory/trigger-full-sync.ts <port>');
  process.exit(2);
}
const client = new WorkerClient({ baseUrl: `http://127.0.0.1:${port}`, controlToken: token });
const runId = await client.startUpdateAll();
const { status } = await client.waitForRun(runId, { pollIntervalMs: 200 });
console.error(`run ${runId}: ${status}`);
process.exitCode = status === 'completed' ? 0 : 1;
