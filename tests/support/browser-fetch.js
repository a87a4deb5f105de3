// A fetch for Node tests that behaves like a browser page at `origin` towards one server:
// it sends Origin, keeps cookies (honouring Path and Max-Age, and sending them only with
// credentials "include"/"same-origin", as fetch would for this same-origin page), and counts
// requests by path. Node's own fetch keeps no cookies, so without this the HttpOnly refresh
// cookie could not ride along.
export function browserFetch({ origin, fetchImpl = globalThis.fetch } = {}) {
  const jar = new Map(); // name → { value, path }
  const counts = new Map();

  const cookieHeader = (path) =>
    [...jar].filter(([, c]) => path.startsWith(c.path)).map(([name, c]) => `${name}=${c.value}`).join("; ");

  function store(response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(";").map((s) => s.trim());
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = "/";
      let expired = value === "";
      for (const attribute of attributes) {
        const [key, val = ""] = attribute.split("=");
        if (key.toLowerCase() === "path") path = val;
        if (key.toLowerCase() === "max-age" && Number(val) <= 0) expired = true;
        if (key.toLowerCase() === "expires" && Date.parse(val) <= Date.now()) expired = true;
      }
      if (expired) jar.delete(name);
      else jar.set(name, { value, path });
    }
  }

  async function fetchLike(input, init = {}) {
    const request = new Request(input, init);
    const url = new URL(request.url);
    counts.set(url.pathname, (counts.get(url.pathname) ?? 0) + 1);
    const headers = new Headers(request.headers);
    if (request.method !== "GET" && request.method !== "HEAD" && origin) headers.set("origin", origin);
    const credentials = init.credentials ?? (input instanceof Request ? input.credentials : "same-origin");
    const cookies = cookieHeader(url.pathname);
    if (cookies && credentials !== "omit") headers.set("cookie", cookies);
    const body = request.body ? await request.arrayBuffer() : undefined;
    const response = await fetchImpl(url, { method: request.method, headers, body, redirect: "manual", signal: request.signal });
    if (credentials !== "omit") store(response);
    return response;
  }

  return {
    fetch: fetchLike,
    count: (path) => counts.get(path) ?? 0,
    hasCookie: (name) => jar.has(name),
    cookies: jar,
  };
}
