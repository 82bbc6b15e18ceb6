/**
 * The sandbox worker thread (plain JavaScript, started with `eval: true` so the same source runs from
 * the TypeScript sources in tests and from the build). It compiles the QuickJS WebAssembly module
 * once and runs one piece of code at a time, each in a fresh QuickJS runtime and context, inside a
 * WebAssembly instance whose memory is capped at the run's limit; nothing a run leaves reaches the
 * next (see finish).
 *
 * Limits: memory through the instance's capped WebAssembly memory (and QuickJS's memory limit for
 * single allocations); the CPU limit through the interrupt handler, which QuickJS calls regularly while code runs and which
 * stops the code once the time spent inside QuickJS passes the limit (time waiting for host calls
 * does not count). The stop is uncatchable by the code.
 *
 * Host calls leave as messages to the main thread (`call`), which answers (`reply`) with JSON text;
 * the guest sees a promise that is settled when the answer comes.
 *
 * Messages in: `run`, `reply`. Out: `ready`, `call`, `log`, `done` (with `recycle` when this worker
 * must not run anything else: the main thread then replaces it).
 */
export const workerSource = String.raw`
"use strict";
const { parentPort, workerData } = require("node:worker_threads");
const { performance } = require("node:perf_hooks");
const { readFileSync } = require("node:fs");
const { newQuickJSWASMModuleFromVariant, newVariant, RELEASE_SYNC } = require(workerData.quickjs);
const { guestPrelude, maxStackBytes, maxLogLines, maxLogLineChars, maxCallsInFlight, maxResultChars } = workerData;

// Compiled once per worker; instantiated once per run.
const wasmModule = new WebAssembly.Module(readFileSync(workerData.wasm));
const pageBytes = 65536;
const basePages = workerData.baseMemoryBytes / pageBytes;

// A WebAssembly instance whose memory is capped at the engine's base plus the run's limit: QuickJS's
// own memory limit cannot count what it allocates (this build has no malloc_usable_size, so it only
// refuses single allocations larger than the limit); the capped WebAssembly memory is what bounds
// the sum. Dropping an instance frees everything allocated in it at once.
const instantiate = (memoryBytes) => {
  const memory = new WebAssembly.Memory({ initial: basePages, maximum: basePages + Math.ceil(memoryBytes / pageBytes) });
  return newQuickJSWASMModuleFromVariant(newVariant(RELEASE_SYNC, { wasmModule, wasmMemory: memory })).then((quickjs) => ({ quickjs, memory, runs: 0 }));
};

// The engine failing (a WebAssembly trap) with its memory at the cap is the code's memory use.
const engineFailure = (state, error) => {
  const atCap = state.memory !== undefined && state.memory.buffer.byteLength + pageBytes > workerData.baseMemoryBytes + state.limits.memoryBytes;
  if (atCap) return "memory limit exceeded (" + Math.round(state.limits.memoryBytes / 1048576) + " MiB)";
  return "the sandbox failed: " + (error && error.message);
};

// The instance for the next run is made while the worker waits, for the limit the last run had.
let prepared;
const prepare = (memoryBytes) => {
  const module = instantiate(memoryBytes);
  module.catch(() => {});
  prepared = { memoryBytes, module };
};

let current; // the run in progress, if any

const start = async () => {
  prepare(workerData.defaultMemoryBytes);
  await prepared.module;
  parentPort.on("message", (message) => {
    if (message.type === "run") {
      run(message).catch((error) => {
        parentPort.postMessage({ type: "done", runId: message.runId, logsDropped: 0, recycle: true, ok: false, reason: "the sandbox failed: " + (error && error.message) });
      });
    } else if (message.type === "reply") reply(message);
  });
  parentPort.postMessage({ type: "ready" });
};

const run = async (message) => {
  const { runId, js, contextJson, limits } = message;
  const instance = prepared !== undefined && prepared.memoryBytes === limits.memoryBytes ? await prepared.module : await instantiate(limits.memoryBytes);
  prepared = undefined;
  instance.runs++;
  const { quickjs, memory } = instance;
  const runtime = quickjs.newRuntime();
  runtime.setMemoryLimit(limits.memoryBytes);
  runtime.setMaxStackSize(maxStackBytes);
  const state = {
    runId, js, runtime, instance, memory, context: undefined, limits,
    cpuUsed: 0, segmentStart: 0, inGuest: false, interrupted: false,
    calls: new Map(), nextCallId: 1, logLines: 0, logsDropped: 0,
    promise: undefined, internals: undefined, finished: false, limitHit: false
  };
  current = state;
  runtime.setInterruptHandler(() => {
    if (state.interrupted) return true;
    if (!state.inGuest) return false;
    if (state.cpuUsed + (performance.now() - state.segmentStart) > limits.cpuMillis) {
      state.interrupted = true;
      return true;
    }
    return false;
  });
  try {
    state.context = runtime.newContext();
    begin(state, js, contextJson);
  } catch (error) {
    finish(state, { ok: false, reason: error && error.reported ? error.message : engineFailure(state, error) });
    return;
  }
  settle(state);
};

// Time spent inside QuickJS counts against the CPU limit.
const inGuest = (state, fn) => {
  state.segmentStart = performance.now();
  state.inGuest = true;
  try {
    return fn();
  } finally {
    state.inGuest = false;
    state.cpuUsed += performance.now() - state.segmentStart;
  }
};

const begin = (state, js, contextJson) => {
  const vm = state.context;
  const hostCall = vm.newFunction("call", (nameHandle, argsHandle) => {
    const deferred = vm.newPromise();
    const name = vm.typeof(nameHandle) === "string" ? vm.getString(nameHandle) : "";
    const args = vm.typeof(argsHandle) === "string" ? vm.getString(argsHandle) : "[]";
    if (state.calls.size >= maxCallsInFlight) {
      const error = vm.newError("too many sdk calls waiting at once (at most " + maxCallsInFlight + ")");
      deferred.reject(error);
      error.dispose();
    } else {
      const callId = state.nextCallId++;
      state.calls.set(callId, deferred);
      parentPort.postMessage({ type: "call", runId: state.runId, callId, name, args });
    }
    return deferred.handle;
  });
  const hostLog = vm.newFunction("log", (levelHandle, messageHandle) => {
    if (state.logLines >= maxLogLines) { state.logsDropped++; return; }
    state.logLines++;
    const level = vm.getString(levelHandle);
    let text = vm.typeof(messageHandle) === "string" ? vm.getString(messageHandle) : "";
    if (text.length > maxLogLineChars) text = text.slice(0, maxLogLineChars) + "… (cut at " + maxLogLineChars + " characters)";
    parentPort.postMessage({ type: "log", runId: state.runId, level, message: text, at: Date.now() });
  });

  const prelude = vm.unwrapResult(vm.evalCode(guestPrelude, "prelude.js"));
  const internals = vm.unwrapResult(vm.callFunction(prelude, vm.undefined, hostCall, hostLog));
  prelude.dispose();
  hostCall.dispose();
  hostLog.dispose();
  state.internals = internals;

  // The context is parsed by the guest's own JSON.parse before any of the code has run.
  const contextText = vm.newString(contextJson);
  const parse = vm.getProp(vm.global, "JSON").consume((json) => vm.getProp(json, "parse"));
  const contextValue = vm.unwrapResult(vm.callFunction(parse, vm.undefined, contextText));
  parse.dispose();
  contextText.dispose();

  const defined = inGuest(state, () => vm.evalCode(js + "\n;execute", "code.js"));
  if (defined.error) {
    const reason = describe(state, defined.error);
    defined.error.dispose();
    contextValue.dispose();
    throw Object.assign(new Error(reason), { reported: true });
  }
  const execute = defined.value;
  const started = inGuest(state, () => vm.callFunction(execute, vm.undefined, contextValue));
  execute.dispose();
  contextValue.dispose();
  if (started.error) {
    const reason = describe(state, started.error);
    started.error.dispose();
    throw Object.assign(new Error(reason), { reported: true });
  }
  state.promise = started.value;
};

// The reason a run failed, in words: a limit, or what the code threw. Reading the thrown value runs
// code of the guest (getters, toJSON), so it counts against the CPU limit like the rest.
const describe = (state, errorHandle) => {
  const cpuReason = () => "CPU time limit exceeded (" + state.limits.cpuMillis + " ms)";
  if (state.interrupted) return cpuReason();
  const vm = state.context;
  let dumped;
  try {
    // dump disposes a handle to a promise it is given (and only then): it gets a copy.
    const copy = errorHandle.dup();
    try {
      dumped = inGuest(state, () => vm.dump(copy));
    } finally {
      if (copy.alive) copy.dispose();
    }
  } catch {
    dumped = undefined;
  }
  if (state.interrupted) return cpuReason();
  const message = dumped && typeof dumped === "object" ? String(dumped.message) : String(dumped);
  if (/out of memory/i.test(message)) {
    state.limitHit = true;
    return "memory limit exceeded (" + Math.round(state.limits.memoryBytes / 1048576) + " MiB)";
  }
  if (/stack overflow/i.test(message)) {
    state.limitHit = true;
    return "stack overflow (the code recursed too deep)";
  }
  try {
    const describeFn = vm.getProp(state.internals, "describe");
    const described = inGuest(state, () => vm.callFunction(describeFn, vm.undefined, errorHandle));
    describeFn.dispose();
    if (state.interrupted) {
      (described.value || described.error).dispose();
      return cpuReason();
    }
    if (described.value) {
      const text = described.value.consume((handle) => (vm.typeof(handle) === "string" ? vm.getString(handle) : "threw a value"));
      const line = bodyLine(state, errorHandle);
      return line === undefined ? text : text + " (line " + line + ")";
    }
    described.error.dispose();
  } catch {}
  return "threw a value that cannot be shown";
};

// The line of the body where an error was thrown: the first frame of the code in its stack (QuickJS
// writes "code.js:<line>:<column>"), less the wrapper's line; through the source map for TypeScript.
const bodyLine = (state, errorHandle) => {
  const vm = state.context;
  try {
    if (vm.typeof(errorHandle) !== "object") return undefined;
    const stack = inGuest(state, () => vm.getProp(errorHandle, "stack"));
    const text = stack.consume((handle) => (vm.typeof(handle) === "string" ? vm.getString(handle) : ""));
    const frame = /code\.js:(\d+)(?::(\d+))?/.exec(text);
    if (frame === null) return undefined;
    const line = Number(frame[1]);
    const column = frame[2] === undefined ? 1 : Number(frame[2]);
    const map = /\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+\/=]+)\s*$/.exec(state.js);
    const original = map === null ? line : originalLine(JSON.parse(Buffer.from(map[1], "base64").toString("utf8")).mappings, line, column);
    return original === undefined || original - 1 < 1 ? undefined : original - 1;
  } catch {
    return undefined;
  }
};

const base64Digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const decodeVlq = (segment) => {
  const fields = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = base64Digits.indexOf(char);
    value += (digit & 31) << shift;
    if (digit & 32) shift += 5;
    else {
      fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return fields;
};

// Source map v3: the original line (1-based) of the last mapping at or before the generated
// position, or the line's first mapping.
const originalLine = (mappings, line, column) => {
  const lines = mappings.split(";");
  let sourceLine = 0;
  let found;
  for (let index = 0; index < lines.length && index < line; index++) {
    let generatedColumn = 0;
    for (const segment of lines[index].split(",")) {
      if (segment === "") continue;
      const fields = decodeVlq(segment);
      generatedColumn += fields[0];
      if (fields.length < 4) continue;
      sourceLine += fields[2];
      if (index === line - 1 && (found === undefined || generatedColumn <= column - 1)) found = sourceLine + 1;
    }
  }
  return found;
};

// Runs what is due inside QuickJS, then looks at the code's promise: settled ends the run; pending
// with nothing left to run and no host call outstanding never settles.
const settle = (state) => {
  if (state.finished) return;
  const vm = state.context;
  try {
    const jobs = inGuest(state, () => state.runtime.executePendingJobs());
    if (jobs.error) {
      const reason = describe(state, jobs.error);
      jobs.error.dispose();
      return finish(state, { ok: false, reason });
    }
    if (state.interrupted) return finish(state, { ok: false, reason: "CPU time limit exceeded (" + state.limits.cpuMillis + " ms)" });
    const promiseState = vm.getPromiseState(state.promise);
    if (promiseState.type === "fulfilled") {
      const finishFn = vm.getProp(state.internals, "finish");
      const text = inGuest(state, () => vm.callFunction(finishFn, vm.undefined, promiseState.value));
      finishFn.dispose();
      promiseState.value.dispose();
      if (text.error) {
        const reason = describe(state, text.error);
        text.error.dispose();
        return finish(state, { ok: false, reason: state.interrupted || state.limitHit ? reason : "the result is not JSON: " + reason.replace(/^TypeError: /, "") });
      }
      const json = text.value.consume((handle) => vm.getString(handle));
      if (json.length > maxResultChars) {
        return finish(state, { ok: false, reason: "the result is too large (" + json.length + " characters of JSON; at most " + maxResultChars + ")" });
      }
      return finish(state, { ok: true, resultJson: json });
    }
    if (promiseState.type === "rejected") {
      const reason = describe(state, promiseState.error);
      promiseState.error.dispose();
      return finish(state, { ok: false, reason });
    }
    if (state.calls.size === 0 && !state.runtime.hasPendingJob()) {
      return finish(state, { ok: false, reason: "the code waits for a promise that is never settled" });
    }
  } catch (error) {
    finish(state, { ok: false, reason: engineFailure(state, error) });
  }
};

const reply = (message) => {
  const state = current;
  if (state === undefined || state.finished || message.runId !== state.runId) return;
  const deferred = state.calls.get(message.callId);
  if (deferred === undefined) return;
  state.calls.delete(message.callId);
  const vm = state.context;
  try {
    if (message.ok) {
      const value = message.json === undefined ? vm.undefined : vm.newString(message.json);
      deferred.resolve(value);
      if (message.json !== undefined) value.dispose();
    } else {
      const error = vm.newError(String(message.message));
      deferred.reject(error);
      error.dispose();
    }
    deferred.dispose();
  } catch (error) {
    return finish(state, { ok: false, reason: engineFailure(state, error) });
  }
  settle(state);
};

// A run that ended without hitting a limit has its QuickJS runtime and context disposed, which gives
// all its memory back to the instance's allocator; the instance then serves the next run (with a new
// runtime and context), up to runsPerInstance runs. A run stopped by a limit may leave QuickJS
// mid-way, and freeing a heap filled to its limit object by object takes long: its instance is
// dropped whole instead (see instantiate), as is one whose disposal fails. A failure of the sandbox
// itself (not of the code) replaces this worker too.
const runsPerInstance = 100;
const finish = (state, outcome) => {
  if (state.finished) return;
  state.finished = true;
  current = undefined;
  const recycle = !outcome.ok && /^the sandbox failed/.test(outcome.reason);
  let reusable = !recycle && !state.interrupted && !state.limitHit && state.instance.runs < runsPerInstance;
  if (reusable) {
    try {
      for (const deferred of state.calls.values()) deferred.dispose();
      state.calls.clear();
      if (state.promise !== undefined && state.promise.alive) state.promise.dispose();
      if (state.internals !== undefined && state.internals.alive) state.internals.dispose();
      if (state.context !== undefined) state.context.dispose();
      state.runtime.dispose();
    } catch (error) {
      reusable = false;
    }
  }
  parentPort.postMessage(Object.assign({ type: "done", runId: state.runId, logsDropped: state.logsDropped, recycle }, outcome));
  if (recycle) return;
  if (reusable) prepared = { memoryBytes: state.limits.memoryBytes, module: Promise.resolve(state.instance) };
  else prepare(state.limits.memoryBytes);
};

start().catch((error) => {
  parentPort.postMessage({ type: "startFailed", message: String(error && error.message) });
});
`
