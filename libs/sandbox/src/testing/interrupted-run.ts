// Started by the sandbox tests as a separate process: begins a long sandboxed run with a
// neighbour, prints the cgroup run directory, and waits to be interrupted.
import { runSandboxed } from '../run-sandboxed';

const run = runSandboxed({
  command: process.execPath,
  args: ['-e', 'setTimeout(() => {}, 60_000)'],
  profile: { name: 'interrupted', description: '', container: { cpu: 4 }, neighbours: { count: 1, cpu: 1024 } },
  sampleIntervalMs: 50,
});
setTimeout(() => console.log('ready'), 500);
await run;
