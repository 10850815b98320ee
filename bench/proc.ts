/** CPU and memory of a process from /proc: utime+stime deltas, VmRSS, VmHWM (peak, resettable). */
import { readFileSync, writeFileSync } from "node:fs";

const CLK_TCK = (() => {
  const r = Bun.spawnSync(["getconf", "CLK_TCK"], { stdout: "pipe", stderr: "ignore" });
  const n = Number(r.stdout.toString().trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

/** utime + stime of all the process's threads, in clock ticks. */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // fields[0] is field 3 (state)
  return Number(fields[11]) + Number(fields[12]);
}

/** VmRSS and VmHWM in MiB. */
export function memory(pid: number): { rssMiB: number; peakMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rssMiB: kib("VmRSS") / 1024, peakMiB: kib("VmHWM") / 1024 };
}

/** Resets VmHWM to the current RSS (needs root or the same user); false when not allowed. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/** Busy ticks of the whole machine (all cores) from /proc/stat: user, nice, system, irq, softirq, steal. */
export function machineBusyTicks(): number {
  const f = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  return f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!;
}

/** This process plus its reaped children (the load generator once it exited). */
function selfTicks(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
}

const ticksOr0 = (pid: number) => {
  try {
    return cpuTicks(pid);
  } catch {
    return 0;
  }
};

export interface Sample {
  /** CPU of `pid`, 100 = one core. */
  cpuPct: number;
  peakRssMiB: number;
  peakReset: boolean;
  /** CPU used by processes that are not part of the bench (other work on the machine): noise. */
  otherCpuPct: number;
}

/**
 * Starts a window on `pid` (the measured process); `ours` are other live bench processes (the fake
 * upstream). Call the result after the load generator exited, so its time is in our children's.
 */
export function startSample(pid: number, ours: number[] = []): () => Sample {
  const peakReset = resetPeak(pid);
  const pids = [...new Set([pid, ...ours])];
  const own0 = pids.reduce((sum, p) => sum + ticksOr0(p), 0) + selfTicks();
  const machine0 = machineBusyTicks();
  const ticks0 = cpuTicks(pid);
  const t0 = performance.now();
  return () => {
    const seconds = (performance.now() - t0) / 1000;
    const pct = (ticks: number) => (ticks / CLK_TCK / seconds) * 100;
    const own = pids.reduce((sum, p) => sum + ticksOr0(p), 0) + selfTicks() - own0;
    return {
      cpuPct: pct(cpuTicks(pid) - ticks0),
      peakRssMiB: memory(pid).peakMiB,
      peakReset,
      otherCpuPct: Math.max(0, pct(machineBusyTicks() - machine0 - own)),
    };
  };
}
