// CPU time per process from Linux's /proc (utime + stime of every thread, in ms), for the load test and the benchmarks.
// Elsewhere (no /proc) every reading is undefined and the benchmark prints "n/a".
import { readFileSync, readdirSync } from "node:fs";

/** USER_HZ: the unit of /proc/<pid>/stat's times. 100 on every Linux that Node supports. */
const TICKS_PER_SECOND = 100;
/** The resolution of a reading, ms. */
export const CPU_TICK_MS = 1000 / TICKS_PER_SECOND;

export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  pgrp: number;
  /** utime + stime, all threads, ms. */
  cpuMs: number;
}

/** /proc/<pid>/stat, or undefined when the process is gone (or not on Linux). */
export function procStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = text.lastIndexOf(")");
    const fields = text.slice(close + 2).split(" "); // fields[0] is field 3, the state
    return {
      pid,
      comm: text.slice(text.indexOf("(") + 1, close),
      state: fields[0] ?? "",
      ppid: Number(fields[1]),
      pgrp: Number(fields[2]),
      cpuMs: ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND,
    };
  } catch {
    return undefined;
  }
}

/** The command line of a process, arguments joined by spaces ("" when gone). */
export function procCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
  } catch {
    return "";
  }
}

/** Every process /proc lists, or none where there is no /proc. */
export function listProcesses(): ProcStat[] {
  let entries: string[] = [];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  const processes: ProcStat[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat) processes.push(stat);
  }
  return processes;
}

/** Live (non-zombie) processes of a process group. */
export function processGroup(pgid: number): ProcStat[] {
  return listProcesses().filter((stat) => stat.pgrp === pgid && stat.state !== "Z");
}

/** This process's own CPU time (all threads), ms. */
export function ownCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}
