import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';

/** Linux /proc readings for the benchmark: process CPU time and RSS, machine-wide CPU use. */

let ticksPerSecond: number | undefined;

/** USER_HZ, the unit of the CPU times in /proc (100 on practically every Linux). */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100; // getconf missing: Linux's USER_HZ is 100 on every common architecture
    }
  }
  return ticksPerSecond;
}

/** User + system CPU seconds a process has used; null once it is gone. */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces (proc(5)).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond(); // utime, stime
  } catch {
    return null; // the process has exited: callers treat it as "no reading"
  }
}

/** Resident set size in MiB; null once the process is gone. */
export function processRssMb(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null; // the process has exited
  }
}

/** Machine-wide CPU time (all cores) from /proc/stat, in ticks. */
export function machineCpuTicks(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const values = line.trim().split(/\s+/).slice(1).map(Number);
    const total = values.reduce((sum, v) => sum + v, 0);
    const idle = (values[3] ?? 0) + (values[4] ?? 0); // idle + iowait
    return { busy: total - idle, total };
  } catch {
    return null; // not Linux
  }
}

/** CPU use between two readings, as % of one core (200 % = both cores of a 2-core machine). */
export function cpuPercent(
  beforeSeconds: number | null,
  afterSeconds: number | null,
  elapsedMs: number,
): number | null {
  if (beforeSeconds === null || afterSeconds === null || elapsedMs <= 0) return null;
  return Math.round(((afterSeconds - beforeSeconds) * 100_000) / elapsedMs);
}

/** Peak and latest RSS of a process, sampled on a timer. */
export class RssSampler {
  peakMb = 0;
  lastMb: number | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    intervalMs = 250,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  sample(): void {
    const rss = processRssMb(this.pid);
    if (rss === null) return;
    this.lastMb = rss;
    this.peakMb = Math.max(this.peakMb, rss);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on the port. */
export async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
