// Runs the requests the core describes, and hands responses back in the shape it reads.
// Every such request has a deadline (request.timeoutMs, from the client's timeoutSeconds):
// past it the request is aborted and the call fails with AuthError "timeout", whether or not
// the fetch implementation honours the signal. Nothing is retried here.
import { AuthError } from "./errors.js";

const DEFAULT_TIMEOUT_MS = 10_000; // src/oauth/client_config.hpp kDefaultTimeoutMs

// `leftMs`: what is left of the deadline when part of it went elsewhere (waiting for another
// tab's refresh); the error still names the whole deadline.
export async function send(fetchImpl, request, maxBytes, leftMs) {
  const timeoutMs = request.timeoutMs > 0 ? request.timeoutMs : DEFAULT_TIMEOUT_MS;
  const controller = new AbortController();
  let timer;
  const expired = new Promise((_, reject) => {
    timer = setTimeout(() => {
      const error = new AuthError("timeout", `${request.method} ${request.url} did not answer within ${timeoutMs} ms`,
        { cause: { url: request.url, timeoutMs } });
      controller.abort(error);
      reject(error);
    }, leftMs ?? timeoutMs);
  });
  try {
    return await Promise.race([exchange(fetchImpl, request, maxBytes, controller.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}

async function exchange(fetchImpl, request, maxBytes, signal) {
  let response;
  try {
    response = await fetchImpl(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      credentials: request.credentials,
      cache: "no-store",
      signal,
    });
  } catch (cause) {
    throw new AuthError("network", `${request.method} ${request.url} got no answer: ${cause?.message ?? cause}`, { cause });
  }
  return describeResponse(response, maxBytes);
}

// Retry-After (RFC 9110 §10.2.3) in seconds: delay-seconds or an HTTP-date; undefined without one.
function retryAfterSeconds(value) {
  if (value == null || value === "") return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

// Reads at most `maxBytes` of the body: an oversized answer is cut off before it is parsed
// (and before it is even fully downloaded), and flagged so the core refuses it.
export async function describeResponse(response, maxBytes) {
  const described = {
    status: response.status,
    contentType: response.headers.get("content-type") ?? "",
    wwwAuthenticate: response.headers.get("www-authenticate") ?? "",
    retryAfter: retryAfterSeconds(response.headers.get("retry-after")),
    dpopNonce: response.headers.get("dpop-nonce") ?? "", // RFC 9449 §8
    body: "",
    truncated: false,
  };
  if (Number(response.headers.get("content-length")) > maxBytes) {
    described.truncated = true;
    await response.body?.cancel().catch(() => {});
    return described;
  }
  if (!response.body) return described;
  const reader = response.body.getReader();
  const chunks = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        described.truncated = true;
        await reader.cancel().catch(() => {});
        return described;
      }
      chunks.push(value);
    }
  } catch (cause) {
    throw new AuthError("network", `reading the answer from ${response.url} failed: ${cause?.message ?? cause}`, { cause });
  }
  described.body = await new Blob(chunks).text(); // UTF-8, as TextDecoder would decode it
  return described;
}
