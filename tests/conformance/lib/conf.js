// conf.js: the Bun half of the conformance suite's trace format (the C half is conf.h).
//
// One line per handler call, "<stream> <event> [args]", on stdout; only stable facts (no ports,
// timings or addresses that change). Bytes are quoted as in conf.h: printable ASCII as is, '"',
// '\' and everything else as \xNN. Text after " # " is a comment the comparison ignores.

export function say(...parts) {
  console.log(parts.join(" "));
}

export function quote(bytes) {
  const b = typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes;
  let out = "";
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c) out += String.fromCharCode(c);
    else out += "\\x" + c.toString(16).padStart(2, "0");
  }
  return '"' + out + '"';
}

// `<who> data "<bytes>"`
export function sayData(who, bytes) {
  say(who, "data", quote(bytes));
}

// `<who> <event>` or `<who> <event> <error.code> <error.syscall>`
export function sayErr(who, event, e) {
  if (e === undefined || e === null) say(who, event);
  else say(who, event, e.code ?? "?", e.syscall ?? "-");
}

// `<who> <what> -> <n>`
export function sayRc(who, what, rc) {
  say(who, what, "->", String(rc));
  return rc;
}

const STATES = { 2: "connecting(2)", 1: "open(1)", 0: "closing(0)", [-2]: "write_shut(-2)", [-1]: "closed(-1)" };
export function stateName(st) {
  return STATES[st] ?? `unknown(${st})`;
}

// xorshift32 words, little-endian: conf.h's pattern() makes the same bytes.
export function pattern(len, seed) {
  const words = new Uint32Array(Math.ceil(len / 4));
  let x = seed >>> 0;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    words[i] = x;
  }
  return new Uint8Array(words.buffer, 0, len);
}

export function sha256() {
  return new Bun.CryptoHasher("sha256");
}

// A global deadline (the runner has its own, longer one); "main done" when the process ends
// because nothing keeps the event loop alive any more (as bun_tcp_run returns in conf.h).
export function init(seconds = 20) {
  setTimeout(() => {
    say("main TIMEOUT");
    process.exit(3);
  }, seconds * 1000).unref();
  process.on("exit", code => {
    if (code === 0) say("main done");
  });
}

// Bun.connect returns a promise that rejects when the connect fails; connectError already
// reported it, so the rejection is only swallowed here.
export function connect(opts) {
  const p = Bun.connect(opts);
  p.catch(() => {});
  return p;
}
