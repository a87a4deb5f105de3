// Runs the requests the core describes, and hands responses back in the shape it reads.
import { AuthError } from "./errors.js";

export async function send(fetchImpl, request, maxBytes) {
  let response;
  try {
    response = await fetchImpl(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      credentials: request.credentials,
      cache: "no-store",
    });
  } catch (cause) {
    throw new AuthError("network", `${request.method} ${request.url} got no answer: ${cause?.message ?? cause}`, { cause });
  }
  return describeResponse(response, maxBytes);
}

// Reads at most `maxBytes` of the body: an oversized answer is cut off before it is parsed
// (and before it is even fully downloaded), and flagged so the core refuses it.
export async function describeResponse(response, maxBytes) {
  const described = {
    status: response.status,
    contentType: response.headers.get("content-type") ?? "",
    wwwAuthenticate: response.headers.get("www-authenticate") ?? "",
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
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  described.body = new TextDecoder().decode(bytes);
  return described;
}
