/** Linux signal and capability names, as the engine accepts them. */

const standardSignals = [
  "HUP",
  "INT",
  "QUIT",
  "ILL",
  "TRAP",
  "ABRT",
  "IOT",
  "BUS",
  "FPE",
  "KILL",
  "USR1",
  "SEGV",
  "USR2",
  "PIPE",
  "ALRM",
  "TERM",
  "STKFLT",
  "CHLD",
  "CLD",
  "CONT",
  "STOP",
  "TSTP",
  "TTIN",
  "TTOU",
  "URG",
  "XCPU",
  "XFSZ",
  "VTALRM",
  "PROF",
  "WINCH",
  "IO",
  "POLL",
  "PWR",
  "SYS",
];

/** Real-time signals: RTMIN, RTMIN+1..15, RTMAX-14..1, RTMAX (signals 34 to 64). */
const realtimeSignals = [
  "RTMIN",
  ...Array.from({ length: 15 }, (_, i) => `RTMIN+${i + 1}`),
  ...Array.from({ length: 14 }, (_, i) => `RTMAX-${14 - i}`),
  "RTMAX",
];

const signalNames = new Set([...standardSignals, ...realtimeSignals]);
const maxSignalNumber = 64;

/**
 * The canonical form of a signal (`SIGTERM`, or a number such as `15`), or undefined when it
 * is not a Linux signal. Accepts names with or without `SIG`, in any case.
 */
export function normalizeSignal(raw: string): string | undefined {
  const trimmed = raw.trim();
  if (/^\d+$/.test(trimmed)) {
    const number = Number(trimmed);
    return number >= 1 && number <= maxSignalNumber ? String(number) : undefined;
  }
  const name = trimmed.toUpperCase().replace(/^SIG/, "");
  return signalNames.has(name) ? `SIG${name}` : undefined;
}

/** Every Linux capability up to kernel 5.9, without the `CAP_` prefix. */
export const linuxCapabilities: ReadonlySet<string> = new Set([
  "CHOWN",
  "DAC_OVERRIDE",
  "DAC_READ_SEARCH",
  "FOWNER",
  "FSETID",
  "KILL",
  "SETGID",
  "SETUID",
  "SETPCAP",
  "LINUX_IMMUTABLE",
  "NET_BIND_SERVICE",
  "NET_BROADCAST",
  "NET_ADMIN",
  "NET_RAW",
  "IPC_LOCK",
  "IPC_OWNER",
  "SYS_MODULE",
  "SYS_RAWIO",
  "SYS_CHROOT",
  "SYS_PTRACE",
  "SYS_PACCT",
  "SYS_ADMIN",
  "SYS_BOOT",
  "SYS_NICE",
  "SYS_RESOURCE",
  "SYS_TIME",
  "SYS_TTY_CONFIG",
  "MKNOD",
  "LEASE",
  "AUDIT_WRITE",
  "AUDIT_CONTROL",
  "SETFCAP",
  "MAC_OVERRIDE",
  "MAC_ADMIN",
  "SYSLOG",
  "WAKE_ALARM",
  "BLOCK_SUSPEND",
  "AUDIT_READ",
  "PERFMON",
  "BPF",
  "CHECKPOINT_RESTORE",
]);

/** `ALL` stands for every capability, in the engine's `CapAdd` as in dockhand's config. */
export const allCapabilities = "ALL";

/**
 * The canonical form of a capability (`NET_ADMIN`, or `ALL`), or undefined when it is not one.
 * Accepts names with or without `CAP_`, in any case.
 */
export function normalizeCapability(raw: string): string | undefined {
  const name = raw.trim().toUpperCase().replace(/^CAP_/, "");
  return name === allCapabilities || linuxCapabilities.has(name) ? name : undefined;
}
