import type { Chooser } from './chooser';
import type { PhaseClock } from './phase-clock';

/**
 * Stalls of this process's event loop: a synchronous busy-wait of 1–3 s, so that leases and
 * queue locks held here expire mid-target. Only a writer in another process (a CLI run) can
 * take a lease over meanwhile, so stalls favour the moments when one runs. The phase is
 * extended by the time stalled.
 */
export class EventLoopStalls {
  /** Where each stall happened and how long it lasted. */
  readonly stalls: string[] = [];

  constructor(
    private left: number,
    private readonly choose: Chooser,
    private readonly clock: PhaseClock,
    /** Whether a CLI run is up and taking leases. */
    private readonly cliLive: () => boolean,
    private readonly log: (line: string) => void,
  ) {}

  /** Stalls here, now, or not, at random; returns the busy-wait's spins when it stalled. */
  maybeStall(where: string): number | undefined {
    if (this.left <= 0 || !this.clock.running || this.choose.random() >= (this.cliLive() ? 0.6 : 0.05)) return;
    this.left--;
    const ms = this.choose.between([1_000, 3_000]);
    this.stalls.push(`${where} ${ms} ms`);
    this.log(`  stall ${ms} ms in ${where}${this.cliLive() ? ' while a CLI runs' : ''}`);
    const until = Date.now() + ms;
    let spins = 0;
    while (Date.now() < until) spins++;
    this.clock.extend(ms);
    return spins;
  }
}
