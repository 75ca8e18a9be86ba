// What keeps a local UI local: only GET and HEAD are answered (it changes nothing); when it listens on
// loopback, requests must name a loopback host (so a web page cannot reach it by DNS rebinding); and
// every response forbids framing, sniffing and scripts from anywhere but the server itself.
import type { MiddlewareHandler } from "hono";

const LOOPBACK_NAMES = ["127.0.0.1", "localhost", "[::1]"];

export const isLoopback = (host: string) => host === "127.0.0.1" || host === "localhost" || host === "::1";

/** Host header values a loopback server accepts, once its port is known. */
export const loopbackHosts = (port: number) => new Set(LOOPBACK_NAMES.map((h) => `${h}:${port}`));

const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  // the digit grid sets background offsets inline; no script can run from a style
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    c.header("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Referrer-Policy", "no-referrer");
    c.header("X-Frame-Options", "DENY");
  };
}

export function readOnly(): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method !== "GET" && c.req.method !== "HEAD") {
      return c.text("the mmada UI is read-only: only GET and HEAD\n", 405, { Allow: "GET, HEAD" });
    }
    await next();
  };
}

/** `allowed` is asked per request (the port is known only once the server listens); undefined: any host. */
export function hostCheck(allowed: () => Set<string> | undefined): MiddlewareHandler {
  return async (c, next) => {
    const hosts = allowed();
    const host = c.req.header("host") ?? "";
    if (hosts !== undefined && !hosts.has(host.toLowerCase())) {
      return c.text(`host '${host}' is not this server; open it as http://127.0.0.1:<port>/\n`, 403);
    }
    await next();
  };
}
