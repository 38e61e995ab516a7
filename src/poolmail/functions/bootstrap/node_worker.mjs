// poolmail's worker for Lambda Node.js runtimes: runs one function's handler, one
// invocation at a time, for the parent (poolmail/functions/worker.py) over the socket whose
// descriptor is argv[2]. Frames are a 4-byte big-endian length and UTF-8 JSON. The handler
// contract is Lambda's: CommonJS or ES module, async or callback style, console lines
// written as Lambda's runtime writes them.

import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import util from "node:util";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const [fdText, taskRoot, handlerString, parentText] = process.argv.slice(2);
const parent = Number(parentText);
const channel = new net.Socket({ fd: Number(fdText), readable: true, writable: true });

// Without its parent, nobody will ever ask this worker for anything: go.
setInterval(() => {
  if (process.ppid !== parent) process.exit(0);
}, 500).unref();

let current = null; // { requestId, finish } while an invocation runs

function send(message, then) {
  const body = Buffer.from(JSON.stringify(message));
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length);
  channel.write(Buffer.concat([header, body]), then);
}

function write(level, args) {
  const requestId = current ? current.requestId : "undefined";
  const text = util.format(...args);
  process.stdout.write(`${new Date().toISOString()}\t${requestId}\t${level}\t${text}\n`);
}
console.log = (...args) => write("INFO", args);
console.info = (...args) => write("INFO", args);
console.warn = (...args) => write("WARN", args);
console.error = (...args) => write("ERROR", args);
console.debug = (...args) => write("DEBUG", args);
console.trace = (...args) => write("TRACE", args);

function errorPayload(error) {
  // As Lambda's runtime reports it: name and message of an Error, else its type and text.
  try {
    if (util.types.isNativeError(error) || error instanceof Error) {
      return {
        errorType: String(error.name),
        errorMessage: String(error.message),
        trace: String(error.stack || "").split("\n"),
      };
    }
    return { errorType: typeof error, errorMessage: String(error), trace: [] };
  } catch {
    return {
      errorType: "handled",
      errorMessage:
        "callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack",
      trace: [],
    };
  }
}

class LoadError extends Error {
  constructor(errorType, message) {
    super(message);
    this.payload = { errorType, errorMessage: message, trace: [] };
  }
}

function packageType(directory) {
  for (let dir = directory; ; dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (fs.existsSync(file)) {
      try {
        return JSON.parse(fs.readFileSync(file, "utf8")).type || "commonjs";
      } catch {
        return "commonjs";
      }
    }
    if (path.dirname(dir) === dir) return "commonjs";
  }
}

async function load() {
  // "dir/module.a.b": the module is up to the first dot after the last slash.
  const slash = handlerString.lastIndexOf("/") + 1;
  const dot = handlerString.indexOf(".", slash);
  const moduleName = handlerString.slice(0, dot);
  const handlerPath = handlerString.slice(dot + 1);
  const base = path.resolve(taskRoot, moduleName);
  let loaded;
  try {
    const found = [".js", ".mjs", ".cjs"].map((ext) => base + ext).find((f) => fs.existsSync(f));
    const require = createRequire(path.join(taskRoot, "index.js"));
    if (found === undefined) {
      loaded = require(moduleName.startsWith(".") ? base : moduleName);
    } else if (found.endsWith(".mjs") || (found.endsWith(".js") && packageType(path.dirname(found)) === "module")) {
      loaded = await import(pathToFileURL(found).href);
    } else {
      loaded = require(found);
    }
  } catch (error) {
    if (error && error.name === "SyntaxError") {
      throw new LoadError("Runtime.UserCodeSyntaxError", `${error.name}: ${error.message}`);
    }
    if (error && (error.code === "MODULE_NOT_FOUND" || error.code === "ERR_MODULE_NOT_FOUND")) {
      throw new LoadError("Runtime.ImportModuleError", `Error: ${error.message}`);
    }
    throw error;
  }
  let handler = loaded;
  for (const part of handlerPath.split(".")) {
    handler = handler == null ? undefined : handler[part];
  }
  if (handler === undefined && loaded && loaded.default) {
    handler = loaded.default;
    for (const part of handlerPath.split(".")) {
      handler = handler == null ? undefined : handler[part];
    }
  }
  if (handler === undefined) {
    throw new LoadError("Runtime.HandlerNotFound", `${moduleName}.${handlerPath} is undefined or not exported`);
  }
  if (typeof handler !== "function") {
    throw new LoadError("Runtime.HandlerNotFound", `${moduleName}.${handlerPath} is not a function`);
  }
  return handler;
}

function invoke(handler, request) {
  const requestId = request.context.aws_request_id;
  const baseline = process.getActiveResourcesInfo().length;
  let done = false;
  const finish = (error, result) => {
    if (done) return;
    done = true;
    current = null;
    if (error !== undefined && error !== null) {
      const payload = errorPayload(error);
      process.stdout.write(
        `${new Date().toISOString()}\t${requestId}\tERROR\tInvoke Error \t${JSON.stringify(payload)}\n`,
      );
      send({ error: payload });
      return;
    }
    let body;
    try {
      body = JSON.parse(JSON.stringify(result === undefined ? null : result) ?? "null");
    } catch (failure) {
      send({
        error: { errorType: "Runtime.MarshalError", errorMessage: `Unable to stringify response body: ${failure.message}`, trace: [] },
      });
      return;
    }
    send({ result: body });
  };
  current = { requestId, finish };
  const context = {
    awsRequestId: requestId,
    functionName: request.context.function_name,
    functionVersion: request.context.function_version,
    invokedFunctionArn: request.context.invoked_function_arn,
    memoryLimitInMB: request.context.memory_limit_in_mb,
    logGroupName: request.context.log_group_name,
    logStreamName: request.context.log_stream_name,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(Math.floor(request.deadline_ms - Date.now()), 0),
    succeed: (result) => finish(null, result),
    fail: (error) => finish(error ?? "handled"),
    done: (error, result) => finish(error, result),
  };
  let returned;
  try {
    returned = handler(request.event, context, (error, result) => finish(error, result));
  } catch (error) {
    finish(error);
    return;
  }
  if (returned && typeof returned.then === "function") {
    returned.then(
      (result) => finish(null, result),
      (error) => finish(error ?? new Error("undefined")),
    );
    return;
  }
  // Neither a promise nor (yet) the callback: Lambda answers null once the event loop has
  // nothing left to do.
  const poll = () => {
    if (done) return;
    if (process.getActiveResourcesInfo().length <= baseline) finish(null, null);
    else setTimeout(poll, 1);
  };
  setImmediate(poll);
}

function fatal(payload) {
  const ending = () => process.exit(1);
  if (current) {
    current = null;
    send({ error: payload }, ending);
  } else {
    ending();
  }
}
process.on("uncaughtException", (error) => fatal(errorPayload(error)));
process.on("unhandledRejection", (reason) =>
  fatal({
    errorType: "Runtime.UnhandledPromiseRejection",
    errorMessage: `${reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason)}`,
    trace: [],
  }),
);

async function main() {
  process.chdir(taskRoot);
  const started = process.hrtime.bigint();
  let handler;
  try {
    handler = await load();
  } catch (error) {
    const payload = error instanceof LoadError ? error.payload : errorPayload(error);
    process.stdout.write(`${new Date().toISOString()}\tundefined\tERROR\tUncaught Exception \t${JSON.stringify(payload)}\n`);
    send({ ready: false, error: payload }, () => process.exit(1));
    return;
  }
  send({ ready: true, init_ms: Number(process.hrtime.bigint() - started) / 1e6 });
  let buffered = Buffer.alloc(0);
  channel.on("data", (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4) {
      const size = buffered.readUInt32BE(0);
      if (buffered.length < 4 + size) break;
      const request = JSON.parse(buffered.subarray(4, 4 + size).toString("utf8"));
      buffered = buffered.subarray(4 + size);
      invoke(handler, request);
    }
  });
  channel.on("end", () => process.exit(0));
  channel.on("error", () => process.exit(0));
}

main();
