// Another process's memory and CPU from /proc (Linux): VmRSS, VmHWM (its peak RSS so far)
// and user + system CPU. Read while the process is alive; both vanish when it exits.
import { readFileSync } from 'node:fs';

/** Kernel clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on every Linux Node runs on). */
const TICKS_PER_SECOND = 100;

export interface ProcSnapshot {
  readonly rssKib: number;
  readonly peakRssKib: number;
  readonly cpuSeconds: number;
  readonly threads: number;
}

export function readProc(pid: number): ProcSnapshot {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status);
    if (!match) throw new Error(`/proc/${pid}/status has no ${name}`);
    return Number(match[1]);
  };
  // Fields after the command name, which sits in parentheses and may hold spaces.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat(5); `after` starts at field 3.
  const cpuTicks = Number(after[11]) + Number(after[12]);
  return { rssKib: field('VmRSS'), peakRssKib: field('VmHWM'), cpuSeconds: cpuTicks / TICKS_PER_SECOND, threads: field('Threads') };
}
